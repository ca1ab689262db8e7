import type { Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';

import { dashboards } from './dashboards/index.js';

/** Panel ids must be unique within a dashboard; the SDK leaves them unset, so number them in order. */
function numberPanels(panels: (Panel | RowPanel)[]): void {
  let id = 1;
  for (const panel of panels) {
    panel.id = id++;
    if (panel.type === 'row') {
      for (const inner of (panel as RowPanel).panels) inner.id = id++;
    }
  }
}

/** The JSON text of every dashboard, exactly as written to grafana/dashboards/. */
export function renderDashboards(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, make] of Object.entries(dashboards)) {
    const dashboard = make().build();
    numberPanels(dashboard.panels ?? []);
    out.set(file, `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return out;
}
