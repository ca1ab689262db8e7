/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read JSON bodies whose shape is what they assert */
// Rows 3, 4, 12 and 14: what a client can send to the gateway. Nothing may be forwarded outside the
// upstreams, no path may walk out of the route it matched, text the database cannot store is a 400,
// and nothing a client sends can open a breaker that everyone shares.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { faultWorld, placeOrder } from './environment.js';
import { rawRequest } from './raw-http.js';
import { covers, ROWS } from './rows.js';

let stack: TestStack;
let user: TestUser;
const gatewayPort = () => stack.settings.ports.gateway;
const breaker = (dependency: string) =>
  stack.metric('gateway', 'resilience_circuit_breaker_state', { dependency });

describe('the edge', () => {
  beforeAll(async () => {
    stack = faultWorld().stack;
    user = await stack.register();
  });

  it('row 3: an absolute-form target is served by the gateway own upstream, never by the host it names', async () => {
    covers(ROWS.ssrf);
    const { canary } = faultWorld();
    const body = JSON.stringify({ email: user.email, password: 'a wrong guess' });
    const login = await rawRequest(
      gatewayPort(),
      `POST http://127.0.0.1:${canary.port}/api/v1/auth/login HTTP/1.1`,
      { 'Content-Type': 'application/json', Authorization: 'Bearer a-token-to-steal' },
      body,
    );
    expect(login.status, login.body).toBe(401); // users answered: wrong password
    const products = await rawRequest(
      gatewayPort(),
      `GET http://127.0.0.1:${canary.port}/api/v1/products HTTP/1.1`,
      { Authorization: `Bearer ${user.token}` },
    );
    expect(products.status, products.body).toBe(200);
    expect(products.body).toContain('sku-mug');
    expect(canary.hits).toEqual([]);
  });

  it('row 4: requests that fail because of what they carry leave the shared breakers closed', async () => {
    covers(ROWS.breakerAbuse);
    for (let i = 0; i < 6; i++) {
      const res = await rawRequest(
        gatewayPort(),
        'POST http://127.0.0.1:1/api/v1/auth/login HTTP/1.1',
        {
          'Content-Type': 'application/json',
        },
        JSON.stringify({ email: `nobody-${i}@example.test`, password: 'whatever-it-is' }),
      );
      expect(res.status, res.body).toBe(401);
    }
    const { id } = (await placeOrder(ROWS.breakerAbuse, user)).body;
    for (let i = 0; i < 6; i++) {
      const res = await stack.api('PUT', `/api/v1/orders/${id}`, {
        token: user.token,
        body: { note: `bad\u0000note ${i}` },
      });
      expect(res.status).toBe(400);
    }
    expect(await breaker('users')).toBe(0);
    expect(await breaker('orders')).toBe(0);
    const second = await stack.register(); // register + login: users still served
    expect((await placeOrder(ROWS.breakerAbuse, second)).status).toBe(201);
  });

  it('row 12: a NUL byte or control character in any text is a 400 naming the field, sent upstream once', async () => {
    covers(ROWS.nulByte);
    const { id } = (await placeOrder(ROWS.nulByte, user)).body;
    const retries = await stack.metric('gateway', 'resilience_retries_total', {
      dependency: 'orders',
    });
    const note = await stack.api('PUT', `/api/v1/orders/${id}`, {
      token: user.token,
      body: { note: 'a\u0000b' },
    });
    expect(note.status).toBe(400);
    expect(note.body.message).toContain('body.note');
    expect(
      await stack.metric('gateway', 'resilience_retries_total', { dependency: 'orders' }),
    ).toBe(retries);
    const item = await stack.api('POST', '/api/v1/orders', {
      token: user.token,
      body: { items: [{ productId: 'sku-\u0000mug', quantity: 1 }] },
    });
    expect(item.status).toBe(400);
    expect(item.body.message).toContain('body.items.0.productId');
    const name = await stack.api('POST', '/api/v1/users', {
      body: { email: 'nul@example.test', password: 'long enough password', name: 'a\u0001b' },
    });
    expect(name.status).toBe(400);
    expect(name.body.message).toContain('body.name');
    const product = await stack.api('GET', '/api/v1/products/sku%00mug', { token: user.token });
    expect(product.status).toBe(400);
  });

  it('row 14: backslashes, encoded slashes and dot segments never reach another route', async () => {
    covers(ROWS.traversal);
    for (const path of [
      '/api/v1/orders/..\\..\\..\\readyz',
      '/api/v1/orders/%2e%2e/%2e%2e/%2e%2e/readyz',
      '/api/v1/orders/..%2f..%2f..%2freadyz',
      '/api/v1/orders/..%5c..%5c..%5creadyz',
      '/api/v1/orders/../../../readyz',
    ]) {
      const res = await rawRequest(gatewayPort(), `GET ${path} HTTP/1.1`, {
        Authorization: `Bearer ${user.token}`,
      });
      expect(res.status, `${path}: ${res.body}`).toBe(400);
      expect(res.body, path).not.toContain('"service"');
    }
  });
});
