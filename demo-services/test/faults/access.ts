/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON bodies whose shape is what they assert */
// Rows 9, 10, 11 and 15: secrets and access. No published or missing secret is ever accepted;
// /internal needs the service credential; password guessing is limited per account whatever token
// rides along; registration does not tell who has an account.
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import {
  launchService,
  serviceEnvironment,
  type ServiceName,
} from '../../src/platform/bootstrap/launch.js';
import { freePort } from '../support/backends.js';
import { covers, ROWS } from './rows.js';
import { faultWorld } from './environment.js';

let stack: TestStack;
let user: TestUser;

const PUBLISHED = 'dev-only-secret-change-me-0123456789abcdef';

/** Starts a service with `env` changed; resolves with its exit code, or 'serving' if it came up. */
async function startWith(service: ServiceName, env: Record<string, string>) {
  const port = await freePort();
  const base = serviceEnvironment(service, stack.settings);
  const full: Record<string, string> = { ...base, PORT: String(port), OTEL_SDK_DISABLED: 'true' };
  for (const [k, v] of Object.entries(env)) full[k] = v;
  const lines: string[] = [];
  const proc = launchService(service, full, {
    dist: process.env.DEMO_SERVICES_DIST,
    onLine: (l) => lines.push(l),
  });
  const outcome = await Promise.race([
    proc.exited,
    (async () => {
      for (let i = 0; i < 100; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return 'serving' as const;
        await new Promise((r) => setTimeout(r, 200));
      }
      return 'serving' as const;
    })(),
  ]);
  if (outcome === 'serving') await proc.stop();
  return { outcome, output: lines.join('\n') };
}

describe('secrets and access', () => {
  beforeAll(async () => {
    stack = faultWorld().stack;
    user = await stack.register();
  });

  it('row 9: without JWT_SECRET, or with a published one, a service refuses to start', async () => {
    covers(ROWS.defaultSecret);
    for (const value of ['', PUBLISHED, 'short']) {
      const { outcome, output } = await startWith('users', { JWT_SECRET: value });
      expect(outcome, `JWT_SECRET=${JSON.stringify(value)}`).toBe(1);
      expect(output).toContain('JWT_SECRET');
    }
    const forged = await new SignJWT({ email: user.email })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('o11y-users')
      .setAudience('o11y')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(PUBLISHED));
    const res = await stack.api('GET', `/api/v1/users/${user.id}`, { token: forged });
    expect(res.status).toBe(401);
  });

  it('row 10: /internal endpoints refuse every caller without the service credential', async () => {
    covers(ROWS.internalApi);
    const orderId = randomUUID();
    const calls: [ServiceName, string, string, unknown][] = [
      [
        'payments',
        'POST',
        '/internal/payments',
        { orderId, userId: user.id, amountCents: 100_000_000 },
      ],
      ['payments', 'POST', `/internal/payments/${orderId}/refund`, undefined],
      ['payments', 'GET', `/internal/payments/${orderId}`, undefined],
      [
        'inventory',
        'POST',
        '/internal/reservations',
        { orderId, items: [{ productId: 'sku-mug', quantity: 1000 }] },
      ],
      ['inventory', 'POST', `/internal/reservations/${orderId}/release`, undefined],
      ['inventory', 'GET', '/internal/anything-else', undefined],
    ];
    for (const [service, method, path, body] of calls)
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: `Bearer ${user.token}` },
        { 'x-internal-token': randomBytes(24).toString('hex') },
      ]) {
        const res = await stack.api(method, path, { base: stack.url(service), body, headers });
        expect(
          res.status,
          `${method} ${service}${path} with ${Object.keys(headers).join() || 'nothing'}`,
        ).toBe(401);
      }
    const charged = await stack
      .db('payments')
      .query('SELECT count(*)::int AS n FROM payments WHERE order_id = $1', [orderId]);
    expect(charged.rows[0].n).toBe(0);
  });

  it('row 11: password guesses are limited per account, whatever token rides along', async () => {
    covers(ROWS.bruteForce);
    const attacker = await stack.register();
    const victim = await stack.register();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 14; i++) {
      const res = await stack.api('POST', '/api/v1/auth/login', {
        token: attacker.token,
        body: { email: victim.email, password: `guess number ${i}` },
      });
      statuses.push(res.status);
      retryAfter ??= res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // the attacker's own account is not locked by it
    const own = await stack.api('POST', '/api/v1/auth/login', {
      body: { email: attacker.email, password: 'correct horse battery' },
    });
    expect(own.status).toBe(200);
  });

  it('row 15: registration answers the same for a known and a new email', async () => {
    covers(ROWS.registration);
    const known = await stack.api('POST', '/api/v1/users', {
      body: { email: user.email, password: 'another password', name: 'Someone' },
    });
    const fresh = await stack.api('POST', '/api/v1/users', {
      body: {
        email: `${randomBytes(6).toString('hex')}@example.test`,
        password: 'another password',
        name: 'Someone',
      },
    });
    expect(known.status).toBe(fresh.status);
    expect(known.body).toEqual(fresh.body);
    expect(
      [...known.headers.keys()]
        .filter((h) => h !== 'date' && h !== 'traceresponse' && !h.startsWith('ratelimit'))
        .sort(),
    ).toEqual(
      [...fresh.headers.keys()]
        .filter((h) => h !== 'date' && h !== 'traceresponse' && !h.startsWith('ratelimit'))
        .sort(),
    );
  });
});
