import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const grafanaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoDir = join(grafanaDir, '..');
export const dashboardsDir = join(grafanaDir, 'dashboards');
