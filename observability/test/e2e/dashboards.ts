// The Prometheus queries of the provisioned dashboards, with their template variables expanded
// the way Grafana would for a recent time range.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { PROMETHEUS } from './backends.js';

const dashboardsDir = join(import.meta.dirname, '..', '..', '..', 'grafana', 'dashboards');

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  title?: string;
  datasource?: { type?: string; uid?: string } | null;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  regex?: string;
  current?: { value?: string | string[] };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
  variables: string[];
}

function* allPanels(panels: Panel[]): Generator<Panel> {
  for (const p of panels) {
    yield p;
    yield* allPanels(p.panels ?? []);
  }
}

export function dashboards(): Dashboard[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as Dashboard);
}

const isPrometheus = (ds: { type?: string; uid?: string } | null | undefined, d: Dashboard) => {
  if (!ds) return true;
  if (ds.type === 'prometheus' || ds.uid === 'prometheus') return true;
  const name = /^\$\{?(\w+)\}?$/.exec(ds.uid ?? '')?.[1];
  const v = d.templating?.list.find((x) => x.name === name);
  return v?.type === 'datasource' && v.query === 'prometheus';
};

/** Every Prometheus query of every panel, with the names of the (non-datasource) variables it uses. */
export function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of dashboards()) {
    const queryVars = (d.templating?.list ?? [])
      .filter((v) => v.type !== 'datasource')
      .map((v) => v.name);
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) {
        if (!t.expr || !isPrometheus(t.datasource ?? p.datasource, d)) continue;
        const used = queryVars.filter(
          (n) => t.expr!.includes(`$${n}`) || t.expr!.includes(`\${${n}}`),
        );
        out.push({
          dashboard: d.uid,
          panel: p.title ?? '(untitled)',
          expr: t.expr,
          variables: used,
        });
      }
    }
  }
  return out;
}

/** The values Grafana would offer for a variable (query variables: label_values(metric, label)). */
export async function variableValues(dashboardUid: string, name: string): Promise<string[]> {
  const d = dashboards().find((x) => x.uid === dashboardUid);
  const v = d?.templating?.list.find((x) => x.name === name);
  if (!v) throw new Error(`${dashboardUid}: no variable ${name}`);
  const q = typeof v.query === 'string' ? v.query : v.query?.query;
  if (v.type === 'constant') return [q ?? ''];
  if (v.type === 'custom') return (q ?? '').split(',').map((x) => x.trim());
  if (v.type !== 'query') {
    const current = v.current?.value;
    return [Array.isArray(current) ? (current[0] ?? '') : (current ?? q ?? '')];
  }
  const m = /^label_values\((?:(.+),\s*)?(\w+)\)$/.exec(q ?? '');
  if (!m) throw new Error(`${dashboardUid}: variable ${name} has an unsupported query "${q}"`);
  const url = new URL(`${PROMETHEUS}/api/v1/label/${m[2]}/values`);
  if (m[1]) url.searchParams.set('match[]', m[1]);
  const body = (await (await fetch(url)).json()) as { data: string[] };
  const regex = v.regex ? new RegExp(v.regex.replace(/^\/(.*)\/$/, '$1')) : undefined;
  return body.data.filter((x) => !regex || regex.test(x));
}

/** Grafana's built-in variables for a "last 15 minutes" view with a 10 s scrape interval. */
export function expand(expr: string, values: Record<string, string> = {}): string {
  let e = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('${__rate_interval}', '1m')
    .replaceAll('$__interval', '10s')
    .replaceAll('$__range', '15m')
    .replaceAll('$__auto', '1m');
  // Longest names first, so $service does not eat the start of $service_name.
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  for (const k of names) e = e.replaceAll(`\${${k}}`, values[k]!).replaceAll(`$${k}`, values[k]!);
  return e;
}

/**
 * The query without its zero fallback: the leftmost operand of a top-level `or` chain. Every
 * dashboard query ends in `or vector(0)` (or `or (0 * ...) or on() vector(0)`) so an idle service
 * shows 0; the fallback must not be what makes "returns data" true.
 */
export function withoutFallback(expr: string): string {
  let node = parser.parse(expr).topNode.firstChild;
  while (node?.name === 'BinaryExpr' && node.getChild('Or')) node = node.firstChild;
  return node ? expr.slice(node.from, node.to) : expr;
}

/**
 * Each metric the query reads, narrowed by the query's `service_name` matcher if it has one:
 * the series that must exist in Prometheus for the panel to mean anything.
 */
export function metricSelectors(expr: string): string[] {
  const out = new Set<string>();
  parser.parse(expr).iterate({
    enter(n) {
      if (n.name !== 'VectorSelector') return;
      const name = n.node.getChild('Identifier');
      if (!name) return;
      const service = n.node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .find((m) => expr.slice(m.from, m.to).startsWith('service_name'));
      const matcher = service ? expr.slice(service.from, service.to) : '';
      out.add(`${expr.slice(name.from, name.to)}{${matcher}}`);
    },
  });
  return [...out];
}
