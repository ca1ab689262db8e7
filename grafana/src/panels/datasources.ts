import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { VariableHide } from '@grafana/grafana-foundation-sdk/dashboard';

import { datasourceUids } from '../services.js';

// Panels name their datasource through a variable (a dashboard-linter rule), whose default is the
// provisioned uid, so the same JSON works against any Prometheus/Loki a viewer picks.
export const PROMETHEUS_VARIABLE = 'datasource';
export const LOKI_VARIABLE = 'loki_datasource';

export const prometheus: DataSourceRef = { type: 'prometheus', uid: `\${${PROMETHEUS_VARIABLE}}` };
export const loki: DataSourceRef = { type: 'loki', uid: `\${${LOKI_VARIABLE}}` };

export function prometheusVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(PROMETHEUS_VARIABLE)
    .label('Metrics')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: datasourceUids.prometheus });
}

export function lokiVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(LOKI_VARIABLE)
    .label('Logs')
    .type('loki')
    .current({ selected: true, text: 'Loki', value: datasourceUids.loki })
    .hide(VariableHide.DontHide);
}
