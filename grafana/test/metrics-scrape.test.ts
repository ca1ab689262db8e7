// Every metric a dashboard queries must be one that real processes expose, with the type the
// dashboards assume (counters under rate(), gauges as is). Checked against real scrapes:
// - an express fixture started with the SDK's one line (the SDK's metrics);
// - the six demo services started as real processes against local PostgreSQL, RabbitMQ and
//   Redis (the demo services' own metrics, and the SDK's again as they use it).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { metrics, type MetricInfo } from '../src/catalog.js';
import { DemoStack } from './support/demo-stack.js';
import { loadDashboards, queriesOf } from './support/dashboards.js';
import { hasMetric, parseExposition, scrape, typeOf, type Scrape } from './support/exposition.js';
import { grafanaDir, repoDir } from './support/paths.js';
import { freePort, startNode, startOtlpSink } from './support/processes.js';
import { parsePromql } from './support/promql.js';

const catalog = Object.entries(metrics) as [string, MetricInfo][];

let fixture: Scrape;
const demo = new Map<string, Scrape>();
let stack: DemoStack | undefined;
let sink: Awaited<ReturnType<typeof startOtlpSink>> | undefined;
const stops: (() => Promise<void>)[] = [];

async function scrapeFixture(otlp: string): Promise<Scrape> {
  const metricsPort = await freePort();
  const app = startNode(
    ['--import', '@o11y/sdk/register', join(grafanaDir, 'test', 'fixtures', 'app.mjs')],
    {
      cwd: repoDir,
      env: {
        OTEL_SERVICE_NAME: 'fixture',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${otlp}/v1/logs`,
      },
      ready: /listening (\d+)/,
      timeoutMs: 90_000,
    },
  );
  stops.push(() => app.stop());
  const port = (await app.ready)[1];
  for (const path of ['/items/1', '/items/2', '/fail', '/call', '/nothing-here'])
    await fetch(`http://127.0.0.1:${port}${path}`);
  return parseExposition(await scrape(`http://127.0.0.1:${metricsPort}/metrics`));
}

async function scrapeDemo(otlp: string): Promise<void> {
  stack = await DemoStack.start(otlp);
  await stack.traffic();
  for (const service of stack.services) {
    demo.set(
      service,
      parseExposition(await scrape(`http://127.0.0.1:${stack.metricsPorts[service]}/metrics`)),
    );
  }
}

beforeAll(async () => {
  sink = await startOtlpSink();
  // Both at once: most of the time is processes starting up.
  const [fixtureScrape] = await Promise.all([scrapeFixture(sink.url), scrapeDemo(sink.url)]);
  fixture = fixtureScrape;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  for (const stop of stops) await stop();
  await sink?.stop();
}, 60_000);

describe('a real scrape of the SDK (express fixture with the one line)', () => {
  it.each(catalog.filter(([, i]) => i.source === 'sdk'))(
    'exposes %s with the type the dashboards assume',
    (name, info) => {
      expect(hasMetric(fixture, name, info.type), `${name} is not in the fixture's /metrics`).toBe(
        true,
      );
      expect(typeOf(fixture, name)).toBe(info.type);
    },
  );

  it('labels the server histogram as the dashboards group it, with trace exemplars', () => {
    const labels = fixture.labels.get('http_server_request_duration_seconds_count') ?? new Set();
    for (const l of [
      'service_name',
      'http_request_method',
      'http_route',
      'http_response_status_code',
    ])
      expect(labels).toContain(l);
    expect([...(fixture.labels.get('http_client_request_duration_seconds_count') ?? [])]).toContain(
      'server_address',
    );
    expect(fixture.exemplars, 'no trace_id exemplar on any bucket').toBe(true);
  });
});

describe('a real scrape of the six demo services', () => {
  it('reaches every service', () => {
    expect([...demo.keys()].sort()).toEqual([
      'gateway',
      'inventory',
      'orders',
      'payments',
      'shipping',
      'users',
    ]);
  });

  it.each(catalog.filter(([, i]) => i.source === 'demo'))(
    '%s is exposed where expected, with its type',
    (name, info) => {
      const where = [...demo]
        .filter(([, s]) => hasMetric(s, name, info.type))
        .map(([service]) => service);
      expect(where.length, `${name} is exposed by no demo service`).toBeGreaterThan(0);
      for (const service of info.only ?? [])
        expect(where, `${name} on ${service}`).toContain(service);
      for (const service of where)
        expect(typeOf(demo.get(service)!, name), `${name} on ${service}`).toBe(info.type);
    },
  );

  it.each(['gateway', 'inventory', 'orders', 'payments', 'shipping', 'users'])(
    '%s exposes every SDK metric too',
    (service) => {
      const s = demo.get(service)!;
      for (const [name, info] of catalog.filter(([, i]) => i.source === 'sdk')) {
        // Only services that call others have client calls recorded.
        if (
          name === 'http_client_request_duration_seconds' &&
          !['gateway', 'orders'].includes(service)
        )
          continue;
        expect(hasMetric(s, name, info.type), `${name} on ${service}`).toBe(true);
      }
    },
  );
});

describe('dashboard queries against the scrapes', () => {
  const queries = queriesOf(loadDashboards()).filter((q) => q.language === 'promql');

  it('use only label names the scraped metrics carry', () => {
    const all = [fixture, ...demo.values()];
    const labelsOf = (series: string) =>
      new Set(all.flatMap((s) => [...(s.labels.get(series) ?? [])]));
    const problems: string[] = [];
    for (const q of queries) {
      const parsed = parsePromql(q.expr);
      const available = new Set(['le', ...parsed.metrics.flatMap((m) => [...labelsOf(m)])]);
      for (const label of parsed.labels)
        if (!available.has(label)) problems.push(`${q.dashboard} / ${q.panel}: ${label}`);
    }
    expect(problems).toEqual([]);
  });
});
