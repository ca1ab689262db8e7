// shipping: event-driven. Consumes order.confirmed, creates the shipment and publishes
// order.shipped through its own outbox (choreography: nobody calls shipping directly).
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { randomUUID, randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  amqpConfig,
  baseConfig,
  consumerConfig,
  databaseConfig,
  databaseUrl,
  jwtConfig,
  loadConfig,
  millis,
  port,
  retrySettings,
} from '../platform/config/index.js';
import { createPool } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { notFound } from '../platform/http/errors.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { BrokerConnection } from '../platform/messaging/connection.js';
import { OutboxRelay, enqueueEvent } from '../platform/messaging/outbox.js';
import { Consumer } from '../platform/messaging/consumer.js';
import { topologyNames } from '../platform/messaging/topology.js';
import { DeadLetterMonitor } from '../platform/messaging/dead-letters.js';
import { log } from '../platform/telemetry/index.js';

const config = loadConfig('shipping', {
  ...baseConfig,
  ...jwtConfig,
  ...amqpConfig,
  ...consumerConfig,
  ...databaseConfig,
  PORT: port(8085),
  DATABASE_URL: databaseUrl('shipping'),
  OUTBOX_POLL_MS: millis(500),
});

const OrderConfirmed = z.object({
  orderId: z.uuid(),
  userId: z.uuid(),
  items: z.array(z.object({ productId: z.string(), quantity: z.number() })),
});

const Shipment = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  trackingNumber: z.string(),
  status: z.string(),
  createdAt: z.string(),
});

interface ShipmentRow {
  id: string;
  order_id: string;
  user_id: string;
  tracking_number: string;
  status: string;
  created_at: Date;
}
const toShipment = (r: ShipmentRow) => ({
  id: r.id,
  orderId: r.order_id,
  trackingNumber: r.tracking_number,
  status: r.status,
  createdAt: r.created_at.toISOString(),
});

const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const db = createPool(config.DATABASE_URL, {
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
});
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const broker = new BrokerConnection(config.AMQP_URL, 'shipping');
lifecycle.onShutdown('broker connection', () => broker.close());
const relay = new OutboxRelay(db, broker, config.AMQP_PREFIX, config.OUTBOX_POLL_MS);
lifecycle.onShutdown('outbox relay', () => relay.stop());
const confirmed = new Consumer(broker, {
  queue: topologyNames(config.AMQP_PREFIX).queues.shippingOrderConfirmed,
  prefix: config.AMQP_PREFIX,
  db,
  retry: retrySettings(config),
  schema: OrderConfirmed,
  afterCommit: () => relay.notify(),
  handle: async (tx, event) => {
    const id = randomUUID();
    const tracking = `TRK-${randomBytes(5).toString('hex').toUpperCase()}`;
    // order_id is unique: even a different event for the same order cannot ship it twice.
    const { rows } = await tx.query<ShipmentRow>(
      `INSERT INTO shipments (id, order_id, user_id, tracking_number) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [id, event.orderId, event.userId, tracking],
    );
    if (!rows[0]) return;
    await enqueueEvent(tx, 'order.shipped', event.orderId, {
      orderId: event.orderId,
      shipmentId: id,
      trackingNumber: tracking,
    });
    log.info({ orderId: event.orderId, shipmentId: id }, 'shipment created');
  },
});
lifecycle.onShutdown('order.confirmed consumer', () => confirmed.stop());
const OrderCancelled = z.object({ orderId: z.uuid(), userId: z.uuid() });
const cancelled = new Consumer(broker, {
  queue: topologyNames(config.AMQP_PREFIX).queues.shippingOrderCancelled,
  prefix: config.AMQP_PREFIX,
  db,
  retry: retrySettings(config),
  schema: OrderCancelled,
  handle: async (tx, event) => {
    // Stop the shipment; if order.confirmed has not arrived yet, the CANCELLED row keeps it from shipping.
    await tx.query(
      `INSERT INTO shipments (id, order_id, user_id, tracking_number, status) VALUES ($1, $2, $3, '', 'CANCELLED')
       ON CONFLICT (order_id) DO UPDATE SET status = 'CANCELLED'`,
      [randomUUID(), event.orderId, event.userId],
    );
    log.info({ orderId: event.orderId }, 'shipment cancelled');
  },
});
lifecycle.onShutdown('order.cancelled consumer', () => cancelled.stop());
const deadLetters = new DeadLetterMonitor(broker, config.AMQP_PREFIX, config.DEAD_LETTER_CHECK_MS);
lifecycle.onShutdown('dead-letter monitor', () => deadLetters.stop());
await relay.start();
await confirmed.start();
await cancelled.start();
await broker.start();
deadLetters.start();

const { listener, route, finish, idle } = createHttpApp({
  service: 'shipping',
  bodyLimit: config.BODY_LIMIT,
  tokens: createTokenService(config),
  readiness: { database: () => db.query('SELECT 1'), broker: () => broker.check() },
});

route(
  {
    method: 'get',
    path: '/api/v1/shipments',
    summary: "An order's shipment (owner only)",
    auth: true,
    query: z.object({ orderId: z.uuid() }),
    responses: {
      200: { description: 'The shipment', schema: Shipment },
      404: { description: 'Not shipped (yet)', schema: ErrorBody },
    },
  },
  async ({ query, user }) => {
    const { rows } = await db.query<ShipmentRow>(
      'SELECT * FROM shipments WHERE order_id = $1 AND user_id = $2',
      [query.orderId, user!.id],
    );
    if (!rows[0]) throw notFound('no shipment for this order');
    return { status: 200, body: toShipment(rows[0]) };
  },
);

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'shipping listening');
