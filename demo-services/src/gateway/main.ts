// gateway: the only public entry. Routing to the services, JWT validation, per-client rate limiting,
// the user summary aggregation, a short cache for the catalogue, body size limit, JSON 404s and the
// interactive API docs.
import { createServer } from 'node:http';
import type { Request, Response } from 'express';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  baseConfig,
  jwtConfig,
  loadConfig,
  millis,
  port,
  positiveInt,
  upstreamConfig,
  url,
} from '../platform/config/index.js';
import { createHttpApp, requireAuth, ErrorBody } from '../platform/http/app.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { ServiceClient } from '../platform/resilience/client.js';
import { log } from '../platform/telemetry/index.js';
import { rateLimit, WindowCounter } from './rate-limit.js';
import { loginLimit } from './login-limit.js';
import { forward, send, upstreamFailure } from './proxy.js';
import { mountDocs } from './docs.js';
import { ResponseCache } from './cache.js';
import { HttpError } from '../platform/http/errors.js';

const config = loadConfig('gateway', {
  ...baseConfig,
  ...jwtConfig,
  ...upstreamConfig,
  PORT: port(8080),
  USERS_URL: url('http://localhost:8081'),
  ORDERS_URL: url('http://localhost:8082'),
  PAYMENTS_URL: url('http://localhost:8083'),
  INVENTORY_URL: url('http://localhost:8084'),
  SHIPPING_URL: url('http://localhost:8085'),
  // Placing an order waits for its saga; give it longer than a plain read.
  ORDERS_TIMEOUT_MS: millis(15_000),
  REDIS_URL: url('redis://localhost:6379'),
  RATE_LIMIT_MAX: positiveInt(100),
  RATE_LIMIT_WINDOW_MS: positiveInt(10_000),
  RATE_LIMIT_KEY_PREFIX: z.string().default('o11y:ratelimit:'),
  // A rate-limit check waits this long for Redis at most, then lets the request through.
  REDIS_TIMEOUT_MS: positiveInt(250),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt(100),
  LOGIN_WINDOW_MS: positiveInt(15 * 60_000),
  PRODUCTS_CACHE_TTL_MS: millis(5000),
});

const policy = (timeoutMs = config.UPSTREAM_TIMEOUT_MS) => ({
  timeoutMs,
  retries: config.UPSTREAM_RETRIES,
  breakerThreshold: config.BREAKER_THRESHOLD,
  halfOpenAfterMs: config.BREAKER_HALF_OPEN_MS,
  bulkheadLimit: config.BULKHEAD_LIMIT * 5,
  bulkheadQueue: config.BULKHEAD_QUEUE * 5,
});
const users = new ServiceClient('users', config.USERS_URL, policy());
const orders = new ServiceClient('orders', config.ORDERS_URL, policy(config.ORDERS_TIMEOUT_MS));
const payments = new ServiceClient('payments', config.PAYMENTS_URL, policy());
const inventory = new ServiceClient('inventory', config.INVENTORY_URL, policy());
const shipping = new ServiceClient('shipping', config.SHIPPING_URL, policy());

const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const redis = new Redis(config.REDIS_URL, {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  lazyConnect: true,
  // A Redis that accepts connections but never answers (hung, paused) must not hold requests.
  commandTimeout: config.REDIS_TIMEOUT_MS,
  connectTimeout: 2000,
});
let lastRedisError = 0;
redis.on('error', (err: Error) => {
  // one line per 30 s, not one per reconnect attempt
  if (Date.now() - lastRedisError < 30_000) return;
  lastRedisError = Date.now();
  log.warn({ err: err.message }, 'redis error');
});
await redis
  .connect()
  .catch((err: Error) =>
    log.warn({ err: err.message }, 'redis unavailable at startup; rate limiting fails open'),
  );
lifecycle.onShutdown('redis', () => redis.quit().catch(() => redis.disconnect()));

const tokens = createTokenService(config);
const { app, listener, route, finish, openapiDocument, idle } = createHttpApp({
  trustProxy: false,
  service: 'gateway',
  description: 'Public entry point. The APIs of the services behind it are listed in the docs.',
  bodyLimit: config.BODY_LIMIT,
  bodyParser: 'raw',
  tokens,
  // Nothing the gateway needs is checked here: without Redis it still serves (rate limiting fails
  // open), and the services behind it report their own readiness.
  readiness: {},
});

mountDocs(app, [users, orders, inventory, payments, shipping], openapiDocument);
const counter = new WindowCounter(redis, config.RATE_LIMIT_KEY_PREFIX);
const limiter = rateLimit(counter, tokens, {
  max: config.RATE_LIMIT_MAX,
  windowMs: config.RATE_LIMIT_WINDOW_MS,
  keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
});
app.use('/api', limiter);
app.use('/admin', limiter);

const auth = requireAuth(tokens);
const to = (client: ServiceClient) => (req: Request, res: Response) => forward(client, req, res);

// Public (no token): registration and login.
app.post('/api/v1/users', to(users));
app.post(
  '/api/v1/auth/login',
  loginLimit(counter, {
    maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    windowMs: config.LOGIN_WINDOW_MS,
  }),
  to(users),
);

// The payments fault-injection API: the one admin endpoint, behind its token (checked by payments).
const faults = (req: Request, res: Response) => forward(payments, req, res, '/admin/faults');
app.get('/admin/payments/faults', faults);
app.put('/admin/payments/faults', faults);

const Summary = z.object({
  user: z.unknown(),
  orders: z.array(z.unknown()),
  partial: z.boolean().describe('true when the orders could not be fetched'),
  unavailable: z.array(z.string()),
});

route(
  {
    method: 'get',
    path: '/api/v1/users/:id/summary',
    summary: 'A user and their orders, fetched in parallel; partial if orders is down',
    auth: true,
    params: z.object({ id: z.uuid() }),
    responses: {
      200: { description: 'Summary', schema: Summary },
      403: { description: 'Not yourself', schema: ErrorBody },
    },
  },
  async ({ req, params }) => {
    const headers = { authorization: req.header('authorization') };
    const [user, list] = await Promise.allSettled([
      users.request('GET', `/api/v1/users/${params.id}`, { headers }),
      orders.request<{ items: unknown[] }>('GET', `/api/v1/orders?userId=${params.id}`, {
        headers,
      }),
    ]);
    if (user.status === 'rejected') throw upstreamFailure(users, user.reason);
    if (user.value.status !== 200) {
      const body = user.value.body as { error?: string; message?: string };
      throw new HttpError(
        user.value.status,
        body.error ?? 'upstream_error',
        body.message ?? 'users failed',
      );
    }
    const ordersOk = list.status === 'fulfilled' && list.value.status === 200;
    if (!ordersOk) log.warn({ userId: params.id }, 'summary without orders: orders unavailable');
    return {
      status: 200,
      body: {
        user: user.value.body,
        orders: ordersOk ? list.value.body.items : [],
        partial: !ordersOk,
        unavailable: ordersOk ? [] : ['orders'],
      },
    };
  },
);

app.get('/api/v1/users/:id', auth, to(users));

app.post('/api/v1/orders', auth, to(orders));
app.get('/api/v1/orders', auth, to(orders));
app.get('/api/v1/orders/:id', auth, to(orders));
app.put('/api/v1/orders/:id', auth, to(orders));
app.delete('/api/v1/orders/:id', auth, to(orders));

// The catalogue changes rarely and is read on every page: cache it briefly.
const productCache = new ResponseCache(config.PRODUCTS_CACHE_TTL_MS);
const cachedProducts = async (req: Request, res: Response) => {
  const hit = productCache.get(req.originalUrl);
  if (hit) {
    send(res, hit, { 'X-Cache': 'HIT' });
    return;
  }
  try {
    const upstream = await inventory.request('GET', req.originalUrl, {
      headers: { authorization: req.header('authorization') },
    });
    if (upstream.status === 200) productCache.set(req.originalUrl, upstream);
    send(res, upstream, { 'X-Cache': 'MISS' });
  } catch (err) {
    throw upstreamFailure(inventory, err);
  }
};
app.get('/api/v1/products', auth, cachedProducts);
app.get('/api/v1/products/:id', auth, cachedProducts);

app.get('/api/v1/payments', auth, to(payments));
app.get('/api/v1/shipments', auth, to(shipping));

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'gateway listening');
