import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, scrape, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

async function routeOf(port: number, metricsPort: number, service: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/orders/9`);
  expect(res.status).toBe(200);
  const traceId = res.headers.get('traceresponse')!.split('-')[1];
  const span = await receiver.waitFor(`${service} server span`, () =>
    receiver.spans.find((s) => s.traceId === traceId && s.kind === 2),
  );
  expect(span.name).toBe('GET /api/v1/orders/:id');
  expect(span.resource['service.name']).toBe(service);
  expect((await fetch(`http://127.0.0.1:${port}/api/v1/missing`)).status).toBe(404);
  const text = await scrape(metricsPort);
  expect(text).toContain(
    `http_route="/api/v1/orders/:id",http_response_status_code="200",url_scheme="http"} 1`,
  );
  expect(text).toContain(
    `http_route="unmatched",http_response_status_code="404",url_scheme="http"} 1`,
  );
}

/** The app called itself over http: its server span, a client span under it, the inner server span under that. */
async function expectClientSpanBetweenServerSpans(res: Response): Promise<void> {
  const [, traceId, outerId] = res.headers.get('traceresponse')!.split('-');
  const inner = await receiver.waitFor('the inner server span', () =>
    receiver.spans.find((s) => s.traceId === traceId && s.kind === 2 && s.spanId !== outerId),
  );
  // the client span ends after the inner server span: it may come in a later batch
  const client = await receiver.waitFor('the client span between them', () =>
    receiver.spans.find((s) => s.spanId === inner.parentSpanId),
  );
  expect(client?.kind).toBe(3);
  expect(client?.parentSpanId).toBe(outerId);
}

describe('an ES module app', () => {
  it('is instrumented under --import (the register entry installs the ESM hook itself)', async () => {
    const app = await startFixture('service.mjs', {
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'esm-app' },
    });
    await routeOf(app.port, app.metricsPort, 'esm-app');
    const logged = app.lines().find((l) => l.msg === 'order fetched');
    expect(logged?.trace_id).toMatch(/^[0-9a-f]{32}$/);

    // `import { get } from 'node:http'`: a client span between the two server spans.
    const res = await fetch(`http://127.0.0.1:${app.port}/esm-get`);
    expect(await res.json()).toEqual({ status: 200 });
    await expectClientSpanBetweenServerSpans(res);
  });
});

describe("an ES module app whose first import is '@o11y/sdk/register'", () => {
  it('traces outbound calls made through a named import of node:http', async () => {
    const app = await startFixture('first-import.mjs', {
      preload: [],
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'first-import' },
    });
    const res = await fetch(`http://127.0.0.1:${app.port}/call`);
    expect(await res.text()).toBe('200');
    await expectClientSpanBetweenServerSpans(res);
  });
});

describe('an express 4 app', () => {
  it('gets the same span names and route labels, and its package.json name and version', async () => {
    const app = await startFixture('service.cjs', {
      preload: ['-r', '@o11y/sdk/register'],
      cwd: join(FIXTURES, 'express4'),
      env: baseEnv(endpoint),
    });
    await routeOf(app.port, app.metricsPort, 'express4-fixture');
    // A sub-app mounted at a path with a parameter: express 4 keeps its router elsewhere.
    expect((await fetch(`http://127.0.0.1:${app.port}/tenants/t1/items/9`)).status).toBe(200);
    expect(await scrape(app.metricsPort)).toContain(
      'http_route="/tenants/:tenant/items/:item",http_response_status_code="200",url_scheme="http"} 1',
    );
    const span = receiver.spans.find((s) => s.resource['service.name'] === 'express4-fixture');
    expect(span?.resource['service.version']).toBe('4.0.0-fixture');
  });
});

describe("a CommonJS app whose first line is require('@o11y/sdk/register')", () => {
  it('is instrumented without any preload flag', async () => {
    const app = await startFixture('first-line.cjs', {
      preload: [],
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'first-line' },
    });
    await routeOf(app.port, app.metricsPort, 'first-line');
  });
});
