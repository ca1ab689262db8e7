// `npm run dashboards -w grafana`: writes the dashboard JSON that Grafana provisions.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderDashboards } from './render.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');
mkdirSync(dir, { recursive: true });
const rendered = renderDashboards();
// A dashboard removed from the source must disappear from provisioning too.
for (const file of readdirSync(dir)) {
  if (file.endsWith('.json') && !rendered.has(file)) rmSync(join(dir, file));
}
for (const [file, text] of rendered) writeFileSync(join(dir, file), text);
console.log(`wrote ${rendered.size} dashboards to ${dir}`);
