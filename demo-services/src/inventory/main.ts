// inventory: the catalogue and stock. Reserve/release are idempotent per order and never oversell:
// each decrement is a conditional UPDATE (stock >= quantity) inside one transaction, taken in a
// fixed product order so concurrent reservations cannot deadlock.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import {
  baseConfig,
  databaseConfig,
  databaseUrl,
  internalConfig,
  jwtConfig,
  loadConfig,
  millis,
  port,
  positiveInt,
} from '../platform/config/index.js';
import { createPool, withTransaction } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { conflict, HttpError, notFound } from '../platform/http/errors.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { log } from '../platform/telemetry/index.js';
import {
  OrderIdParams,
  Product,
  ProductIdParams,
  ProductList,
  Reservation,
  ReserveBody,
} from './schemas.js';

const config = loadConfig('inventory', {
  ...baseConfig,
  ...jwtConfig,
  ...internalConfig,
  ...databaseConfig,
  PORT: port(8084),
  DATABASE_URL: databaseUrl('inventory'),
  // For long-running demos: periodically top up products that are nearly sold out (0 = never).
  INVENTORY_RESTOCK_INTERVAL_MS: millis(0),
  INVENTORY_RESTOCK_QUANTITY: positiveInt(100),
});

interface ProductRow {
  id: string;
  name: string;
  price_cents: number;
  stock: number;
}
interface ReservationRow {
  order_id: string;
  status: 'RESERVED' | 'RELEASED';
  items: { productId: string; quantity: number; priceCents: number }[];
  total_cents: number;
}
const toProduct = (r: ProductRow) => ({
  id: r.id,
  name: r.name,
  price: r.price_cents,
  stock: r.stock,
});
const toReservation = (r: ReservationRow) => ({
  orderId: r.order_id,
  status: r.status,
  totalCents: r.total_cents,
  items: r.items,
});

const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const db = createPool(config.DATABASE_URL, {
  max: 20,
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
});
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const { listener, route, finish, idle } = createHttpApp({
  service: 'inventory',
  bodyLimit: config.BODY_LIMIT,
  tokens: createTokenService(config),
  internalToken: config.INTERNAL_TOKEN,
  readiness: { database: () => db.query('SELECT 1') },
});

route(
  {
    method: 'get',
    path: '/api/v1/products',
    summary: 'List the catalogue',
    auth: true,
    responses: { 200: { description: 'Products', schema: ProductList } },
  },
  async () => {
    const { rows } = await db.query<ProductRow>('SELECT * FROM products ORDER BY id');
    return { status: 200, body: { items: rows.map(toProduct) } };
  },
);

route(
  {
    method: 'get',
    path: '/api/v1/products/:id',
    summary: 'Read a product',
    auth: true,
    params: ProductIdParams,
    responses: {
      200: { description: 'The product', schema: Product },
      404: { description: 'Unknown product', schema: ErrorBody },
    },
  },
  async ({ params }) => {
    const { rows } = await db.query<ProductRow>('SELECT * FROM products WHERE id = $1', [
      params.id,
    ]);
    if (!rows[0]) throw notFound(`product ${params.id} not found`);
    return { status: 200, body: toProduct(rows[0]) };
  },
);

// Internal API (not routed by the gateway): called by the orders saga.
route(
  {
    method: 'get',
    path: '/internal/reservations/:orderId',
    summary: "An order's reservation as it is now (the saga asks when a reserve's answer was lost)",
    tags: ['internal'],
    internal: true,
    params: OrderIdParams,
    responses: {
      200: { description: 'The reservation', schema: Reservation },
      404: {
        description: 'No reserve or release has reached inventory for this order',
        schema: ErrorBody,
      },
    },
  },
  async ({ params }) => {
    const { rows } = await db.query<ReservationRow>(
      'SELECT * FROM reservations WHERE order_id = $1',
      [params.orderId],
    );
    if (!rows[0]) throw notFound('no reservation for this order');
    return { status: 200, body: toReservation(rows[0]) };
  },
);

route(
  {
    method: 'post',
    path: '/internal/reservations',
    summary: 'Reserve stock for an order (idempotent per order)',
    tags: ['internal'],
    internal: true,
    body: ReserveBody,
    responses: {
      201: { description: 'Reserved', schema: Reservation },
      200: { description: 'Already reserved for this order', schema: Reservation },
      409: {
        description: 'Insufficient stock, or the reservation was already released',
        schema: ErrorBody,
      },
      422: { description: 'Unknown product', schema: ErrorBody },
    },
  },
  async ({ body }) => {
    return withTransaction(db, async (tx) => {
      // Serialises reserve/release of the same order; other orders proceed in parallel.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [body.orderId]);
      const existing = await tx.query<ReservationRow>(
        'SELECT * FROM reservations WHERE order_id = $1',
        [body.orderId],
      );
      if (existing.rows[0]) {
        if (existing.rows[0].status === 'RELEASED')
          throw conflict('reservation for this order was released', 'reservation_released');
        return { status: 200, body: toReservation(existing.rows[0]) };
      }
      const quantities = new Map<string, number>();
      for (const item of body.items)
        quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
      const lines: ReservationRow['items'] = [];
      for (const productId of [...quantities.keys()].sort()) {
        const quantity = quantities.get(productId)!;
        const updated = await tx.query<ProductRow>(
          'UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING *',
          [productId, quantity],
        );
        if (!updated.rows[0]) {
          const known = await tx.query('SELECT 1 FROM products WHERE id = $1', [productId]);
          if (known.rowCount === 0)
            throw new HttpError(422, 'unknown_product', `product ${productId} does not exist`);
          throw conflict(`insufficient stock for ${productId}`, 'insufficient_stock');
        }
        lines.push({ productId, quantity, priceCents: updated.rows[0].price_cents });
      }
      const total = lines.reduce((sum, l) => sum + l.quantity * l.priceCents, 0);
      const { rows } = await tx.query<ReservationRow>(
        `INSERT INTO reservations (order_id, status, items, total_cents) VALUES ($1, 'RESERVED', $2, $3) RETURNING *`,
        [body.orderId, JSON.stringify(lines), total],
      );
      log.info({ orderId: body.orderId, totalCents: total }, 'stock reserved');
      return { status: 201, body: toReservation(rows[0]!) };
    });
  },
);

route(
  {
    method: 'post',
    path: '/internal/reservations/:orderId/release',
    summary: "Release an order's reservation (idempotent; a release before the reserve blocks it)",
    tags: ['internal'],
    internal: true,
    params: OrderIdParams,
    responses: { 200: { description: 'Released', schema: Reservation } },
  },
  async ({ params }) => {
    return withTransaction(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [params.orderId]);
      const existing = await tx.query<ReservationRow>(
        'SELECT * FROM reservations WHERE order_id = $1',
        [params.orderId],
      );
      const row = existing.rows[0];
      if (!row) {
        const { rows } = await tx.query<ReservationRow>(
          `INSERT INTO reservations (order_id, status, items, total_cents) VALUES ($1, 'RELEASED', '[]', 0) RETURNING *`,
          [params.orderId],
        );
        return { status: 200, body: toReservation(rows[0]!) };
      }
      if (row.status === 'RESERVED') {
        for (const item of [...row.items].sort((a, b) => a.productId.localeCompare(b.productId))) {
          await tx.query('UPDATE products SET stock = stock + $2 WHERE id = $1', [
            item.productId,
            item.quantity,
          ]);
        }
        await tx.query(
          `UPDATE reservations SET status = 'RELEASED', updated_at = now() WHERE order_id = $1`,
          [params.orderId],
        );
        row.status = 'RELEASED';
        log.info({ orderId: params.orderId }, 'stock released');
      }
      return { status: 200, body: toReservation(row) };
    });
  },
);

if (config.INVENTORY_RESTOCK_INTERVAL_MS > 0) {
  const restock = setInterval(() => {
    db.query<{ id: string }>(
      'UPDATE products SET stock = stock + $1 WHERE stock < 20 RETURNING id',
      [config.INVENTORY_RESTOCK_QUANTITY],
    )
      .then(({ rows }) => rows.length && log.info({ products: rows.map((r) => r.id) }, 'restocked'))
      .catch((err: Error) => log.warn({ err: err.message }, 'restock failed'));
  }, config.INVENTORY_RESTOCK_INTERVAL_MS);
  lifecycle.onShutdown('restock timer', () => Promise.resolve(clearInterval(restock)));
}

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'inventory listening');
