// The dashboards work for any service, not only the demo's: the services come from a Prometheus
// query variable, the overview repeats one row per selected service, and no query pins
// `service_name` to a name written in the source.
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';

import { services as demoServices } from '../src/services.js';
import {
  loadDashboards,
  queriesOf,
  type DashboardJson,
  type PanelJson,
  type VariableJson,
} from './support/dashboards.js';

// The demo's processes, the load generator included: none may appear in what a panel queries.
const demoNames = [...demoServices, 'loadgen'];
const SERVICE_LIST = 'label_values(process_start_time_seconds, service_name)';

const dashboards = loadDashboards();
const byUid = (uid: string): DashboardJson => {
  const found = dashboards.find((d) => d.json.uid === uid);
  if (!found) throw new Error(`no dashboard ${uid}`);
  return found.json;
};
const overview = byUid('o11y-overview');

const queryText = (v: VariableJson): string | undefined =>
  typeof v.query === 'string' ? v.query : (v.query?.query as string | undefined);

/** The `service_name` matcher of every vector selector in a PromQL expression ('' when none). */
function serviceMatchers(expr: string): string[] {
  const out: string[] = [];
  promqlParser.parse(expr).iterate({
    enter(n) {
      if (n.name !== 'VectorSelector') return;
      const matcher = n.node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .map((m) => expr.slice(m.from, m.to))
        .find((m) => /^service_name\s*(=|=~|!=|!~)/.test(m));
      out.push(matcher ?? '');
    },
  });
  return out;
}

/** A matcher that names services instead of taking them from a variable (or matching all). */
const pinsAService = (matcher: string): boolean =>
  /^service_name/.test(matcher) && !/^service_name\s*=~?\s*"(\$\{?\w+\}?|\.\+)"$/.test(matcher);

/** The panels a non-collapsed row holds: those below it up to the next row (Grafana's rule). */
function panelsOfRow(d: DashboardJson, row: PanelJson): PanelJson[] {
  const top = d.panels ?? [];
  const start = top.indexOf(row);
  const next = top.findIndex((p, i) => i > start && p.type === 'row');
  return [...(row.panels ?? []), ...top.slice(start + 1, next === -1 ? undefined : next)];
}

describe('overview: every service Prometheus has, not a list in the source', () => {
  const variable = overview.templating.list?.find((v) => v.name === 'service_name');
  const repeated = (overview.panels ?? []).filter((p) => p.repeat !== undefined);
  const [row] = repeated;

  it('has a service_name query variable over a metric every SDK process exports: multi, All by default', () => {
    expect(variable?.type).toBe('query');
    expect(queryText(variable!)).toBe(SERVICE_LIST);
    expect(variable?.datasource?.uid).toBe('${datasource}');
    expect(variable?.multi).toBe(true);
    expect(variable?.includeAll).toBe(true);
    expect(variable?.current?.value).toEqual(['$__all']);
    expect(variable?.regex ?? '', 'no service is filtered out by name').toBe('');
  });

  it('repeats one row by service_name, the last row, so every panel below it is repeated', () => {
    expect(repeated).toHaveLength(1);
    expect(row?.type).toBe('row');
    expect(row?.repeat).toBe('service_name');
    expect(row?.title).toBe('$service_name');
    const rows = (overview.panels ?? []).filter((p) => p.type === 'row');
    expect(rows.at(-1), 'a repeated row takes the panels up to the next row').toBe(row);
    expect(panelsOfRow(overview, row!).map((p) => p.title)).toEqual([
      '$service_name: request rate',
      '$service_name: error ratio',
      '$service_name: latency P50 / P95 / P99',
    ]);
  });

  it("queries only the row's service in the repeated row, and the selected ones above it", () => {
    const exprs = (overview.panels ?? [])
      .filter((p) => p.type !== 'row')
      .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    for (const expr of exprs) {
      const matchers = serviceMatchers(expr);
      expect(matchers.length, expr).toBeGreaterThan(0);
      for (const m of matchers) expect(m, expr).toBe('service_name=~"$service_name"');
    }
  });

  it("links each repeated row's panels to the detail of that row's service", () => {
    for (const p of panelsOfRow(overview, row!)) {
      const urls = (p.fieldConfig?.defaults?.links ?? []).map((l) => l.url);
      expect(urls, p.title).toEqual([
        '/d/o11y-service/service-detail?var-service=${service_name}&${__url_time_range}',
      ]);
    }
  });

  it('names no demo service in any query, title, link or variable', () => {
    const { panels = [], templating } = overview;
    const text = JSON.stringify({
      variables: templating.list,
      panels: [...panels, ...panels.flatMap((p) => p.panels ?? [])].map((p) => ({
        title: p.title,
        targets: p.targets,
        links: p.fieldConfig?.defaults?.links,
      })),
    });
    for (const name of demoNames) expect(text, name).not.toMatch(new RegExp(`\\b${name}\\b`));
  });
});

describe('every dashboard that picks services', () => {
  const pickers = dashboards.flatMap(({ file, json }) =>
    (json.templating.list ?? [])
      .filter((v) => v.name === 'service' || v.name === 'service_name')
      .map((v) => [`${file} $${v.name}`, v] as const),
  );

  it('exists on the overview, service detail, runtime and SLO dashboards', () => {
    expect(pickers.map(([name]) => name).sort()).toEqual([
      'nodejs-runtime.json $service_name',
      'overview.json $service_name',
      'service-detail.json $service',
      'slo.json $service',
    ]);
  });

  it.each(pickers)(
    '%s lists every service_name, filters none out, and has no demo default',
    (_name, v) => {
      expect(v.type).toBe('query');
      expect(queryText(v)).toBe(SERVICE_LIST);
      expect(v.definition).toBe(SERVICE_LIST);
      expect(v.regex ?? '').toBe('');
      // Many services: All by default. One service: none (Grafana picks the first it finds).
      expect(v.current?.value).toEqual(v.multi === true ? ['$__all'] : undefined);
      expect(v.includeAll).toBe(v.multi === true);
      if (v.multi === true) expect(v.allValue).toBe('.+');
    },
  );

  it('no PromQL or LogQL query pins service_name to a name written in the source', () => {
    const pinned: string[] = [];
    for (const q of queriesOf(dashboards)) {
      const matchers =
        q.language === 'promql'
          ? serviceMatchers(q.expr)
          : [...q.expr.matchAll(/service_name\s*(?:=~|!~|!=|=)\s*"[^"]*"/g)].map((m) => m[0]);
      for (const m of matchers.filter(pinsAService))
        pinned.push(`${q.dashboard} / ${q.panel}: ${m}`);
    }
    expect(pinned).toEqual([]);
  });

  it('the checks above do catch a hard-coded service list and a row that holds no panels', () => {
    const old =
      'sum by (service_name) (rate(http_server_request_duration_seconds_count{service_name=~"gateway|users"}[$__rate_interval])) or on() vector(0)';
    expect(serviceMatchers(old).filter(pinsAService)).toEqual(['service_name=~"gateway|users"']);
    expect(serviceMatchers('up{service_name="$service"}').filter(pinsAService)).toEqual([]);
    expect(serviceMatchers('up{job="x"} or vector(0)')).toEqual(['']);
    const fake: DashboardJson = {
      templating: {},
      panels: [
        { type: 'row', title: 'a' },
        { type: 'timeseries', title: 'p' },
        { type: 'row', title: 'b' },
      ],
    };
    expect(panelsOfRow(fake, fake.panels![0]!).map((p) => p.title)).toEqual(['p']);
    expect(panelsOfRow(fake, fake.panels![2]!)).toEqual([]);
  });
});
