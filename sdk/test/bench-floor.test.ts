import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { closedPort, killAll, startFixture, type Running } from './support/processes';

// The benchmark's `floor` variant is a yardstick: the least any instrumentation with the SDK's
// per-request outputs can cost. It only says that if it really produces those outputs, so this
// runs it as the benchmark does (preloaded into the benchmark's express app) and checks them.
const BENCH = join(__dirname, '..', 'bench');
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

describe('benchmark floor variant', () => {
  const receiver = new OtlpReceiver();
  let app: Running;
  let port: number;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    port = await closedPort();
    app = await startFixture(join(BENCH, 'apps', 'server.cjs'), {
      preload: ['--require', join(BENCH, 'apps', 'floor.cjs')],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_PROMETHEUS_PORT: '0',
        PORT: String(port),
      },
      cwd: BENCH,
      noReady: true,
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${port}/unknown`);
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`bench app not up: ${app.stderr()}`, { cause: err });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  it('exports one server span per request, in the caller trace, named by route, with the SDK attributes', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`http://127.0.0.1:${port}/hello`, {
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    expect(res.status).toBe(200);
    const header = res.headers.get('traceresponse') ?? '';
    expect(header).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`));
    const fresh = await fetch(`http://127.0.0.1:${port}/hello`);
    const freshTrace = (fresh.headers.get('traceresponse') ?? '').split('-')[1];
    const after = BigInt(Date.now()) * 1_000_000n;

    await expect
      .poll(() => receiver.spans.filter((s) => s.name === 'GET /hello').length, { timeout: 10_000 })
      .toBe(2);
    const [child, root] = [CALLER_TRACE, freshTrace].map((t) =>
      receiver.spans.find((s) => s.traceId === t),
    );
    expect(child).toMatchObject({
      spanId: header.split('-')[2],
      parentSpanId: CALLER_SPAN,
      kind: 2,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/hello',
        'http.response.status_code': 200,
        'url.path': '/hello',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': port,
      },
    });
    expect(child!.startNanos >= before - 5_000_000n && child!.startNanos <= child!.endNanos).toBe(
      true,
    );
    expect(child!.endNanos <= after + 5_000_000n).toBe(true);
    expect(root).toMatchObject({ parentSpanId: '', kind: 2 });
    expect(root!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
