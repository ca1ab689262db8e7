import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import {
  baseEnv,
  closedPort,
  killAll,
  scrape,
  startFixture,
  type Running,
} from './support/processes';
import { CLIENT, seriesOf, spanOf, spansWhere, sumOf } from './support/http-semconv';

// Client spans (http.request and fetch) and http_client_request_duration_seconds against the
// stable HTTP semantic conventions (1.38): the app calls itself through /call.

const METRIC = 'http_client_request_duration_seconds';
const VIAS = ['http', 'fetch'] as const;

describe('client spans and metrics of an app started with --import @o11y/sdk/register', () => {
  const receiver = new OtlpReceiver();
  let app: Running;
  let base: string;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    app = await startFixture('http-semconv.cjs', { env: baseEnv(endpoint) });
    base = `http://127.0.0.1:${app.port}`;
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  /** Has the app call `target` and returns the client span of that call. */
  async function call(via: string, target: string, extra = '') {
    const res = await fetch(
      `${base}/call?via=${via}&to=${encodeURIComponent(`${base}${target}`)}${extra}`,
    );
    const server = await spanOf(receiver, res);
    const [client] = await spansWhere(
      receiver,
      `the ${via} client span`,
      (s) => s.kind === CLIENT && s.parentSpanId === server.spanId,
    );
    return { res, body: (await res.json()) as { status?: number; body?: string }, client: client! };
  }

  for (const via of VIAS) {
    it(`${via}: sets the required and recommended attributes, error.type on a 4xx, and the metric labels`, async () => {
      const { body, client } = await call(via, '/teapot');
      expect(body.status).toBe(418);
      expect(client.name).toBe('GET');
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': app.port,
        'url.full': `${base}/teapot`,
        'http.response.status_code': 418,
        'error.type': '418',
        'network.peer.address': '127.0.0.1',
        'network.peer.port': app.port,
        'network.protocol.version': '1.1',
      });
      expect(client.statusCode).toBe(2);
      const success = await call(via, '/items/5');
      expect(success.client.attributes).not.toHaveProperty('error.type');
      const series = seriesOf(await scrape(app.metricsPort), METRIC);
      expect(series).toContainEqual(
        expect.objectContaining({
          http_request_method: 'GET',
          server_address: '127.0.0.1',
          server_port: String(app.port),
          http_response_status_code: '418',
          error_type: '418',
        }),
      );
      const ok = series.find((s) => s.http_response_status_code === '200');
      expect(ok).toMatchObject({ server_port: String(app.port) });
      expect(ok).not.toHaveProperty('error_type');
    });

    it(`${via}: reports an unknown method as _OTHER with the original, in a span named HTTP`, async () => {
      const { client } = await call(via, '/items/9', '&method=PROPFIND');
      expect(client.name).toBe('HTTP');
      expect(client.attributes).toMatchObject({
        'http.request.method': '_OTHER',
        'http.request.method_original': 'PROPFIND',
        'http.response.status_code': 200,
      });
    });

    it(`${via}: sends one traceparent, its own, when the app set one`, async () => {
      const appSet = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const { body, client } = await call(via, '/echo-headers', `&traceparent=${appSet}`);
      const raw = (JSON.parse(body.body!) as { headers: string[] }).headers;
      const sent = raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'traceparent');
      expect(sent).toEqual([`00-${client.traceId}-${client.spanId}-01`]);
    });
  }

  it('records a call without a response with no status code and an error type, span and metric', async () => {
    const closed = await closedPort();
    const refused = await fetch(
      `${base}/call?via=fetch&to=${encodeURIComponent(`http://127.0.0.1:${closed}/`)}`,
    );
    expect(refused.status).toBe(502);
    const viaFetch = await call('fetch', '/hang', '&abortMs=150');
    const viaHttp = await call('http', '/hang', '&abortMs=150');
    expect(viaFetch.client.attributes['error.type']).toBe('TimeoutError');
    expect(viaHttp.client.attributes['error.type']).toBe('Error');
    const [econn] = await spansWhere(
      receiver,
      'the refused call',
      (s) => s.kind === CLIENT && s.attributes['server.port'] === closed,
    );
    expect(econn!.attributes['error.type']).toBe('ECONNREFUSED');
    for (const s of [viaFetch.client, viaHttp.client, econn!]) {
      expect(s.attributes).not.toHaveProperty('http.response.status_code');
      expect(s.statusCode).toBe(2);
    }
    const text = await scrape(app.metricsPort);
    expect(text).not.toContain('http_response_status_code="0"');
    const failed = seriesOf(text, METRIC).filter((s) => s.error_type !== undefined);
    expect(failed).toContainEqual(
      expect.objectContaining({ server_port: String(closed), error_type: 'ECONNREFUSED' }),
    );
    expect(failed).toContainEqual(expect.objectContaining({ error_type: 'TimeoutError' }));
    for (const s of failed.filter((l) => l.error_type !== '418'))
      expect(s).not.toHaveProperty('http_response_status_code');
  });

  for (const via of VIAS) {
    it(`${via}: records the span's own duration in the histogram, to the microsecond`, async () => {
      // A method used once per client: a series holding this one call.
      const method = via === 'http' ? 'PUT' : 'PATCH';
      const { client } = await call(via, '/items/1', `&method=${method}`);
      const spanSeconds = Number(client.endNanos - client.startNanos) / 1e9;
      const sum = sumOf(await scrape(app.metricsPort), METRIC, { http_request_method: method });
      expect(Math.abs(sum - spanSeconds)).toBeLessThan(1e-6);
    });
  }
});
