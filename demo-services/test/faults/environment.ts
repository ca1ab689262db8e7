// The fault suite's world: a stack whose every database lives on a private PostgreSQL server (so a
// test can restart "the database" for real), whose gateway uses a private Redis (so a test can
// hang it), whose breakable links go through TCP proxies, with a canary HTTP server standing for
// every host outside the upstreams (any request it receives is one forwarded where it must not
// be), and a ledger of every order each test placed, which the audit checks at the end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { TestStack, type TestUser } from '../support/stack.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { PrivateRedis } from '../support/private-redis.js';
import type { ApiResponse } from '../support/http.js';

export class Canary {
  hits: string[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.hits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"canary":true}');
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

export interface FaultWorld {
  stack: TestStack;
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  canary: Canary;
  /** Order ids per table row, in the order they were placed. */
  ledger: Map<string, string[]>;
  /** Stock per product before the first order. */
  initialStock: Map<string, number>;
}

let world: FaultWorld | undefined;

export function faultWorld(): FaultWorld {
  if (!world) throw new Error('the fault suite file must call useFaultWorld()');
  return world;
}

/** Settings close to production's, where the faults depend on them. */
const ENV = {
  UPSTREAM_TIMEOUT_MS: '2000',
  // the production default (empty = the service's own default), so a restart test measures it
  BREAKER_HALF_OPEN_MS: '',
  SAGA_RESPONSE_WAIT_MS: '5000',
  DB_STATEMENT_TIMEOUT_MS: '3000',
  DB_CONNECT_TIMEOUT_MS: '2000',
  CONSUMER_RETRY_BASE_MS: '500',
  CONSUMER_RETRY_MAX_MS: '4000',
  CONSUMER_MAX_ATTEMPTS: '14',
  DEAD_LETTER_CHECK_MS: '1000',
};

export function useFaultWorld(): void {
  beforeAll(async () => {
    const postgres = new PrivatePostgres();
    const redis = new PrivateRedis();
    const canary = new Canary();
    try {
      await postgres.start();
      await redis.start();
      await canary.start();
      const stack = await TestStack.start({
        pgAdminUrl: postgres.adminUrl,
        redisUrl: redis.url,
        env: ENV,
        links: [
          'orders->payments',
          'orders->inventory',
          'orders->broker',
          'shipping->broker',
          'shipping->database',
        ],
      });
      const { rows } = await stack
        .db('inventory')
        .query<{ id: string; stock: number }>('SELECT id, stock FROM products');
      world = {
        stack,
        postgres,
        redis,
        canary,
        ledger: new Map(),
        initialStock: new Map(rows.map((r) => [r.id, r.stock])),
      };
    } catch (err) {
      postgres.stop();
      redis.stop();
      await canary.stop();
      throw err;
    }
  }, 240_000);
  afterAll(async () => {
    if (!world) return;
    await world.stack.stop();
    world.postgres.stop();
    world.redis.stop();
    await world.canary.stop();
    world = undefined;
  }, 60_000);
}

/** Places an order through the gateway and records it under `row` (whatever the answer). */
export async function placeOrder(
  row: string,
  user: TestUser,
  productId = 'sku-mug',
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const { stack, ledger } = faultWorld();
  const res = await stack
    .api('POST', '/api/v1/orders', {
      token: user.token,
      body: { items: [{ productId, quantity: 1 }] },
      headers,
    })
    .catch((err: unknown) => ({ status: 0, body: { error: String(err) }, headers: new Headers() }));
  // the answer may be lost (a fault): find the orders of this user the ledger does not know yet
  const { rows } = await stack
    .db('orders')
    .query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at', [
      user.id,
    ]);
  const ids = ledger.get(row) ?? [];
  const known = new Set([...ledger.values()].flat());
  for (const { id } of rows) if (!known.has(id)) ids.push(id);
  ledger.set(row, ids);
  return res;
}

/** Every order of `user`, recorded under `row` (for orders placed without placeOrder). */
export async function recordOrdersOf(row: string, user: TestUser): Promise<string[]> {
  const { stack, ledger } = faultWorld();
  const { rows } = await stack
    .db('orders')
    .query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1', [user.id]);
  const known = new Set([...ledger.values()].flat());
  const ids = ledger.get(row) ?? [];
  for (const { id } of rows) if (!known.has(id)) ids.push(id);
  ledger.set(row, ids);
  return ids;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
