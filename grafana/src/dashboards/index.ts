import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

import { overview } from './overview.js';
import { resilience } from './resilience.js';
import { runtime } from './runtime.js';
import { serviceDetail } from './service.js';
import { slo } from './slo.js';

/** Every provisioned dashboard, by the file name it is written to in grafana/dashboards/. */
export const dashboards: Record<string, () => { build(): Dashboard }> = {
  'overview.json': overview,
  'service-detail.json': serviceDetail,
  'nodejs-runtime.json': runtime,
  'resilience.json': resilience,
  'slo.json': slo,
};
