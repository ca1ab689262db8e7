// grafana/dashboard-linter's rules, re-implemented (the tool ships only as prebuilt binaries):
// datasource variable, panels using it, $__rate_interval, units, titles and descriptions,
// counters only under rate()/increase(), plus what this project adds: exemplars on latency
// panels, provisioned dashboards not editable, unique panel ids, a valid grid.
import { describe, expect, it } from 'vitest';

import { isCumulative, metricOfSeries } from '../src/catalog.js';
import { loadDashboards, panelsOf, queriesOf } from './support/dashboards.js';
import { parsePromql, RATE_INTERVAL_STAND_IN } from './support/promql.js';

const dashboards = loadDashboards();
const queries = queriesOf(dashboards);

describe.each(dashboards.map((d) => [d.file, d] as const))('%s', (_file, { json }) => {
  const panels = panelsOf(json);
  const variables = json.templating.list ?? [];

  it('has a Prometheus datasource variable named "datasource" (template-datasource-rule)', () => {
    const v = variables.find((x) => x.name === 'datasource');
    expect(v?.type).toBe('datasource');
    expect(v?.query).toBe('prometheus');
  });

  it('a Loki datasource variable when it has Loki panels', () => {
    const usesLoki = panels.some((p) => p.datasource?.type === 'loki');
    if (!usesLoki) return;
    const v = variables.find((x) => x.name === 'loki_datasource');
    expect(v?.type).toBe('datasource');
    expect(v?.query).toBe('loki');
  });

  it('every panel and target takes its datasource from a variable (panel-datasource-rule)', () => {
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toMatch(/^\$\{(datasource|loki_datasource)\}$/);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(p.datasource?.uid);
    }
  });

  it('every panel has a title and a description (panel-title-description-rule)', () => {
    for (const p of panels) {
      expect(p.title?.trim(), JSON.stringify(p.gridPos)).toBeTruthy();
      expect(p.description?.trim(), p.title).toBeTruthy();
    }
  });

  it('every panel has a unit (panel-units-rule)', () => {
    for (const p of panels) expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
  });

  it('every target has a distinct refId', () => {
    for (const p of panels) {
      const ids = (p.targets ?? []).map((t) => t.refId);
      expect(
        ids.every((id) => typeof id === 'string' && id.length > 0),
        p.title,
      ).toBe(true);
      expect(new Set(ids).size, p.title).toBe(ids.length);
    }
  });

  it('has an annotations list (Grafana expects one) with the built-in annotation', () => {
    const annotations = (json as { annotations?: { list?: { builtIn?: number }[] } }).annotations;
    expect(annotations?.list?.some((a) => a.builtIn === 1)).toBe(true);
  });

  it('is not editable (it is provisioned from files) and has unique panel ids', () => {
    expect(json.editable).toBe(false);
    const ids = (json.panels ?? []).flatMap((p) => [p.id, ...(p.panels ?? []).map((q) => q.id)]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps panels inside the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const p of json.panels ?? []) {
      const g = p.gridPos;
      expect(g, p.title).toBeDefined();
      if (!g) continue;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});

describe('PromQL rules', () => {
  const prom = queries.filter((q) => q.language === 'promql');

  it('rate() always uses $__rate_interval (panel-rate-interval-rule)', () => {
    const bad = prom.flatMap((q) =>
      parsePromql(q.expr)
        .rateWindows.filter((w) => w !== RATE_INTERVAL_STAND_IN)
        .map((w) => `${q.dashboard} / ${q.panel}: rate over [${w}]`),
    );
    expect(bad).toEqual([]);
    expect(parsePromql('rate(x_total[5m])').rateWindows).toEqual(['5m']);
  });

  it('counters and histogram series appear only under rate()/increase() (target-counter-agg-rule)', () => {
    const bad = prom.flatMap((q) =>
      parsePromql(q.expr)
        .bareSeries.filter(isCumulative)
        .map((s) => `${q.dashboard} / ${q.panel}: bare ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('query only metrics of the catalog (which the scrape test checks against real processes)', () => {
    const unknown = prom.flatMap((q) =>
      parsePromql(q.expr)
        .metrics.filter((m) => metricOfSeries(m) === undefined)
        .map((m) => `${q.dashboard} / ${q.panel}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('latency panels ask for exemplars so a dot links to its trace', () => {
    const latencyPanels = queries.filter(
      (q) =>
        q.expr.includes('histogram_quantile(') &&
        q.expr.includes('http_server_request_duration_seconds_bucket'),
    );
    const byPanel = new Map<string, boolean>();
    for (const q of latencyPanels) {
      const key = `${q.dashboard} / ${q.panel}`;
      byPanel.set(key, (byPanel.get(key) ?? false) || q.target.exemplar === true);
    }
    // Overview: by service and the repeated row; service detail: overall and three by route.
    expect(byPanel.size).toBeGreaterThanOrEqual(6);
    expect([...byPanel].filter(([, has]) => !has).map(([k]) => k)).toEqual([]);
  });

  it('the counter rule does catch a bare counter', () => {
    expect(parsePromql('sum(resilience_retries_total)').bareSeries.filter(isCumulative)).toEqual([
      'resilience_retries_total',
    ]);
    expect(
      parsePromql('sum(rate(resilience_retries_total[$__rate_interval]))').bareSeries.filter(
        isCumulative,
      ),
    ).toEqual([]);
    expect(parsePromql('nodejs_active_handles_total').bareSeries.filter(isCumulative)).toEqual([]);
  });
});
