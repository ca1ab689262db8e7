/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   tests read JSON bodies whose shape is what they assert */
// What a client sees at the edge: every 4xx with its JSON body, rate limiting, caching, OpenAPI
// documents and the interactive docs, and configuration errors that stop a service before it serves.
import { beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestStack, TestUser } from '../support/stack.js';
import { currentStack } from '../support/current.js';
import { distDirectory, launchService } from '../../src/platform/bootstrap/launch.js';

let stack: TestStack;
let user: TestUser;

const sign = (secret: string, claims: { exp?: number } = {}) =>
  new SignJWT({ email: user.email })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuer('o11y-users')
    .setAudience('o11y')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(secret));

describe('api-contract', () => {
  beforeAll(async () => {
    stack = currentStack();
    user = await stack.register();
  });

  describe('authentication at the gateway', () => {
    it.each([
      ['missing', undefined, /missing bearer token/],
      ['not a bearer header', 'Basic abc', /Bearer/],
      ['malformed', 'Bearer not.a.jwt', /malformed/],
    ])('401 JSON when the token is %s', async (_case, authorization, message) => {
      const res = await stack.api('GET', '/api/v1/products', {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toMatchObject({
        error: 'unauthorized',
        message: expect.stringMatching(message),
      });
    });

    it('401 JSON when the token is expired or wrongly signed', async () => {
      const expired = await sign(stack.settings.jwtSecret, {
        exp: Math.floor(Date.now() / 1000) - 60,
      });
      const res = await stack.api('GET', '/api/v1/products', { token: expired });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', message: 'token expired' });
      const forged = await sign('another-secret-another-secret-another-secret');
      const res2 = await stack.api('GET', '/api/v1/products', { token: forged });
      expect(res2.status).toBe(401);
      expect(res2.body).toMatchObject({ error: 'unauthorized', message: 'invalid token' });
    });

    it('register and login need no token; a wrong password is 401; a taken email is not revealed', async () => {
      const wrong = await stack.api('POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'wrong password' },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({
        error: 'unauthorized',
        message: 'wrong email or password',
      });
      const taken = await stack.api('POST', '/api/v1/users', {
        body: { email: user.email, password: 'another password', name: 'X' },
      });
      const fresh = await stack.api('POST', '/api/v1/users', {
        body: { email: `new-${user.email}`, password: 'another password', name: 'X' },
      });
      expect(taken.status).toBe(202);
      expect(taken.body).toEqual(fresh.body);
      expect(fresh.status).toBe(202);
      // the existing account is untouched: its own password still works, the new one does not
      const login = await stack.api('POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'another password' },
      });
      expect(login.status).toBe(401);
    });
  });

  describe('input validation', () => {
    it('400 naming the field for a wrong type or a missing field', async () => {
      const res = await stack.api('POST', '/api/v1/orders', {
        token: user.token,
        body: { items: [{ productId: 'sku-mug', quantity: 'two' }] },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'validation_failed',
        message: expect.stringContaining('body.items.0.quantity'),
      });
      expect(res.body.details).toEqual([
        expect.objectContaining({ field: 'body.items.0.quantity' }),
      ]);
      const missing = await stack.api('POST', '/api/v1/users', {
        body: { email: 'x@example.test', name: 'X' },
      });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toContain('body.password');
      const badId = await stack.api('GET', '/api/v1/orders/not-a-uuid', { token: user.token });
      expect(badId.status).toBe(400);
      expect(badId.body.message).toContain('params.id');
      const badQuery = await stack.api('GET', '/api/v1/orders', { token: user.token });
      expect(badQuery.status).toBe(400);
      expect(badQuery.body.message).toContain('query.userId');
    });

    it('400 for malformed JSON, 413 for a huge body, 404 JSON for unknown routes', async () => {
      const malformed = await stack.api('POST', '/api/v1/orders', {
        token: user.token,
        raw: '{"items": [',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ error: 'invalid_json' });
      const huge = await stack.api('POST', '/api/v1/users', {
        raw: JSON.stringify({ email: 'a'.repeat(300_000) }),
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ error: 'payload_too_large' });
      for (const path of ['/api/v1/nothing-here', '/api/v2/orders', '/nope']) {
        const res = await stack.api('GET', path, { token: user.token });
        expect(res.status, path).toBe(404);
        expect(res.body).toMatchObject({ error: 'not_found' });
      }
      const product = await stack.api('GET', '/api/v1/products/sku-does-not-exist', {
        token: user.token,
      });
      expect(product.status).toBe(404);
      expect(product.body).toMatchObject({ error: 'not_found' });
    });

    it('unknown product and empty order are client errors, never 500', async () => {
      const unknown = await stack.api('POST', '/api/v1/orders', {
        token: user.token,
        body: { items: [{ productId: 'sku-nope', quantity: 1 }] },
      });
      expect(unknown.status).toBe(201);
      expect(unknown.body).toMatchObject({
        status: 'CANCELLED',
        cancelReason: expect.stringContaining('sku-nope'),
      });
      const empty = await stack.api('POST', '/api/v1/orders', {
        token: user.token,
        body: { items: [] },
      });
      expect(empty.status).toBe(400);
      expect(empty.body.message).toContain('body.items');
    });
  });

  describe('gateway behaviour', () => {
    it('429 with Retry-After once a client exceeds its rate limit', async () => {
      const limited = await stack.launchExtra('gateway', {
        RATE_LIMIT_MAX: '3',
        RATE_LIMIT_WINDOW_MS: '60000',
        RATE_LIMIT_KEY_PREFIX: `${stack.prefix}rl2:`,
      });
      try {
        const responses = [];
        for (let i = 0; i < 5; i++)
          responses.push(
            await stack.api('GET', '/api/v1/products', { token: user.token, base: limited.url }),
          );
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
        const last = responses[4]!;
        expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(last.body).toMatchObject({ error: 'rate_limited' });
        // another client has its own budget
        const other = await stack.register();
        expect(
          (await stack.api('GET', '/api/v1/products', { token: other.token, base: limited.url }))
            .status,
        ).toBe(200);
        // anonymous clients are keyed by address; a forged X-Forwarded-For does not buy a new budget
        const anonymous = [];
        for (let i = 0; i < 5; i++)
          anonymous.push(
            (
              await fetch(`${limited.url}/api/v1/products`, {
                headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
              })
            ).status,
          );
        expect(anonymous).toEqual([401, 401, 401, 429, 429]);
      } finally {
        await limited.process.stop();
      }
    });

    it('caches the catalogue briefly', async () => {
      const first = await stack.api('GET', '/api/v1/products?page=cache-test', {
        token: user.token,
      });
      const second = await stack.api('GET', '/api/v1/products?page=cache-test', {
        token: user.token,
      });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-cache')).toBe('MISS');
      expect(second.headers.get('x-cache')).toBe('HIT');
      expect(second.body.items.length).toBeGreaterThanOrEqual(10);
      expect(second.body.items[0]).toEqual({
        id: expect.any(String),
        name: expect.any(String),
        price: expect.any(Number),
        stock: expect.any(Number),
      });
    });

    it('every service publishes OpenAPI 3.1 and the gateway serves the docs locally', async () => {
      for (const service of [
        'gateway',
        'users',
        'orders',
        'payments',
        'inventory',
        'shipping',
      ] as const) {
        const doc = await stack.api('GET', '/openapi.json', { base: stack.url(service) });
        expect(doc.status, service).toBe(200);
        expect(doc.body.openapi).toBe('3.1.0');
      }
      const orders = await stack.api('GET', '/openapi.json', { base: stack.url('orders') });
      const post = orders.body.paths['/api/v1/orders'].post;
      expect(post.requestBody.content['application/json'].schema.properties.items.type).toBe(
        'array',
      );
      const page = await fetch(`${stack.gateway}/docs/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('swagger-ui');
      const init = await (await fetch(`${stack.gateway}/docs/swagger-initializer.js`)).text();
      expect(init).toContain('/docs/specs/orders.json');
      const spec = await stack.api('GET', '/docs/specs/orders.json');
      expect(Object.keys(spec.body.paths).every((p: string) => p.startsWith('/api/v1/'))).toBe(
        true,
      );
    });

    it('health and readiness', async () => {
      for (const service of ['gateway', 'orders', 'shipping'] as const) {
        expect((await stack.api('GET', '/healthz', { base: stack.url(service) })).status).toBe(200);
        const ready = await stack.api('GET', '/readyz', { base: stack.url(service) });
        expect(ready.status).toBe(200);
        expect(ready.body.status).toBe('ready');
      }
    });
  });

  describe('configuration', () => {
    it('a bad value names itself and exits non-zero before serving', async () => {
      const child = spawn(
        process.execPath,
        ['--import', '@o11y/sdk/register', join(distDirectory(), 'orders', 'main.js')],
        {
          cwd: join(distDirectory(), '..'),
          env: { ...process.env, PORT: 'eighty', AMQP_URL: 'not a url', OTEL_SDK_DISABLED: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).not.toBe(0);
      expect(output).toContain('invalid configuration: PORT');
      expect(output).toContain('invalid configuration: AMQP_URL');
    });
  });

  describe('telemetry', () => {
    it('every demo metric exists from startup, labelled with the service', async () => {
      const expectations: [Parameters<TestStack['metric']>[0], string, Record<string, string>][] = [
        ['gateway', 'rate_limit_rejections_total', {}],
        ['gateway', 'resilience_circuit_breaker_state', { dependency: 'orders' }],
        [
          'gateway',
          'resilience_rejections_total',
          { dependency: 'users', reason: 'bulkhead_full' },
        ],
        ['orders', 'resilience_circuit_breaker_state', { dependency: 'payments' }],
        ['orders', 'resilience_retries_total', { dependency: 'inventory' }],
        ['orders', 'resilience_rejections_total', { dependency: 'payments', reason: 'timeout' }],
        ['orders', 'saga_outcomes_total', { outcome: 'cancelled' }],
        ['orders', 'saga_compensations_total', { step: 'refund_payment' }],
        ['orders', 'saga_compensations_total', { step: 'release_inventory' }],
        ['orders', 'outbox_pending_events', {}],
        ['orders', 'messages_consumed_total', { outcome: 'dead_lettered' }],
        ['shipping', 'messages_consumed_total', { outcome: 'duplicate' }],
        ['shipping', 'outbox_pending_events', {}],
        ['payments', 'payments_fault_error_rate', {}],
        ['payments', 'payments_fault_latency_seconds', {}],
      ];
      for (const [service, name, labels] of expectations) {
        const value = await stack.metric(service, name, { ...labels, service_name: service });
        expect(value, `${service} ${name} ${JSON.stringify(labels)}`).toBeTypeOf('number');
      }
      // the SDK labels requests with the route template, never the raw path
      expect(
        await stack.metric('gateway', 'http_server_request_duration_seconds_count', {
          http_route: '/api/v1/users/:id/summary',
        }),
      ).toBeGreaterThanOrEqual(1);
    });
  });

  describe('load generator', () => {
    it('drives the mix through the gateway and reports progress', async () => {
      const lines: string[] = [];
      const proc = launchService(
        'loadgen',
        {
          OTEL_SERVICE_NAME: 'loadgen',
          OTEL_EXPORTER_PROMETHEUS_PORT: String(stack.settings.metricsPorts.loadgen),
          ...stack.settings.common,
          GATEWAY_URL: stack.gateway,
          LOADGEN_RATE: '15',
          LOADGEN_USERS: '3',
          LOADGEN_DURATION_S: '4',
          LOADGEN_REPORT_INTERVAL_MS: '1000',
        },
        { onLine: (l) => lines.push(l) },
      );
      const code = await proc.exited;
      expect(code, lines.join('\n')).toBe(0);
      const progress = lines.filter((l) =>
        /^\[loadgen\] [\d.]+ req\/s \| errors [\d.]+% .*p99 \d+ ms/.test(l),
      );
      expect(progress.length, lines.join('\n')).toBeGreaterThanOrEqual(2);
      const final = /stopped \(duration reached\): (\d+) requests, (\d+) errors/.exec(
        lines.join('\n'),
      );
      expect(final, lines.join('\n')).not.toBeNull();
      const [, total, errors] = final!.map(Number);
      expect(total).toBeGreaterThan(20);
      expect(errors).toBeLessThanOrEqual(total! * 0.05);
    });
  });
});
