// payments: charge and refund, idempotent per order, with runtime-switchable fault injection.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { z } from 'zod';
import {
  baseConfig,
  databaseConfig,
  databaseUrl,
  internalConfig,
  jwtConfig,
  loadConfig,
  port,
  secret,
} from '../platform/config/index.js';
import { createPool, withTransaction } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { sameSecret } from '../platform/http/internal-auth.js';
import { conflict, HttpError, notFound, unauthorized } from '../platform/http/errors.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { log } from '../platform/telemetry/index.js';
import { FaultInjector, Faults, FaultsUpdate } from './faults.js';
import { ChargeBody, OrderIdParams, Payment, PaymentQuery } from './schemas.js';

const config = loadConfig('payments', {
  ...baseConfig,
  ...jwtConfig,
  ...internalConfig,
  ...databaseConfig,
  PORT: port(8083),
  DATABASE_URL: databaseUrl('payments'),
  PAYMENTS_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENTS_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  // Without a token the admin API answers 401 to everyone.
  ADMIN_TOKEN: secret('ADMIN_TOKEN').optional(),
});

interface PaymentRow {
  order_id: string;
  user_id: string | null;
  amount_cents: number;
  status: 'CHARGED' | 'REFUNDED' | 'VOIDED';
}
const toPayment = (r: PaymentRow) => ({
  orderId: r.order_id,
  userId: r.user_id,
  amountCents: r.amount_cents,
  status: r.status,
});

const faults = new FaultInjector({
  errorRate: config.PAYMENTS_ERROR_RATE,
  latencyMs: config.PAYMENTS_LATENCY_MS,
});
const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const db = createPool(config.DATABASE_URL, {
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
});
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const { listener, route, finish, idle } = createHttpApp({
  service: 'payments',
  bodyLimit: config.BODY_LIMIT,
  tokens: createTokenService(config),
  internalToken: config.INTERNAL_TOKEN,
  readiness: { database: () => db.query('SELECT 1') },
});

function requireAdmin(authorization: string | undefined): void {
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!sameSecret(presented, config.ADMIN_TOKEN)) throw unauthorized('admin token required');
}

route(
  {
    method: 'get',
    path: '/admin/faults',
    summary: 'Current fault injection settings',
    tags: ['admin'],
    responses: {
      200: { description: 'Faults', schema: Faults },
      401: { description: 'Admin token required', schema: ErrorBody },
    },
  },
  async ({ req }) => {
    requireAdmin(req.headers.authorization);
    return Promise.resolve({ status: 200, body: faults.get() });
  },
);

route(
  {
    method: 'put',
    path: '/admin/faults',
    summary: 'Change fault injection at runtime',
    tags: ['admin'],
    body: FaultsUpdate,
    responses: {
      200: { description: 'Faults now in effect', schema: Faults },
      401: { description: 'Admin token required', schema: ErrorBody },
    },
  },
  async ({ req, body }) => {
    requireAdmin(req.headers.authorization);
    const now = faults.update(body);
    log.warn({ faults: now }, 'fault injection changed');
    return Promise.resolve({ status: 200, body: now });
  },
);

route(
  {
    method: 'get',
    path: '/api/v1/payments',
    summary: "Read an order's payment (owner only)",
    auth: true,
    query: PaymentQuery,
    responses: {
      200: { description: 'The payment', schema: Payment },
      404: { description: 'No payment for this order', schema: ErrorBody },
    },
  },
  async ({ query, user }) => {
    const { rows } = await db.query<PaymentRow>(
      'SELECT * FROM payments WHERE order_id = $1 AND user_id = $2',
      [query.orderId, user!.id],
    );
    if (!rows[0]) throw notFound('no payment for this order');
    return { status: 200, body: toPayment(rows[0]) };
  },
);

// What became of an order's payment: the saga asks when a charge's answer was lost.
route(
  {
    method: 'get',
    path: '/internal/payments/:orderId',
    summary: "An order's payment as it is now (CHARGED, REFUNDED or VOIDED)",
    tags: ['internal'],
    internal: true,
    params: OrderIdParams,
    responses: {
      200: { description: 'The payment', schema: Payment },
      404: {
        description: 'No charge or refund has reached payments for this order',
        schema: ErrorBody,
      },
    },
  },
  async ({ params }) => {
    const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [
      params.orderId,
    ]);
    if (!rows[0]) throw notFound('no payment for this order');
    return { status: 200, body: toPayment(rows[0]) };
  },
);

route(
  {
    method: 'post',
    path: '/internal/payments',
    summary: 'Charge an order (idempotent per order)',
    tags: ['internal'],
    internal: true,
    body: ChargeBody,
    responses: {
      201: { description: 'Charged', schema: Payment },
      200: { description: 'Already charged', schema: Payment },
      409: { description: 'The order was refunded or voided', schema: ErrorBody },
      503: { description: 'Payment provider failure (injected)', schema: ErrorBody },
    },
  },
  async ({ body }) => {
    await faults.delay();
    return withTransaction(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [body.orderId]);
      const existing = await tx.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [
        body.orderId,
      ]);
      if (existing.rows[0]) {
        if (existing.rows[0].status !== 'CHARGED')
          throw conflict(
            `payment already ${existing.rows[0].status.toLowerCase()}`,
            'payment_closed',
          );
        return { status: 200, body: toPayment(existing.rows[0]) };
      }
      if (faults.shouldFail()) {
        log.warn({ orderId: body.orderId }, 'injected payment failure');
        throw new HttpError(
          503,
          'payment_provider_unavailable',
          'payment provider failed (injected fault)',
        );
      }
      const { rows } = await tx.query<PaymentRow>(
        `INSERT INTO payments (order_id, user_id, amount_cents, status) VALUES ($1, $2, $3, 'CHARGED') RETURNING *`,
        [body.orderId, body.userId, body.amountCents],
      );
      log.info({ orderId: body.orderId, amountCents: body.amountCents }, 'payment charged');
      return { status: 201, body: toPayment(rows[0]!) };
    });
  },
);

route(
  {
    method: 'post',
    path: '/internal/payments/:orderId/refund',
    summary: "Refund an order's payment (idempotent; voids a charge that has not happened yet)",
    tags: ['internal'],
    internal: true,
    params: OrderIdParams,
    responses: { 200: { description: 'Refunded or voided', schema: Payment } },
  },
  async ({ params }) => {
    await faults.delay();
    return withTransaction(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [params.orderId]);
      const { rows } = await tx.query<PaymentRow>(
        `INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, 0, 'VOIDED')
         ON CONFLICT (order_id) DO UPDATE SET
           status = CASE WHEN payments.status = 'CHARGED' THEN 'REFUNDED' ELSE payments.status END,
           updated_at = now()
         RETURNING *`,
        [params.orderId],
      );
      log.info({ orderId: params.orderId, status: rows[0]!.status }, 'payment refunded');
      return { status: 200, body: toPayment(rows[0]!) };
    });
  },
);

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening, faults: faults.get() }, 'payments listening');
