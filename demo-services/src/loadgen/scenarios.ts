// The traffic mix: what a population of shoppers does, plus a share of broken requests so the
// 4xx paths are visible too. Each scenario reports whether its answer was the expected one.
import { randomBytes, randomUUID } from 'node:crypto';

export interface Shopper {
  id: string;
  email: string;
  token: string;
  orders: string[];
}

export interface Call {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export type Send = (call: Call) => Promise<{ status: number; body: unknown }>;
export type Outcome = 'ok' | 'expected_4xx' | 'error';

const PRODUCTS = [
  'sku-espresso-beans',
  'sku-filter-papers',
  'sku-grinder',
  'sku-kettle',
  'sku-scale',
  'sku-dripper',
  'sku-mug',
  'sku-tamper',
  'sku-milk-jug',
  'sku-limited-roast',
];
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const ok = (status: number, ...expected: number[]): Outcome =>
  expected.includes(status) ? 'ok' : 'error';
const expected4xx = (status: number, ...expected: number[]): Outcome =>
  expected.includes(status) ? 'expected_4xx' : 'error';

export async function signUp(send: Send): Promise<Shopper | undefined> {
  const email = `shopper-${randomBytes(5).toString('hex')}@loadgen.example`;
  const password = 'loadgen-password';
  const created = await send({
    method: 'POST',
    path: '/api/v1/users',
    body: { email, password, name: 'Load Shopper' },
  });
  if (created.status !== 202) return undefined;
  const login = await send({
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email, password },
  });
  if (login.status !== 200) return undefined;
  return {
    id: (login.body as { user: { id: string } }).user.id,
    email,
    token: (login.body as { token: string }).token,
    orders: [],
  };
}

type Scenario = { name: string; weight: number; run: (send: Send, s: Shopper) => Promise<Outcome> };

export const scenarios: Scenario[] = [
  {
    name: 'browse',
    weight: 30,
    run: async (send, s) =>
      ok((await send({ method: 'GET', path: '/api/v1/products', token: s.token })).status, 200),
  },
  {
    name: 'product',
    weight: 15,
    run: async (send, s) =>
      ok(
        (await send({ method: 'GET', path: `/api/v1/products/${pick(PRODUCTS)}`, token: s.token }))
          .status,
        200,
      ),
  },
  {
    name: 'order',
    weight: 20,
    run: async (send, s) => {
      const items = Array.from({ length: 1 + Math.floor(Math.random() * 2) }, () => ({
        productId: pick(PRODUCTS),
        quantity: 1 + Math.floor(Math.random() * 2),
      }));
      const headers: Record<string, string> =
        Math.random() < 0.5 ? { 'idempotency-key': randomUUID() } : {};
      const res = await send({
        method: 'POST',
        path: '/api/v1/orders',
        token: s.token,
        body: { items },
        headers,
      });
      if (res.status === 201) {
        s.orders.push((res.body as { id: string }).id);
        if (s.orders.length > 20) s.orders.shift();
      }
      return ok(res.status, 201);
    },
  },
  {
    name: 'read-order',
    weight: 10,
    run: async (send, s) => {
      if (!s.orders.length)
        return ok(
          (await send({ method: 'GET', path: `/api/v1/orders?userId=${s.id}`, token: s.token }))
            .status,
          200,
        );
      return ok(
        (await send({ method: 'GET', path: `/api/v1/orders/${pick(s.orders)}`, token: s.token }))
          .status,
        200,
      );
    },
  },
  {
    name: 'summary',
    weight: 10,
    run: async (send, s) =>
      ok(
        (await send({ method: 'GET', path: `/api/v1/users/${s.id}/summary`, token: s.token }))
          .status,
        200,
      ),
  },
  {
    name: 'list-orders',
    weight: 5,
    run: async (send, s) =>
      ok(
        (await send({ method: 'GET', path: `/api/v1/orders?userId=${s.id}`, token: s.token }))
          .status,
        200,
      ),
  },
  {
    name: 'cancel',
    weight: 2,
    run: async (send, s) => {
      const id = s.orders.shift();
      if (!id) return 'ok';
      const res = await send({ method: 'DELETE', path: `/api/v1/orders/${id}`, token: s.token });
      return res.status === 409 ? 'expected_4xx' : ok(res.status, 200);
    },
  },
  // broken requests, on purpose
  {
    name: 'no-token',
    weight: 2,
    run: async (send) =>
      expected4xx((await send({ method: 'GET', path: '/api/v1/products' })).status, 401),
  },
  {
    name: 'bad-body',
    weight: 2,
    run: async (send, s) =>
      expected4xx(
        (
          await send({
            method: 'POST',
            path: '/api/v1/orders',
            token: s.token,
            body: { items: [{ productId: 'sku-mug', quantity: 'many' }] },
          })
        ).status,
        400,
      ),
  },
  {
    name: 'malformed-json',
    weight: 1,
    run: async (send, s) =>
      expected4xx(
        (await send({ method: 'POST', path: '/api/v1/orders', token: s.token, raw: '{"items": [' }))
          .status,
        400,
      ),
  },
  {
    name: 'unknown-route',
    weight: 1,
    run: async (send, s) =>
      expected4xx(
        (await send({ method: 'GET', path: '/api/v1/wishlist', token: s.token })).status,
        404,
      ),
  },
  {
    name: 'wrong-password',
    weight: 1,
    run: async (send, s) =>
      expected4xx(
        (
          await send({
            method: 'POST',
            path: '/api/v1/auth/login',
            body: { email: s.email, password: 'not-the-password' },
          })
        ).status,
        401,
        429, // the gateway limits failed logins per account and per address
      ),
  },
  {
    name: 'someone-else',
    weight: 1,
    run: async (send, s) =>
      expected4xx(
        (await send({ method: 'GET', path: `/api/v1/users/${randomUUID()}`, token: s.token }))
          .status,
        403,
      ),
  },
];

const totalWeight = scenarios.reduce((n, s) => n + s.weight, 0);
export function pickScenario(): Scenario {
  let r = Math.random() * totalWeight;
  for (const s of scenarios) {
    r -= s.weight;
    if (r <= 0) return s;
  }
  return scenarios[0]!;
}
