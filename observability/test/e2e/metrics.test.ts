// (3) every Prometheus query of every provisioned dashboard returns data and every recording
// rule produces series; (4) exemplars on the server histogram point at traces Jaeger has;
// (6) Prometheus runs the configs: all rules healthy, every native target up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { eventually, jaegerTrace, PROMETHEUS, promQuery } from './backends.js';
import {
  expand,
  metricSelectors,
  panelQueries,
  variableValues,
  withoutFallback,
} from './dashboards.js';

const rulesDir = join(import.meta.dirname, '..', '..', 'prometheus', 'rules');
const records = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) =>
    (
      YAML.parse(readFileSync(join(rulesDir, f), 'utf8')) as {
        groups: { rules: { record?: string }[] }[];
      }
    ).groups
      .flatMap((g) => g.rules)
      .flatMap((r) => (r.record ? [r.record] : [])),
  );

describe('prometheus in the native stack', () => {
  it('loaded every rule group and evaluates them without errors', async () => {
    const res = (await (await fetch(`${PROMETHEUS}/api/v1/rules`)).json()) as {
      data: {
        groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
      };
    };
    const names = res.data.groups.map((g) => g.name);
    expect(names).toEqual(
      expect.arrayContaining(['red-service', 'red-route', 'slo-alerts', 'red-alerts']),
    );
    const unhealthy = res.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    expect(unhealthy.map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  });

  it('scrapes every service, Jaeger and itself', async () => {
    const up = await eventually(
      'all targets up',
      async () => {
        const r = await promQuery('up');
        return r.length >= 10 && r.every((s) => s.value[1] === '1') ? r : undefined;
      },
      60_000,
      2000,
    );
    const jobs = new Set(up.map((s) => s.metric.job));
    expect([...jobs].sort()).toEqual(['jaeger', 'jaeger-spanmetrics', 'prometheus', 'services']);
    const services = up
      .filter((s) => s.metric.job === 'services')
      .map((s) => s.metric.service_name);
    expect(services.sort()).toEqual([
      'gateway',
      'inventory',
      'loadgen',
      'orders',
      'payments',
      'shipping',
      'users',
    ]);
  });

  it('every recording rule produces series', async () => {
    // Rules need a few evaluations over scraped traffic; the long-window group runs once a minute.
    const missing = await eventually(
      'all recording rules with series',
      async () => {
        const empty: string[] = [];
        for (const r of records) if ((await promQuery(r)).length === 0) empty.push(r);
        return empty.length === 0 ? empty : undefined;
      },
      150_000,
      5000,
    ).catch(async (err: Error) => {
      const empty: string[] = [];
      for (const r of records) if ((await promQuery(r)).length === 0) empty.push(r);
      throw new Error(`${err.message}; empty: ${empty.join(', ')}`);
    });
    expect(missing).toEqual([]);
  });

  it('every dashboard query returns data; without its zero fallback, it has data or reads only scraped metrics', async () => {
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(20);
    const empty: string[] = [];
    const missingMetrics: string[] = [];
    for (const q of queries) {
      // A query with a variable passes when one of the values Grafana offers returns data.
      const combos: Record<string, string>[] = [{}];
      for (const v of q.variables) {
        const values = await variableValues(q.dashboard, v);
        expect(values.length, `${q.dashboard}: values of $${v}`).toBeGreaterThan(0);
        combos.splice(
          0,
          combos.length,
          ...combos.flatMap((c) => values.map((x) => ({ ...c, [v]: x }))),
        );
      }
      let full = false;
      let primary = false;
      for (const c of combos.slice(0, 20)) {
        const expr = expand(q.expr, c);
        full ||= (await promQuery(expr)).length > 0;
        primary ||= (await promQuery(withoutFallback(expr))).length > 0;
        if (full && primary) break;
      }
      if (!full) empty.push(`${q.dashboard} / ${q.panel}: ${q.expr}`);
      if (primary) continue;
      // Without its fallback the query may be empty only because what it counts has not happened
      // yet (5xx, rejections, dead letters): every metric it reads must still be scraped.
      for (const sel of metricSelectors(expand(q.expr, combos[0]))) {
        if ((await promQuery(sel)).length === 0)
          missingMetrics.push(`${q.dashboard} / ${q.panel}: ${sel}`);
      }
    }
    expect(empty).toEqual([]);
    expect(missingMetrics).toEqual([]);
  });

  it('exemplars on the server latency histogram name traces that exist in Jaeger', async () => {
    const traceIds = await eventually(
      'exemplars with trace ids',
      async () => {
        const end = Date.now() / 1000;
        const url = `${PROMETHEUS}/api/v1/query_exemplars?query=${encodeURIComponent(
          'http_server_request_duration_seconds_bucket',
        )}&start=${end - 600}&end=${end}`;
        const body = (await (await fetch(url)).json()) as {
          data: { exemplars: { labels: Record<string, string> }[] }[];
        };
        const ids = body.data
          .flatMap((s) => s.exemplars.map((e) => e.labels.trace_id))
          .filter(Boolean);
        return ids.length >= 5 ? [...new Set(ids)] : undefined;
      },
      60_000,
      2000,
    );
    for (const id of traceIds.slice(-5)) {
      const spans = await eventually(`trace ${id} in Jaeger`, () => jaegerTrace(id!), 30_000, 2000);
      expect(spans.length, `trace ${id}`).toBeGreaterThan(0);
    }
  });
});
