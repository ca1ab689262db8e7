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

const SERVER = 2;
const CLIENT = 3;

describe('two CommonJS express 5 services started with --import @o11y/sdk/register', () => {
  const receiver = new OtlpReceiver();
  let front: Running;
  let back: Running;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    [front, back] = await Promise.all([
      startFixture('service.cjs', { env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'front' } }),
      startFixture('service.cjs', {
        env: {
          ...baseEnv(endpoint),
          OTEL_SERVICE_NAME: 'back',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        },
      }),
    ]);
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  it('propagates context: the back service span is a child of the front service client span', async () => {
    const res = await fetch(
      `http://127.0.0.1:${front.port}/api/v1/orders/7/downstream?to=http://127.0.0.1:${back.port}`,
    );
    expect(res.status).toBe(200);
    const traceId = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(
      res.headers.get('traceresponse') ?? '',
    )?.[1];
    expect(traceId, 'traceresponse header').toBeDefined();

    const spans = await receiver.waitFor('the whole trace', () => {
      const t = receiver.spans.filter((s) => s.traceId === traceId);
      return t.filter((s) => s.kind === SERVER).length >= 3 ? t : undefined;
    });
    const frontServer = spans.find(
      (s) => s.kind === SERVER && s.resource['service.name'] === 'front',
    );
    expect(frontServer?.name).toBe('GET /api/v1/orders/:id/downstream');
    expect(frontServer?.parentSpanId).toBe('');
    expect(res.headers.get('traceresponse')).toBe(`00-${traceId}-${frontServer?.spanId}-01`);

    const clients = spans.filter(
      (s) => s.kind === CLIENT && s.resource['service.name'] === 'front',
    );
    expect(clients.map((s) => s.scope)).toEqual(['@o11y/sdk', '@o11y/sdk']);
    // fetch's client span: the same attributes as http's, from undici's channels.
    expect(clients.map((c) => c.attributes['url.full'])).toEqual([
      `http://127.0.0.1:${back.port}/api/v1/orders/7`,
      `http://127.0.0.1:${back.port}/api/v1/orders/7`,
    ]);
    for (const c of clients)
      expect(c.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': back.port,
        'http.response.status_code': 200,
      });
    for (const c of clients) expect(c.parentSpanId).toBe(frontServer?.spanId);

    const backServers = spans.filter(
      (s) => s.kind === SERVER && s.resource['service.name'] === 'back',
    );
    expect(backServers).toHaveLength(2);
    for (const b of backServers) {
      expect(b.name).toBe('GET /api/v1/orders/:id');
      expect(clients.map((c) => c.spanId)).toContain(b.parentSpanId);
    }
    // Express layer spans are off: only server and client spans.
    expect(spans.filter((s) => s.scope.includes('express'))).toEqual([]);
    expect(backServers[0]?.resource['deployment.environment.name']).toBe('test');
  });

  it('traces outbound http.request calls: attributes, failures, unread responses, context in callbacks', async () => {
    const closed = await closedPort();
    const res = await fetch(
      `http://127.0.0.1:${front.port}/api/v1/orders/8/outbound?to=http://127.0.0.1:${back.port}&closed=${closed}`,
    );
    expect(await res.json()).toEqual({
      answered: 200,
      refused: 'ECONNREFUSED',
      ignored: 'closed',
      fetchRefused: 'ECONNREFUSED',
    });
    const [, traceId, serverSpanId] = res.headers.get('traceresponse')!.split('-');
    const spans = await receiver.waitFor('four client spans and two back server spans', () => {
      const t = receiver.spans.filter((s) => s.traceId === traceId);
      return t.filter((s) => s.kind === CLIENT).length >= 4 &&
        t.filter((s) => s.kind === SERVER).length >= 3
        ? t
        : undefined;
    });
    const clients = spans.filter((s) => s.kind === CLIENT);
    for (const c of clients) {
      expect(c.name).toBe('GET');
      expect(c.scope).toBe('@o11y/sdk');
      expect(c.parentSpanId).toBe(serverSpanId);
    }
    const answered = clients.find((c) => String(c.attributes['url.full']).includes('/8?'));
    expect(answered?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': back.port,
      'url.full': `http://127.0.0.1:${back.port}/api/v1/orders/8?sig=REDACTED&a=1`,
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': back.port,
    });
    expect(answered?.statusCode).toBe(0);
    // The back service continued the trace from the injected traceparent.
    const backServer = spans.find(
      (s) =>
        s.kind === SERVER &&
        s.resource['service.name'] === 'back' &&
        s.parentSpanId === answered?.spanId,
    );
    expect(backServer?.name).toBe('GET /api/v1/orders/:id');

    // Refused, over http.request and over fetch: an error span without a status code.
    const refused = clients.filter((c) => String(c.attributes['url.full']).includes(`:${closed}/`));
    expect(refused.map((c) => c.attributes['url.full']).sort()).toEqual([
      `http://127.0.0.1:${closed}/`,
      `http://127.0.0.1:${closed}/by-fetch?sig=REDACTED`,
    ]);
    for (const c of refused) {
      expect(c.attributes['error.type']).toBe('ECONNREFUSED');
      expect(c.statusCode).toBe(2);
      expect(c.attributes['http.response.status_code']).toBeUndefined();
    }

    const ignored = clients.find((c) => String(c.attributes['url.full']).endsWith('/ignored'));
    expect(ignored?.attributes['http.response.status_code']).toBe(200);

    // The response's listeners ran in the caller's context: the line carries its server span.
    const line = await receiver.waitFor('the line logged on the response', () =>
      front.lines().find((l) => l.msg === 'downstream answered'),
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: serverSpanId });

    const text = await scrape(front.metricsPort);
    expect(text).toMatch(
      // No response: no status code label (not an invented one), and the error's type.
      /http_client_request_duration_seconds_count\{[^}]*http_request_method="GET",server_address="127.0.0.1",server_port="\d+",error_type="ECONNREFUSED"\} 2/,
    );
  });

  it('records the full nested route template, collapses unmatched paths, and links exemplars to exported traces', async () => {
    const ok = await fetch(`http://127.0.0.1:${back.port}/api/v1/orders/42?sig=s3cr3t&page=2`);
    expect(ok.status).toBe(200);
    const traceId = ok.headers.get('traceresponse')!.split('-')[1];
    for (const path of ['/api/v1/nope', '/api/v1/orders/42/x/y', '/wp-admin.php']) {
      expect((await fetch(`http://127.0.0.1:${back.port}${path}`)).status).toBe(404);
    }
    const text = await scrape(back.metricsPort);
    const routes = new Set(
      [
        ...text.matchAll(/http_server_request_duration_seconds_count\{[^}]*http_route="([^"]*)"/g),
      ].map((m) => m[1]),
    );
    expect(routes).toEqual(new Set(['/api/v1/orders/:id', 'unmatched']));
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{service_name="back",service_version="[^"]+",deployment_environment="test",http_request_method="GET",http_route="unmatched",http_response_status_code="404",url_scheme="http"\} 3/,
    );
    expect(text).toContain('# EOF');

    // The exemplar of the bucket holding this request names a trace the receiver really got.
    const exemplarTraceIds = [
      ...text.matchAll(/http_route="\/api\/v1\/orders\/:id".*# \{[^}]*trace_id="([0-9a-f]{32})"/g),
    ].map((m) => m[1]);
    expect(exemplarTraceIds).toContain(traceId);
    const server = await receiver.waitFor('the exemplar trace', () =>
      receiver.spans.find((s) => s.traceId === traceId && s.kind === SERVER),
    );
    // Stable HTTP semantic conventions, signed-URL credentials redacted from the query.
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/v1/orders/:id',
      'http.response.status_code': 200,
      'url.path': '/api/v1/orders/42',
      'url.query': 'sig=REDACTED&page=2',
      'url.scheme': 'http',
    });
  });

  it('names routes reached through sub-apps, a router mounted twice and a regular expression', async () => {
    for (const path of [
      '/tenants/t1/items/9',
      '/tenants/t2/items/10',
      '/a/ping',
      '/b/ping',
      '/re/12',
      '/r/sub/leaf',
    ]) {
      expect((await fetch(`http://127.0.0.1:${front.port}${path}`)).status, path).toBe(200);
    }
    const text = await scrape(front.metricsPort);
    // As the exposition format writes label values: backslashes doubled.
    const count = (route: string) => {
      const label = route.replace(/\\/g, '\\\\').replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
      const series = `http_server_request_duration_seconds_count\\{[^}]*http_route="${label}",`;
      return new RegExp(
        `${series}http_response_status_code="200",url_scheme="http"\\} (\\d+)`,
      ).exec(text)?.[1];
    };
    expect(count('/tenants/:tenant/items/:item')).toBe('2');
    expect(count('/a,/b/ping')).toBe('2');
    expect(count(String(/^\/re\/\d+$/))).toBe('1');
    expect(count('/r/sub/leaf')).toBe('1');
  });

  it('records outbound durations and runtime metrics, all labelled with the service identity', async () => {
    const text = await scrape(front.metricsPort);
    // fetch and http.get of the first test, two http calls answered in the outbound test.
    expect(text).toMatch(
      /http_client_request_duration_seconds_count\{service_name="front",service_version="[^"]+",http_request_method="GET",server_address="127.0.0.1",server_port="\d+",http_response_status_code="200"\} 4/,
    );
    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'o11y_sdk_spans_dropped_total',
      'o11y_sdk_log_records_dropped_total',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}\\{service_name="front"`, 'm'));
    }
    expect(text).toMatch(/^o11y_sdk_export_failures_total\{[^}]*signal="traces"[^}]*\} 0$/m);
    // The SDK's own exports to the collector are not the app's outbound traffic.
    expect(text).not.toMatch(
      /server_address="127.0.0.1",server_port="\d+",http_response_status_code="200"\} ([5-9]|\d\d)/,
    );
  });

  it("correlates the app's own pino logger and ships each of its lines once", async () => {
    const res = await fetch(`http://127.0.0.1:${front.port}/own-pino`);
    const [, traceId, spanId] = res.headers.get('traceresponse')!.split('-');
    const line = await receiver.waitFor('own pino line', () =>
      front.lines().find((l) => l.msg === 'own pino line'),
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: spanId });
    const own = () => receiver.logs.filter((l) => l.body === 'own pino line');
    await receiver.waitFor(
      'the own line and the SDK line logged after it',
      () => own().length > 0 && receiver.logs.some((l) => l.body === 'sdk line after own pino'),
    );
    // More than one log batch delay (OTEL_BLRP_SCHEDULE_DELAY, 100 ms): a second copy of either
    // (the app's pino and the SDK's logger are the same pino module) would be here by now.
    await new Promise((r) => setTimeout(r, 600));
    expect(own()).toHaveLength(1);
    expect(own()[0]).toMatchObject({ traceId, spanId, severityText: 'info' });
    expect(own()[0]!.resource['service.name']).toBe('front');
    expect(receiver.logs.filter((l) => l.body === 'sdk line after own pino')).toHaveLength(1);
  });

  it('serves the same registry from a handler mounted on the app', async () => {
    const res = await fetch(`http://127.0.0.1:${front.port}/app-metrics`);
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text');
    const text = await res.text();
    expect(text).toContain('http_server_request_duration_seconds_bucket{');
    expect(text).toMatch(/^process_cpu_seconds_total\{service_name="front"/m);
  });

  it('writes correlated, redacted JSON lines and ships the same records over OTLP with the trace context', async () => {
    const res = await fetch(`http://127.0.0.1:${back.port}/api/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer s3cret',
        cookie: 'sid=abc',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ password: 'hunter2', cardNumber: '4111111111111111', item: 'book' }),
    });
    expect(res.status).toBe(201);
    const [, traceId, spanId] = res.headers.get('traceresponse')!.split('-');
    const line = await receiver.waitFor('the stdout line', () =>
      back.lines().find((l) => l.msg === 'order received'),
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: spanId, trace_flags: '01' });
    const out = back.stdout();
    for (const secret of ['s3cret', 'sid=abc', 'hunter2', '4111111111111111', 'child-secret'])
      expect(out).not.toContain(secret);
    expect(out).toContain('"item":"book"');

    const child = back.lines().find((l) => l.msg === 'order fetched');
    expect(child?.component).toBe('orders');
    expect(child?.trace_id).toMatch(/^[0-9a-f]{32}$/);

    const record = await receiver.waitFor('the OTLP log record', () =>
      receiver.logs.find((l) => l.body === 'order received'),
    );
    expect(record.traceId).toBe(traceId);
    expect(record.spanId).toBe(spanId);
    expect(record.resource['service.name']).toBe('back');
    const span =
      receiver.spans.find((s) => s.spanId === spanId) ??
      (await receiver.waitFor('the span', () => receiver.spans.find((s) => s.spanId === spanId)));
    for (const key of [
      'service.name',
      'service.version',
      'service.instance.id',
      'deployment.environment.name',
      'host.name',
    ]) {
      expect(record.resource[key], key).toBe(span.resource[key]);
    }
    // Exactly one shipping path: the record arrives once.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.logs.filter((l) => l.body === 'order received')).toHaveLength(1);
  });

  it('ships non-ASCII lines, and a line larger than a whole hand-over batch, intact and in order', async () => {
    const note = 'café ☕ 日本語 ✓';
    const big = 'é'.repeat(40_000); // 80 KB of UTF-8: more than one 64 KB batch
    for (const body of [
      { note, seq: 1 },
      { note: big, seq: 2 },
      { note, seq: 3 },
    ]) {
      const res = await fetch(`http://127.0.0.1:${front.port}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
    }
    const shipped = await receiver.waitFor('the three lines from front', () => {
      const l = receiver.logs.filter(
        (r) => r.body === 'order received' && r.resource['service.name'] === 'front',
      );
      return l.length >= 3 ? l : undefined;
    });
    const bodies = shipped.map((r) => r.attributes.body as { note: string; seq: number });
    expect(bodies.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(bodies.map((b) => b.note)).toEqual([note, big, note]);
  });

  it("runs the request's and response's listeners in the trace when the body arrives in separate packets", async () => {
    // The body's later chunks and its end are parsed from later packets, outside the request's
    // context: listeners on the request (a hand-written body reader) and on the response (an
    // access logger on 'finish') must still log with the request's trace.
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('first part, '));
        await new Promise((r) => setTimeout(r, 150));
        controller.enqueue(encoder.encode('second part'));
        controller.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${back.port}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(201);
    const [, traceId, spanId] = res.headers.get('traceresponse')!.split('-');
    for (const msg of ['upload read', 'upload answered']) {
      const line = await receiver.waitFor(msg, () => back.lines().find((l) => l.msg === msg));
      expect(line, msg).toMatchObject({ bytes: 23, trace_id: traceId, span_id: spanId });
    }
  });

  it('times a request whose client went away before the response, without a status code and with error type aborted', async () => {
    const controller = new AbortController();
    const sent = fetch(`http://127.0.0.1:${back.port}/slow?ms=400`, {
      signal: controller.signal,
    }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    expect(await sent).toBeInstanceOf(Error);
    const span = await receiver.waitFor('the aborted server span', () =>
      receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/slow'),
    );
    expect(span.name).toBe('GET /slow');
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.attributes['http.response.status_code']).toBeUndefined();
    const text = await scrape(back.metricsPort);
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{[^}]*http_route="\/slow",url_scheme="http",error_type="aborted"\} 1/,
    );
  });
});
