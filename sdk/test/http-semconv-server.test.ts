import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, killAll, scrape, startFixture, type Running } from './support/processes';
import {
  exportedScopes,
  SDK_PACKAGE_VERSION,
  SERVER,
  seriesOf,
  spanOf,
  spansWhere,
  sumOf,
} from './support/http-semconv';

// Server spans and http_server_request_duration_seconds against the stable HTTP semantic
// conventions (1.38): required and conditionally required attributes and labels, unknown
// methods, requests never answered, reverse-proxy headers, the metric's duration, the scope.

const METRIC = 'http_server_request_duration_seconds';

describe('server spans and metrics of an express app started with --import @o11y/sdk/register', () => {
  const receiver = new OtlpReceiver();
  let app: Running;
  let custom: Running;
  let base: string;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    [app, custom] = await Promise.all([
      startFixture('http-semconv.cjs', { env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'app' } }),
      startFixture('http-semconv.cjs', {
        env: {
          ...baseEnv(endpoint),
          OTEL_SERVICE_NAME: 'custom',
          OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,PROPFIND',
        },
      }),
    ]);
    base = `http://127.0.0.1:${app.port}`;
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  it('sets every required, conditionally required and recommended attribute of a served request', async () => {
    const res = await fetch(`${base}/items/7?color=blue&token=t0p`, {
      headers: { 'user-agent': 'semconv-test/1' },
    });
    expect(res.status).toBe(200);
    const span = await spanOf(receiver, res);
    expect(span.name).toBe('GET /items/:id');
    expect(span.kind).toBe(SERVER);
    expect(span.statusCode).toBe(0);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/items/7',
      'url.query': 'color=blue&token=REDACTED',
      'url.scheme': 'http',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': app.port,
      'client.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'semconv-test/1',
    });
    expect(span.attributes['network.peer.port']).toEqual(expect.any(Number));
    expect(span.attributes['network.peer.port']).not.toBe(app.port);
    expect(span.attributes).not.toHaveProperty('error.type');
    expect(span.attributes).not.toHaveProperty('http.request.method_original');

    const series = seriesOf(await scrape(app.metricsPort), METRIC);
    expect(series).toContainEqual(
      expect.objectContaining({
        http_request_method: 'GET',
        http_route: '/items/:id',
        http_response_status_code: '200',
        url_scheme: 'http',
      }),
    );
    // A success has no error_type label at all.
    for (const s of series.filter((l) => l.http_response_status_code === '200'))
      expect(s).not.toHaveProperty('error_type');
  });

  it('sets error.type on a 5xx (span and metric) and not on a 4xx', async () => {
    const boom = await fetch(`${base}/boom`);
    const teapot = await fetch(`${base}/teapot`);
    expect([boom.status, teapot.status]).toEqual([503, 418]);
    const [b, t] = await Promise.all([spanOf(receiver, boom), spanOf(receiver, teapot)]);
    expect(b.attributes['error.type']).toBe('503');
    expect(b.statusCode).toBe(2);
    expect(t.attributes).not.toHaveProperty('error.type');
    expect(t.statusCode).toBe(0);
    const series = seriesOf(await scrape(app.metricsPort), METRIC);
    expect(series).toContainEqual(
      expect.objectContaining({
        http_route: '/boom',
        http_response_status_code: '503',
        error_type: '503',
      }),
    );
    const tea = series.find((s) => s.http_route === '/teapot');
    expect(tea).toMatchObject({ http_response_status_code: '418' });
    expect(tea).not.toHaveProperty('error_type');
  });

  it('reports an unknown method as _OTHER, with the original method and HTTP in the span name', async () => {
    const routed = await fetch(`${base}/items/3`, { method: 'PROPFIND' });
    const unrouted = await fetch(`${base}/nowhere`, { method: 'PROPFIND' });
    expect([routed.status, unrouted.status]).toEqual([200, 404]);
    const [r, u] = await Promise.all([spanOf(receiver, routed), spanOf(receiver, unrouted)]);
    expect(r.name).toBe('HTTP /items/:id');
    expect(r.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PROPFIND',
    });
    // A router saw it and matched nothing: no route, so the name is the method part alone.
    expect(u.name).toBe('HTTP');
    expect(u.attributes['http.request.method']).toBe('_OTHER');
    const series = seriesOf(await scrape(app.metricsPort), METRIC);
    expect(series.some((s) => s.http_request_method === 'PROPFIND')).toBe(false);
    expect(series).toContainEqual(
      expect.objectContaining({ http_request_method: '_OTHER', http_route: '/items/:id' }),
    );
  });

  it('takes the known methods from OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, replacing the defaults', async () => {
    const propfind = await fetch(`http://127.0.0.1:${custom.port}/items/4`, { method: 'PROPFIND' });
    const post = await fetch(`http://127.0.0.1:${custom.port}/items/4`, { method: 'POST' });
    const [p, o] = await Promise.all([spanOf(receiver, propfind), spanOf(receiver, post)]);
    expect(p.name).toBe('PROPFIND /items/:id');
    expect(p.attributes['http.request.method']).toBe('PROPFIND');
    expect(p.attributes).not.toHaveProperty('http.request.method_original');
    // POST is not in the list: the list is a full override, not an addition.
    expect(o.name).toBe('HTTP /items/:id');
    expect(o.attributes['http.request.method_original']).toBe('POST');
    const methods = seriesOf(await scrape(custom.metricsPort), METRIC).map(
      (s) => s.http_request_method,
    );
    expect(methods).toEqual(expect.arrayContaining(['PROPFIND', '_OTHER']));
  });

  it('records a request never answered without a status code, with error_type, in span and metric', async () => {
    // Nothing sent at all; then headers sent but the body never finished.
    await fetch(`${base}/hang`, { signal: AbortSignal.timeout(150) }).catch(() => undefined);
    const stalled = await fetch(`${base}/stall`);
    const reader = stalled.body!.getReader();
    await reader.read();
    await reader.cancel();
    const [hang] = await spansWhere(
      receiver,
      'the /hang span',
      (s) => s.attributes['url.path'] === '/hang',
    );
    expect(hang!.attributes).not.toHaveProperty('http.response.status_code');
    expect(hang!.attributes['error.type']).toBe('aborted');
    expect(hang!.statusCode).toBe(2);
    const stall = await spanOf(receiver, stalled);
    // The status line was sent: it stays, and the request still failed.
    expect(stall.attributes['http.response.status_code']).toBe(200);
    expect(stall.attributes['error.type']).toBe('aborted');

    const text = await scrape(app.metricsPort);
    expect(text).not.toContain('http_response_status_code="0"');
    const h = seriesOf(text, METRIC).find((s) => s.http_route === '/hang');
    expect(h).toMatchObject({ error_type: 'aborted', url_scheme: 'http', _count: '1' });
    expect(h).not.toHaveProperty('http_response_status_code');
  });

  it('describes the original request behind a proxy: Forwarded, then X-Forwarded-*, malformed ones ignored', async () => {
    const forwarded = await fetch(`${base}/items/f`, {
      headers: {
        forwarded: 'for="[2001:db8::7]:4711";proto=https;host="shop.example:8443", for=10.0.0.9',
      },
    });
    const xf = await fetch(`${base}/items/x`, {
      headers: {
        'x-forwarded-for': '203.0.113.9, 10.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example',
      },
    });
    // Forwarded wins over X-Forwarded-* where both speak.
    const both = await fetch(`${base}/items/b`, {
      headers: {
        forwarded: 'for=192.0.2.60',
        'x-forwarded-for': '198.51.100.1',
        'x-forwarded-proto': 'https',
      },
    });
    const malformed = await fetch(`${base}/items/m`, {
      headers: {
        forwarded: 'for="[2001:db8::7;proto=https',
        'x-forwarded-for': 'not-an-ip',
        'x-forwarded-proto': 'gopher',
        'x-forwarded-host': 'bad host/',
      },
    });
    const [f, x, b, m] = await Promise.all(
      [forwarded, xf, both, malformed].map((r) => spanOf(receiver, r)),
    );
    expect(f!.attributes).toMatchObject({
      'client.address': '2001:db8::7',
      'server.address': 'shop.example',
      'server.port': 8443,
      'url.scheme': 'https',
      'network.peer.address': '127.0.0.1',
    });
    expect(x!.attributes).toMatchObject({
      'client.address': '203.0.113.9',
      'server.address': 'api.example',
      // No port given: the scheme's default.
      'server.port': 443,
      'url.scheme': 'https',
      'network.peer.address': '127.0.0.1',
    });
    expect(b!.attributes).toMatchObject({ 'client.address': '192.0.2.60', 'url.scheme': 'https' });
    expect(m!.attributes).toMatchObject({
      'client.address': '127.0.0.1',
      'server.address': '127.0.0.1',
      'server.port': app.port,
      'url.scheme': 'http',
    });
    const https = seriesOf(await scrape(app.metricsPort), METRIC).find(
      (s) => s.http_route === '/items/:id' && s.url_scheme === 'https',
    );
    expect(https?._count).toBe('3');
  });

  it("records the span's own duration in the histogram, to the microsecond", async () => {
    // DELETE: a series of its own, with this one request in it.
    const res = await fetch(`${base}/items/d`, { method: 'DELETE' });
    const span = await spanOf(receiver, res);
    const spanSeconds = Number(span.endNanos - span.startNanos) / 1e9;
    const sum = sumOf(await scrape(app.metricsPort), METRIC, {
      http_request_method: 'DELETE',
      http_route: '/items/:id',
    });
    expect(Math.abs(sum - spanSeconds)).toBeLessThan(1e-6);
  });

  it('exports its spans under the scope @o11y/sdk with the SDK version and the semconv schema URL', async () => {
    await spansWhere(receiver, 'a span of app', (s) => s.resource['service.name'] === 'app');
    const scopes = exportedScopes(receiver).filter((s) => s.name === '@o11y/sdk');
    expect(scopes.length).toBeGreaterThan(0);
    for (const s of scopes) {
      expect(s.version).toBe(SDK_PACKAGE_VERSION);
      expect(s.schemaUrl).toBe('https://opentelemetry.io/schemas/1.38.0');
    }
  });
});
