// Row 15, telemetry: a secret in a query string never leaves in a span or a log, and a black-holed
// collector cannot stretch a service's shutdown past the SDK's deadline.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { covers, ROWS } from './rows.js';
import { faultWorld, sleep } from './environment.js';

let stack: TestStack;
let user: TestUser;

describe('telemetry', () => {
  beforeAll(async () => {
    stack = faultWorld().stack;
    user = await stack.register();
  });

  it('row 15: secrets in query parameters are redacted from every exported span and log', async () => {
    covers(ROWS.queryToken);
    const secret = `SECRET${randomBytes(8).toString('hex')}`;
    stack.receiver.watch(secret);
    const res = await stack.api(
      'GET',
      `/api/v1/products?token=${secret}&access_token=${secret}&api_key=${secret}&page=1`,
      { token: user.token },
    );
    expect(res.status).toBe(200);
    const traceId = res.headers.get('traceresponse')!.split('-')[1]!;
    await stack.waitFor('the request exported by the gateway', () =>
      Promise.resolve(stack.receiver.servicesInTrace(traceId).has('gateway')),
    );
    await sleep(1500); // logs ship from a worker, a little later
    expect(stack.receiver.sightings(secret)).toBe(0);
  });

  it('row 15: under traffic, with the collector black-holed, SIGTERM exits 0 within the SDK deadline (2 s) and a margin', async () => {
    covers(ROWS.shutdown);
    const sockets = new Set<Socket>();
    const hole: Server = createServer((s) => {
      sockets.add(s); // accepted, never answered
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    try {
      const extra = await stack.launchExtra('users', {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${endpoint}/v1/logs`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      // a client on a keep-alive connection (as the gateway's pool is) that keeps sending
      const login = () =>
        fetch(`${extra.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: user.email, password: 'not it' }),
        }).then(
          (r) => r.text(),
          () => undefined,
        );
      for (let i = 0; i < 20; i++) await login();
      await sleep(500); // the exports are now hanging on the black hole
      let sending = true;
      const traffic = (async () => {
        while (sending) await login();
      })();
      await sleep(300);
      const started = Date.now();
      const code = await stack.stopExtra(extra.process);
      const took = Date.now() - started;
      sending = false;
      await traffic;
      expect(code).toBe(0);
      expect(took).toBeLessThan(2000 + 700);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  });
});
