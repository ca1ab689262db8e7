/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument --
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
      const breakerState = () =>
        stack.metric('orders', 'resilience_circuit_breaker_state', { dependency: 'payments' });
      expect(await breakerState()).toBe(0);
      const products = ['sku-mug', 'sku-scale', 'sku-dripper', 'sku-kettle', 'sku-milk-jug'];
      const stockOf = async () =>
        (
          await stack
            .db('inventory')
            .query<{ id: string; stock: number }>(
              'SELECT id, stock FROM products WHERE id = ANY($1) ORDER BY id',
              [products],
            )
        ).rows;
      const stockBefore = await stockOf();
      await stack.stopService('payments');
      try {
        // consecutive failures open the breaker (threshold 3 in the test stack)
        for (let i = 0; i < 3; i++) {
          const res = await order();
          expect(res.status).toBe(201);
          expect(res.body.status).toBe('CANCELLED');
        }
        expect(await breakerState()).toBe(1);

        // now calls are rejected at once: 20 concurrent orders all answer quickly
        const started = Date.now();
        const burst = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stack.api('POST', '/api/v1/orders', {
              token: user.token,
              body: { items: [{ productId: products[i % products.length], quantity: 1 }] },
            }),
          ),
        );
        const elapsed = Date.now() - started;
        expect(elapsed).toBeLessThan(8000);
        expect(burst.every((r) => r.status === 201 && r.body.status !== 'CONFIRMED')).toBe(true);
        const shortCircuited = burst.filter((r) =>
          /circuit breaker is open/.test(r.body.cancelReason ?? ''),
        );
        expect(shortCircuited.length).toBeGreaterThanOrEqual(15);
        expect(
          await stack.metric('orders', 'resilience_rejections_total', {
            dependency: 'payments',
            reason: 'breaker_open',
          }),
        ).toBeGreaterThanOrEqual(shortCircuited.length);
        // nothing piles up: every order is settled and every reservation released again
        await stack.waitFor('no order left PENDING', async () => {
          const { rows } = await stack
            .db('orders')
            .query(`SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'`);
          return rows[0].n === 0;
        });
        await stack.waitFor(
          'stock restored',
          async () => JSON.stringify(await stockOf()) === JSON.stringify(stockBefore),
        );
        // the decisions are on the traces too
        const events = await stack.waitFor('resilience span events exported', () => {
          const names = new Set(
            stack.receiver.spans.filter((sp) => sp.service === 'orders').flatMap((sp) => sp.events),
          );
          const all = [
            'resilience.retry',
            'resilience.circuit_breaker',
            'resilience.breaker_open',
            'saga.failed',
          ];
          return Promise.resolve(all.every((e) => names.has(e)) ? names : undefined);
        });
        expect(events.size).toBeGreaterThanOrEqual(4);
      } finally {
        await stack.startService('payments');
      }
      const recovered = await stack.waitFor(
        'an order confirmed after payments returned',
        async () => {
          const res = await order();
          return res.body.status === 'CONFIRMED' ? res : undefined;
        },
      );
      expect(recovered.body.status).toBe('CONFIRMED');
      expect(await breakerState()).toBe(0);
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
        // The calls above opened the gateway's breaker for orders; the next tests need it closed
        // again, and a fast restart beats its half-open delay.
        await stack.waitFor('the gateway to reach orders again', async () => {
          const res = await stack.api('GET', `/api/v1/orders?userId=${user.id}`, {
            token: user.token,
          });
          return res.status === 200;
        });
      }
    });
  });
});
