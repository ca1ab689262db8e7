// orders: the order resource, the saga orchestrator, idempotency keys and the transactional outbox.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import {
  amqpConfig,
  baseConfig,
  consumerConfig,
  databaseConfig,
  databaseUrl,
  internalConfig,
  jwtConfig,
  loadConfig,
  millis,
  port,
  retrySettings,
  upstreamConfig,
  url,
} from '../platform/config/index.js';
import { createPool, withTransaction } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { INTERNAL_TOKEN_HEADER } from '../platform/http/internal-auth.js';
import { conflict, forbidden, HttpError, notFound } from '../platform/http/errors.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { BrokerConnection } from '../platform/messaging/connection.js';
import { OutboxRelay, enqueueEvent } from '../platform/messaging/outbox.js';
import { Consumer } from '../platform/messaging/consumer.js';
import { topologyNames } from '../platform/messaging/topology.js';
import { DeadLetterMonitor } from '../platform/messaging/dead-letters.js';
import { ServiceClient } from '../platform/resilience/client.js';
import { log } from '../platform/telemetry/index.js';
import { SagaOrchestrator } from './saga.js';
import { findOrder, toOrder, type OrderRow } from './repository.js';
import {
  CreateOrderBody,
  IdempotencyHeaders,
  Order,
  OrderIdParams,
  OrderList,
  OrderListQuery,
  OrderShippedEvent,
  UpdateOrderBody,
} from './schemas.js';

const config = loadConfig('orders', {
  ...baseConfig,
  ...jwtConfig,
  ...amqpConfig,
  ...upstreamConfig,
  ...internalConfig,
  ...databaseConfig,
  ...consumerConfig,
  PORT: port(8082),
  DATABASE_URL: databaseUrl('orders'),
  INVENTORY_URL: url('http://localhost:8084'),
  PAYMENTS_URL: url('http://localhost:8083'),
  SAGA_LEASE_MS: millis(15_000),
  SAGA_RECOVERY_INTERVAL_MS: millis(1000),
  // How long POST /orders waits for the saga before answering with the order as it is (PENDING).
  SAGA_RESPONSE_WAIT_MS: millis(8000),
  OUTBOX_POLL_MS: millis(500),
});

const policySettings = {
  timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  retries: config.UPSTREAM_RETRIES,
  breakerThreshold: config.BREAKER_THRESHOLD,
  halfOpenAfterMs: config.BREAKER_HALF_OPEN_MS,
  bulkheadLimit: config.BULKHEAD_LIMIT,
  bulkheadQueue: config.BULKHEAD_QUEUE,
};

const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const db = createPool(config.DATABASE_URL, {
  max: 20,
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
});
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const broker = new BrokerConnection(config.AMQP_URL, 'orders');
lifecycle.onShutdown('broker connection', () => broker.close());
const relay = new OutboxRelay(db, broker, config.AMQP_PREFIX, config.OUTBOX_POLL_MS);
lifecycle.onShutdown('outbox relay', () => relay.stop());
const shipped = new Consumer(broker, {
  queue: topologyNames(config.AMQP_PREFIX).queues.ordersOrderShipped,
  prefix: config.AMQP_PREFIX,
  db,
  retry: retrySettings(config),
  schema: OrderShippedEvent,
  handle: async (tx, event) => {
    const { rowCount } = await tx.query(
      `UPDATE orders SET status = 'SHIPPED', updated_at = now() WHERE id = $1 AND status = 'CONFIRMED'`,
      [event.orderId],
    );
    log.info({ orderId: event.orderId, updated: rowCount === 1 }, 'order shipped');
  },
});
lifecycle.onShutdown('order.shipped consumer', () => shipped.stop());
const deadLetters = new DeadLetterMonitor(broker, config.AMQP_PREFIX, config.DEAD_LETTER_CHECK_MS);
lifecycle.onShutdown('dead-letter monitor', () => deadLetters.stop());
await relay.start();
await shipped.start();
await broker.start();
deadLetters.start();

const credential = { [INTERNAL_TOKEN_HEADER]: config.INTERNAL_TOKEN };
const inventory = new ServiceClient('inventory', config.INVENTORY_URL, policySettings, credential);
const payments = new ServiceClient('payments', config.PAYMENTS_URL, policySettings, credential);
const saga = new SagaOrchestrator(db, inventory, payments, relay, {
  leaseMs: config.SAGA_LEASE_MS,
  recoveryIntervalMs: config.SAGA_RECOVERY_INTERVAL_MS,
});
saga.startRecovery();
lifecycle.onShutdown('saga orchestrator', () => saga.stop());

const { listener, route, finish, idle } = createHttpApp({
  service: 'orders',
  bodyLimit: config.BODY_LIMIT,
  tokens: createTokenService(config),
  readiness: { database: () => db.query('SELECT 1'), broker: () => broker.check() },
});

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);

route(
  {
    method: 'post',
    path: '/api/v1/orders',
    summary: 'Place an order (runs the reserve -> charge -> confirm saga)',
    auth: true,
    body: CreateOrderBody,
    headers: IdempotencyHeaders,
    responses: {
      201: {
        description:
          'Order placed; status is CONFIRMED, CANCELLED (with reason) or PENDING if still running',
        schema: Order,
      },
      422: { description: 'Idempotency key reused with a different body', schema: ErrorBody },
    },
  },
  async ({ req, body, user }) => {
    const userId = user!.id;
    const key = req.header('idempotency-key');
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const { orderId, replayed } = await withTransaction(db, async (tx) => {
      const id = randomUUID();
      if (key) {
        const existing = await tx.query<{ order_id: string; request_hash: string }>(
          'SELECT order_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2',
          [userId, key],
        );
        const prior = existing.rows[0];
        if (prior) {
          if (prior.request_hash !== requestHash)
            throw new HttpError(
              422,
              'idempotency_key_reused',
              'this Idempotency-Key was used with a different request body',
            );
          return { orderId: prior.order_id, replayed: true };
        }
      }
      await tx.query(
        `INSERT INTO orders (id, user_id, status, items, note) VALUES ($1, $2, 'PENDING', $3, $4)`,
        [id, userId, JSON.stringify(body.items), body.note ?? null],
      );
      await tx.query(
        `INSERT INTO sagas (order_id, step, lease_until) VALUES ($1, 'RESERVE', now() + $2 * interval '1 millisecond')`,
        [id, config.SAGA_LEASE_MS],
      );
      if (key) {
        // A concurrent request with the same key blocks here until the first commits, then loses.
        const inserted = await tx.query(
          'INSERT INTO idempotency_keys (user_id, key, request_hash, order_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [userId, key, requestHash, id],
        );
        if (inserted.rowCount === 0) throw new RaceLost();
      }
      await enqueueEvent(tx, 'order.created', id, { orderId: id, userId, items: body.items });
      return { orderId: id, replayed: false };
    }).catch(async (err: unknown) => {
      if (!(err instanceof RaceLost)) throw err;
      // A concurrent request with the same key won: answer with its order.
      const { rows } = await db.query<{ order_id: string; request_hash: string }>(
        'SELECT order_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [userId, key],
      );
      if (rows[0]?.request_hash !== requestHash)
        throw new HttpError(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request body',
        );
      return { orderId: rows[0].order_id, replayed: true };
    });
    relay.notify();
    if (!replayed) log.info({ orderId, userId }, 'order created');
    await within(saga.run(orderId), config.SAGA_RESPONSE_WAIT_MS);
    const order = await findOrder(db, orderId);
    return {
      status: 201,
      body: toOrder(order!),
      headers: {
        Location: `/api/v1/orders/${orderId}`,
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  },
);

class RaceLost extends Error {}

async function ownedOrder(id: string, userId: string): Promise<OrderRow> {
  const order = await findOrder(db, id);
  // Someone else's order is reported as missing: ids of other users' orders are not confirmed.
  if (!order || order.user_id !== userId) throw notFound('order not found');
  return order;
}

route(
  {
    method: 'get',
    path: '/api/v1/orders',
    summary: "List a user's orders (only your own)",
    auth: true,
    query: OrderListQuery,
    responses: {
      200: { description: 'Orders, newest first', schema: OrderList },
      403: { description: 'Not yourself', schema: ErrorBody },
    },
  },
  async ({ query, user }) => {
    if (query.userId !== user!.id) throw forbidden('you can only list your own orders');
    const { rows } = await db.query<OrderRow>(
      'SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2',
      [query.userId, query.limit],
    );
    return { status: 200, body: { items: rows.map(toOrder) } };
  },
);

route(
  {
    method: 'get',
    path: '/api/v1/orders/:id',
    summary: 'Read an order',
    auth: true,
    params: OrderIdParams,
    responses: {
      200: { description: 'The order', schema: Order },
      404: { description: 'Not found', schema: ErrorBody },
    },
  },
  async ({ params, user }) => ({
    status: 200,
    body: toOrder(await ownedOrder(params.id, user!.id)),
  }),
);

route(
  {
    method: 'put',
    path: '/api/v1/orders/:id',
    summary: "Update an order's note",
    auth: true,
    params: OrderIdParams,
    body: UpdateOrderBody,
    responses: {
      200: { description: 'Updated', schema: Order },
      404: { description: 'Not found', schema: ErrorBody },
      409: { description: 'Order is cancelled', schema: ErrorBody },
    },
  },
  async ({ params, body, user }) => {
    await ownedOrder(params.id, user!.id);
    const { rows } = await db.query<OrderRow>(
      `UPDATE orders SET note = $2, updated_at = now() WHERE id = $1 AND status <> 'CANCELLED' RETURNING *`,
      [params.id, body.note],
    );
    if (!rows[0]) throw conflict('a cancelled order cannot be changed', 'order_cancelled');
    return { status: 200, body: toOrder(rows[0]) };
  },
);

route(
  {
    method: 'delete',
    path: '/api/v1/orders/:id',
    summary:
      'Cancel an order (refund and stock release follow, guaranteed by the saga); not possible once shipped',
    auth: true,
    params: OrderIdParams,
    responses: {
      200: { description: 'Cancelled', schema: Order },
      404: { description: 'Not found', schema: ErrorBody },
      409: { description: 'Already shipped, or still being placed', schema: ErrorBody },
    },
  },
  async ({ params, user }) => {
    const order = await ownedOrder(params.id, user!.id);
    if (order.status === 'PENDING')
      throw conflict('order is still being placed; retry shortly', 'order_pending');
    if (order.status === 'CONFIRMED')
      await within(saga.requestCancel(order.id), config.SAGA_RESPONSE_WAIT_MS);
    const now = (await findOrder(db, order.id))!;
    if (now.status === 'SHIPPED') throw conflict('order already shipped', 'order_shipped');
    return { status: 200, body: toOrder(now) };
  },
);

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'orders listening');
