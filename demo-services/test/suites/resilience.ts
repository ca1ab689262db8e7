/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   tests read JSON bodies whose shape is what they assert */
// Dependencies failing: the circuit breaker opens (fast failures, nothing piles up) and closes when
// the dependency returns; the gateway's aggregation degrades to a partial answer.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { currentStack } from '../support/current.js';

let stack: TestStack;
let user: TestUser;

const order = () =>
  stack.api('POST', '/api/v1/orders', {
    token: user.token,
    body: { items: [{ productId: 'sku-mug', quantity: 1 }] },
  });

describe('resilience', () => {
  beforeAll(async () => {
    stack = currentStack();
    user = await stack.register();
  });

  describe('circuit breaker', () => {
    it('opens while payments is down, fails fast without pile-up, and closes after it returns', async () => {
      expect(
        await stack.metric('orders', 'resilience_circuit_breaker_state', {
          dependency: 'payments',
        }),
      ).toBe(0);
      const { rows: stockBefore } = await stack
        .db('inventory')
        .query(`SELECT stock FROM products WHERE id = 'sku-mug'`);
      await stack.stopService('payments');

      // consecutive failures open the breaker (threshold 3 in the test stack)
      for (let i = 0; i < 3; i++) {
        const res = await order();
        expect(res.status).toBe(201);
        expect(res.body.status).toBe('CANCELLED');
      }
      expect(
        await stack.metric('orders', 'resilience_circuit_breaker_state', {
          dependency: 'payments',
        }),
      ).toBe(1);

      // now calls are rejected at once: 20 concurrent orders all answer quickly, none is left PENDING
      const started = Date.now();
      const burst = await Promise.all(Array.from({ length: 20 }, () => order()));
      const elapsed = Date.now() - started;
      expect(burst.map((r) => r.body.status)).toEqual(Array(20).fill('CANCELLED'));
      for (const r of burst) expect(r.body.cancelReason).toMatch(/circuit breaker is open/);
      expect(elapsed).toBeLessThan(8000);
      expect(
        await stack.metric('orders', 'resilience_rejections_total', {
          dependency: 'payments',
          reason: 'breaker_open',
        }),
      ).toBeGreaterThanOrEqual(20);
      const pending = await stack
        .db('orders')
        .query(`SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'`);
      expect(pending.rows[0].n).toBe(0);
      // every reservation was released again
      const { rows: stockAfter } = await stack
        .db('inventory')
        .query(`SELECT stock FROM products WHERE id = 'sku-mug'`);
      expect(stockAfter[0].stock).toBe(stockBefore[0].stock);

      await stack.startService('payments');
      const recovered = await stack.waitFor(
        'an order confirmed after payments returned',
        async () => {
          const res = await order();
          return res.body.status === 'CONFIRMED' ? res : undefined;
        },
      );
      expect(recovered.body.status).toBe('CONFIRMED');
      expect(
        await stack.metric('orders', 'resilience_circuit_breaker_state', {
          dependency: 'payments',
        }),
      ).toBe(0);
    });

    it('retries idempotent calls with backoff and counts the retries', async () => {
      const before =
        (await stack.metric('orders', 'resilience_retries_total', { dependency: 'payments' })) ?? 0;
      await stack.setFaults({ errorRate: 0.5 });
      try {
        // half the charges fail: an order soon needs a retry (and may still succeed through it)
        await stack.waitFor('a retried payment', async () => {
          const res = await order();
          expect(['CONFIRMED', 'CANCELLED']).toContain(res.body.status);
          const now =
            (await stack.metric('orders', 'resilience_retries_total', {
              dependency: 'payments',
            })) ?? 0;
          return now > before;
        });
      } finally {
        await stack.setFaults({ errorRate: 0 });
      }
      const after =
        (await stack.metric('orders', 'resilience_retries_total', { dependency: 'payments' })) ?? 0;
      expect(after).toBeGreaterThan(before);
      // let the breaker close again (a half-open probe succeeds)
      await stack.waitFor(
        'payments healthy',
        async () => (await order()).body.status === 'CONFIRMED',
      );
    });
  });

  describe('aggregation', () => {
    it('returns the user with a partial flag when orders is down', async () => {
      const full = await stack.api('GET', `/api/v1/users/${user.id}/summary`, {
        token: user.token,
      });
      expect(full.status).toBe(200);
      expect(full.body.partial).toBe(false);
      await stack.stopService('orders');
      try {
        const partial = await stack.api('GET', `/api/v1/users/${user.id}/summary`, {
          token: user.token,
        });
        expect(partial.status).toBe(200);
        expect(partial.body).toMatchObject({
          user: { id: user.id },
          orders: [],
          partial: true,
          unavailable: ['orders'],
        });
        const direct = await stack.api('GET', `/api/v1/orders?userId=${user.id}`, {
          token: user.token,
        });
        expect([502, 503]).toContain(direct.status);
        expect(direct.body.error).toMatch(/bad_gateway|service_unavailable/);
      } finally {
        await stack.startService('orders');
      }
    });
  });
});
