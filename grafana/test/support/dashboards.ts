// Reading the committed dashboard JSON the way Grafana will: panels (rows included), their
// targets and datasources, and the dashboard variables.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { dashboardsDir } from './paths.js';

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId?: string;
  expr?: string;
  exemplar?: boolean;
  datasource?: DataSourceRef;
}

export interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: PanelJson[];
  /** Rows: the variable Grafana repeats the row (and the panels below it) by. */
  repeat?: string;
  fieldConfig?: { defaults?: { unit?: string; links?: { title?: string; url?: string }[] } };
  gridPos?: { x: number; y: number; w: number; h: number };
}

export interface VariableJson {
  type: string;
  name: string;
  query?: string | Record<string, unknown>;
  definition?: string;
  current?: { value?: string | string[] };
  datasource?: DataSourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  regex?: string;
}

export interface DashboardJson {
  uid?: string;
  title?: string;
  editable?: boolean;
  panels?: PanelJson[];
  templating: { list?: VariableJson[] };
}

export interface LoadedDashboard {
  file: string;
  text: string;
  json: DashboardJson;
}

export function loadDashboards(): LoadedDashboard[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dashboardsDir, file), 'utf8');
      return { file, text, json: JSON.parse(text) as DashboardJson };
    });
}

/** Every panel, rows' nested panels included; rows themselves are left out. */
export function panelsOf(d: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  for (const p of d.panels ?? []) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

export interface QueryInPanel {
  dashboard: string;
  panel: string;
  panelType: string;
  language: 'promql' | 'logql';
  expr: string;
  target: Target;
  panelJson: PanelJson;
}

/** The language of a target, from its datasource (or the panel's). */
function languageOf(target: Target, panel: PanelJson): 'promql' | 'logql' | undefined {
  const type = target.datasource?.type ?? panel.datasource?.type;
  if (type === 'prometheus') return 'promql';
  if (type === 'loki') return 'logql';
  return undefined;
}

export function queriesOf(loaded: LoadedDashboard[]): QueryInPanel[] {
  const out: QueryInPanel[] = [];
  for (const { file, json } of loaded) {
    for (const panel of panelsOf(json)) {
      for (const target of panel.targets ?? []) {
        const language = languageOf(target, panel);
        if (language === undefined || target.expr === undefined) continue;
        out.push({
          dashboard: file,
          panel: panel.title ?? '(untitled)',
          panelType: panel.type,
          language,
          expr: target.expr,
          target,
          panelJson: panel,
        });
      }
    }
  }
  return out;
}
