/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON bodies whose shape is what they assert */
// Rows 5, 6, 13 and 15: dependencies that hang, restart or go away. Every call has a deadline; a
// timeout is a 504 (retried when idempotent, counted by the breaker); a dependency that is down is
// a 503 with Retry-After; no process dies; and service comes back within seconds.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { expectInvariants } from './audit.js';
import { faultWorld, placeOrder, sleep } from './environment.js';
import { untilConfirmed } from './money.js';
import { covers, ROWS } from './rows.js';

let stack: TestStack;
let user: TestUser;

async function timed(path: string, token: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${stack.gateway}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
  await res?.text();
  return { status: res?.status ?? 0, ms: Date.now() - started };
}

describe('dependencies', () => {
  beforeAll(async () => {
    stack = faultWorld().stack;
    user = await stack.register();
  });

  it('row 5: a hung Redis costs each request a short deadline at most, and one warning', async () => {
    covers(ROWS.redisHung, ROWS.redisWarnings);
    const { redis } = faultWorld();
    const warnings = () =>
      (stack.logs.get('gateway') ?? []).filter((l) => l.includes('rate limiter unavailable'))
        .length;
    const before = warnings();
    redis.hang();
    const answers: { status: number; ms: number }[] = [];
    try {
      for (let i = 0; i < 30; i++) answers.push(await timed('/api/v1/products', user.token));
    } finally {
      redis.resume();
    }
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1500);
    // row 15: one warning for the episode, not one per request
    expect(warnings() - before).toBeLessThanOrEqual(1);
  });

  it('row 6: a PostgreSQL restart under load kills no process; while it is down the API says 503', async () => {
    covers(ROWS.postgresRestart, ROWS.dbDown503);
    const { postgres } = faultWorld();
    const statuses: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        statuses.push(
          (await placeOrder(ROWS.postgresRestart, user).catch(() => ({ status: 0 }))).status,
        );
        await sleep(250);
      }
    })();
    await sleep(1500);
    postgres.stopServer();
    try {
      // row 15: the documented answer for a database that is down
      const down = await stack.api('GET', `/api/v1/orders?userId=${user.id}`, {
        token: user.token,
      });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      await sleep(2000);
    } finally {
      postgres.startServer();
    }
    await sleep(3000);
    loading = false;
    await load;
    expect(statuses.filter((s) => s >= 500 && s !== 503 && s !== 504)).toEqual([]);
    expect(stack.crashes).toEqual([]);
    await untilConfirmed(user);
    await expectInvariants(ROWS.postgresRestart);
  });

  it('row 13: a hung upstream is a 504, retried when idempotent and counted by the breaker', async () => {
    covers(ROWS.timeouts);
    const users = stack.processes.get('users')!;
    const retries = () =>
      stack.metric('gateway', 'resilience_retries_total', { dependency: 'users' });
    const before = (await retries()) ?? 0;
    process.kill(users.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      const login = await stack.api('POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'correct horse battery' },
      });
      expect(login.status).toBe(504);
      expect(login.body.error).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(2000 + 1500);
      const read = await stack.api('GET', `/api/v1/users/${user.id}`, { token: user.token });
      expect(read.status).toBe(504);
      expect(((await retries()) ?? 0) - before).toBeGreaterThanOrEqual(1);
      expect(
        await stack.metric('gateway', 'resilience_rejections_total', {
          dependency: 'users',
          reason: 'timeout',
        }),
      ).toBeGreaterThanOrEqual(2);
      // the timeouts opened the breaker: answers come at once (between its half-open probes)
      await stack.waitFor('an immediate 503 from the open breaker', async () => {
        const started = Date.now();
        const open = await stack.api('GET', `/api/v1/users/${user.id}`, { token: user.token });
        return (
          open.status === 503 &&
          /^\d+$/.test(open.headers.get('retry-after') ?? '') &&
          Date.now() - started < 500
        );
      });
    } finally {
      process.kill(users.pid!, 'SIGCONT');
    }
    await stack.waitFor('users served again', async () => {
      const res = await stack.api('GET', `/api/v1/users/${user.id}`, { token: user.token });
      return res.status === 200;
    });
  });

  it('row 15: after a 3 s restart of orders, clients are served again within seconds of it being ready', async () => {
    covers(ROWS.quickRestart);
    await stack.stopService('orders');
    const stoppedAt = Date.now();
    while (Date.now() - stoppedAt < 3000) {
      await timed(`/api/v1/orders?userId=${user.id}`, user.token);
      await sleep(100);
    }
    await stack.startService('orders');
    const readyAt = Date.now();
    let served = 0;
    while (Date.now() - readyAt < 15_000) {
      if ((await timed(`/api/v1/orders?userId=${user.id}`, user.token)).status === 200) {
        served = Date.now();
        break;
      }
      await sleep(50);
    }
    expect(served, 'never served again').toBeGreaterThan(0);
    expect(served - readyAt).toBeLessThan(2500);
  });
});
