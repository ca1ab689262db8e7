import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeOfficial } from './support/official-protos';
import {
  attributes,
  OtlpCapture,
  type DataPoint,
  type DecodedMetric,
} from './support/otlp-capture';
import { baseEnv, killAll, scrape, startFixture, type Running } from './support/processes';

// OTEL_METRICS_EXPORTER=otlp: the registry pushed as OTLP http/protobuf, read back with the
// official protos, from fixture apps started the way a user starts them.

let capture: OtlpCapture;
let endpoint: string;
beforeAll(async () => {
  capture = new OtlpCapture();
  endpoint = await capture.start();
});
afterEach(() => {
  killAll();
  capture.requests.length = 0;
});
afterAll(() => capture.stop());

async function get(app: Running, path: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++)
    await fetch(`http://127.0.0.1:${app.port}${path}`).then((r) => r.text());
}

function points(m: DecodedMetric | undefined): DataPoint[] {
  return m?.histogram?.dataPoints ?? m?.sum?.dataPoints ?? m?.gauge?.dataPoints ?? [];
}

/** The data point of the order route's series in a request's histogram. */
function orderPoint(m: DecodedMetric): DataPoint | undefined {
  return points(m).find((p) => attributes(p.attributes).http_route === '/api/v1/orders/:id');
}

function named(name: string, path = '/v1/metrics'): DecodedMetric[] {
  return capture.metrics(path).filter((m) => m.name === name);
}

describe('OTLP metrics push', () => {
  it('pushes counters, gauges and histograms with exemplars of exported spans, on the interval, to the metrics endpoint', async () => {
    const app = await startFixture('service.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_METRICS_EXPORTER: 'prometheus,otlp',
        OTEL_METRIC_EXPORT_INTERVAL: '400',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${endpoint}/custom/metrics`,
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-tenant=acme',
      },
    });
    await get(app, '/api/v1/orders/7', 3);
    const duration = 'http_server_request_duration_seconds';
    await expect
      .poll(() => named(duration, '/custom/metrics').filter((m) => orderPoint(m)?.count === '3'), {
        timeout: 10_000,
      })
      .not.toHaveLength(0);
    await expect
      .poll(() => capture.to('/custom/metrics').length, { timeout: 5000 })
      .toBeGreaterThan(3);

    // the endpoint, the headers and the content type of the other exporters
    expect(capture.to('/v1/metrics')).toHaveLength(0);
    const pushes = capture.to('/custom/metrics');
    expect(pushes[0]!.headers['x-tenant']).toBe('acme');
    expect(pushes[0]!.headers['content-type']).toBe('application/x-protobuf');
    // the interval: 400 ms apart on average (one push may arrive late and the next on time, so
    // single gaps on a busy machine say little; a push per request would be far closer)
    const meanGap = (pushes.at(-1)!.at - pushes[0]!.at) / (pushes.length - 1);
    expect(meanGap).toBeGreaterThan(250);
    expect(meanGap).toBeLessThan(1500);

    // histogram: cumulative, its buckets, bounds, sum and count, an exemplar of an exported span
    const h = named(duration, '/custom/metrics').find((m) => orderPoint(m)?.count === '3')!;
    expect(h.data).toBe('histogram');
    expect(h.histogram!.aggregationTemporality).toBe(2);
    const p = orderPoint(h)!;
    expect(attributes(p.attributes)).toMatchObject({
      http_request_method: 'GET',
      http_response_status_code: 200,
    });
    expect(p.explicitBounds).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    expect(p.bucketCounts).toHaveLength(15);
    expect(p.bucketCounts!.reduce((n, c) => n + Number(c), 0)).toBe(3);
    expect(p.sum).toBeGreaterThan(0);
    expect(p.exemplars?.length).toBeGreaterThan(0);
    const exemplar = p.exemplars![0]!;
    expect(exemplar.asDouble).toBeGreaterThan(0);
    await expect
      .poll(() => serverSpans().map((s) => `${s.traceId}/${s.spanId}`), { timeout: 5000 })
      .toContain(`${exemplar.traceId}/${exemplar.spanId}`);

    // counter: a monotonic cumulative Sum, named without `_total`
    const cpu = named('process_cpu_user_seconds', '/custom/metrics').at(-1)!;
    expect(cpu.data).toBe('sum');
    expect(cpu.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true });
    expect(points(cpu)[0]!.asDouble).toBeGreaterThan(0);
    const failures = named('o11y_sdk_export_failures', '/custom/metrics').at(-1)!;
    expect(points(failures).map((x) => attributes(x.attributes).signal)).toContain('traces');
    // gauge
    const heap = named('nodejs_heap_size_used_bytes', '/custom/metrics').at(-1)!;
    expect(heap.data).toBe('gauge');
    expect(points(heap)[0]!.asDouble).toBeGreaterThan(0);
    // cumulative points keep their start time from push to push
    const starts = new Set(
      named(duration, '/custom/metrics').map((m) => orderPoint(m)?.startTimeUnixNano),
    );
    starts.delete(undefined);
    expect(starts.size).toBe(1);

    // the resource is the traces' resource; the service identity is not repeated per point
    expect(h.resource).toEqual(traceResource());
    expect(h.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(attributes(p.attributes)).not.toHaveProperty('service_name');
    // and Prometheus is still served beside it
    expect(await scrape(app.metricsPort)).toContain('http_server_request_duration_seconds_bucket');
  });

  it('sends deltas for counters and histograms when asked, to the base endpoint + /v1/metrics', async () => {
    const app = await startFixture('service.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      },
    });
    // only otlp: no Prometheus port
    expect(app.metricsPort).toBe(0);
    await get(app, '/api/v1/orders/1', 2);
    const duration = 'http_server_request_duration_seconds';
    await expect
      .poll(() => named(duration).some((m) => orderPoint(m)?.count === '2'), { timeout: 10_000 })
      .toBe(true);
    await get(app, '/api/v1/orders/1', 1);
    await expect
      .poll(() => named(duration).some((m) => orderPoint(m)?.count === '1'), { timeout: 10_000 })
      .toBe(true);
    const series = named(duration).filter((m) => orderPoint(m) !== undefined);
    for (const m of series) expect(m.histogram!.aggregationTemporality).toBe(1);
    const two = series.findIndex((m) => orderPoint(m)!.count === '2');
    const one = series.findIndex((m) => orderPoint(m)!.count === '1');
    expect(one).toBeGreaterThan(two);
    // consecutive intervals: each starts where the previous one ended
    for (let i = two + 1; i < series.length; i++)
      expect(orderPoint(series[i]!)!.startTimeUnixNano).toBe(
        orderPoint(series[i - 1]!)!.timeUnixNano,
      );
    // nothing counted twice: the deltas add up to the three requests
    expect(series.reduce((n, m) => n + Number(orderPoint(m)!.count), 0)).toBe(3);
    const cpu = named('process_cpu_user_seconds').at(-1)!;
    expect(cpu.sum).toMatchObject({ aggregationTemporality: 1, isMonotonic: true });
  });

  it('exports once more on shutdown, within the deadline, with the default 60 s interval', async () => {
    const app = await startFixture('service.cjs', {
      env: { ...baseEnv(endpoint), OTEL_METRICS_EXPORTER: 'otlp' },
    });
    await get(app, '/api/v1/orders/3', 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(capture.to('/v1/metrics')).toHaveLength(0);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.ms).toBeLessThan(10_000);
    expect(
      named('http_server_request_duration_seconds').some((m) => orderPoint(m)?.count === '1'),
    ).toBe(true);
  });

  it('none: no metrics port, no push, and the registry still serves the app', async () => {
    const app = await startFixture('service.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      },
    });
    expect(app.metricsPort).toBe(0);
    await get(app, '/api/v1/orders/5', 1);
    await new Promise((r) => setTimeout(r, 1000));
    const served = await fetch(`http://127.0.0.1:${app.port}/app-metrics`).then((r) => r.text());
    expect(served).toContain('http_server_request_duration_seconds_count{');
    app.child.kill('SIGTERM');
    await app.exited;
    expect(capture.to('/v1/metrics')).toHaveLength(0);
    expect(capture.to('/v1/traces').length).toBeGreaterThan(0);
  });
});

interface DecodedSpan {
  traceId: string;
  spanId: string;
  kind: number;
}

function traceRequests(): {
  resourceSpans?: {
    resource?: { attributes?: never };
    scopeSpans?: { spans?: DecodedSpan[] }[];
  }[];
}[] {
  return capture.to('/v1/traces').map((r) => decodeOfficial('traces', r.body) as never);
}

function serverSpans(): DecodedSpan[] {
  return traceRequests().flatMap((t) =>
    (t.resourceSpans ?? []).flatMap((rs) =>
      (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).filter((s) => s.kind === 2)),
    ),
  );
}

function traceResource(): Record<string, unknown> {
  return attributes(traceRequests()[0]?.resourceSpans?.[0]?.resource?.attributes);
}
