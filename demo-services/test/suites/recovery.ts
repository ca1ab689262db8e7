/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   tests read JSON bodies whose shape is what they assert */
// Nothing is lost when something fails mid-way: events written while RabbitMQ is unreachable are
// delivered once it is back, and a saga interrupted by killing orders finishes after restart.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { currentStack } from '../support/current.js';

let stack: TestStack;
let user: TestUser;

const order = (productId = 'sku-mug') =>
  stack.api('POST', '/api/v1/orders', {
    token: user.token,
    body: { items: [{ productId, quantity: 1 }] },
  });

describe('recovery', () => {
  beforeAll(async () => {
    stack = currentStack();
    user = await stack.register();
  });

  describe('transactional outbox', () => {
    it('events written while the broker is unreachable are delivered after it returns', async () => {
      await stack.brokerProxy!.stop();
      const ids: string[] = [];
      try {
        await stack.waitFor('orders to notice the broker is gone', async () => {
          const ready = await stack.api('GET', '/readyz', { base: stack.url('orders') });
          return ready.status === 503 && ready.body.checks.broker !== 'ok';
        });
        const placed = [];
        for (let i = 0; i < 3; i++) placed.push(await order());
        for (const p of placed) expect(p.body.status).toBe('CONFIRMED');
        ids.push(...placed.map((p) => p.body.id as string));

        await new Promise((r) => setTimeout(r, 1000));
        const waiting = await stack
          .db('orders')
          .query(
            `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND type = 'order.confirmed' AND aggregate_id = ANY($1)`,
            [ids],
          );
        expect(waiting.rows[0].n).toBe(3);
        expect(await stack.metric('orders', 'outbox_pending_events')).toBeGreaterThanOrEqual(3);
        for (const id of ids)
          expect(
            (await stack.api('GET', `/api/v1/orders/${id}`, { token: user.token })).body.status,
          ).toBe('CONFIRMED');
      } finally {
        await stack.brokerProxy!.restart();
      }
      for (const id of ids) await stack.waitForOrderStatus(user, id, ['SHIPPED'], 30_000);
      const left = await stack
        .db('orders')
        .query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      expect(left.rows[0].n).toBe(0);
    });
  });

  describe('graceful shutdown', () => {
    it('SIGTERM lets an order in flight finish, then exits 0', async () => {
      await stack.setFaults({ latencyMs: 1200 });
      try {
        const inFlight = order('sku-kettle');
        await stack.waitFor('saga to reach the charge step', async () => {
          const { rows } = await stack.db('orders').query(
            `SELECT 1 FROM sagas s JOIN orders o ON o.id = s.order_id
             WHERE o.user_id = $1 AND s.step = 'CHARGE' AND o.items @> '[{"productId":"sku-kettle"}]'`,
            [user.id],
          );
          return rows.length > 0;
        });
        const exit = stack.processes.get('orders')!.stop();
        const answer = await inFlight;
        expect(answer.status).toBe(201);
        expect(answer.body.status).toBe('CONFIRMED');
        expect(await exit).toBe(0);
      } finally {
        await stack.setFaults({ latencyMs: 0 });
        await stack.startService('orders');
      }
    });
  });

  describe('saga recovery', () => {
    it('a saga interrupted by killing orders mid-flight ends CONFIRMED or CANCELLED after restart', async () => {
      // payments slow enough that orders can be killed while the charge is in flight
      await stack.setFaults({ latencyMs: 1500 });
      const inFlight = order('sku-grinder').catch((err: unknown) => err);
      const orderId = await stack.waitFor('saga to reach the charge step', async () => {
        const { rows } = await stack.db('orders').query(
          `SELECT s.order_id FROM sagas s JOIN orders o ON o.id = s.order_id
           WHERE o.user_id = $1 AND s.step = 'CHARGE' AND o.items @> '[{"productId":"sku-grinder"}]'`,
          [user.id],
        );
        return rows[0]?.order_id as string | undefined;
      });
      await stack.killService('orders');
      const answer = await inFlight;
      // the client saw the crash as a gateway error, not a hang
      expect((answer as { status?: number }).status).toBeGreaterThanOrEqual(500);
      await stack.setFaults({ latencyMs: 0 });

      const { rows } = await stack
        .db('orders')
        .query('SELECT status FROM orders WHERE id = $1', [orderId]);
      expect(rows[0].status).toBe('PENDING');
      await stack.startService('orders');
      const done = await stack.waitForOrderStatus(
        user,
        orderId,
        ['CONFIRMED', 'SHIPPED', 'CANCELLED'],
        30_000,
      );
      const payment = await stack
        .db('payments')
        .query('SELECT status FROM payments WHERE order_id = $1', [orderId]);
      const reservation = await stack
        .db('inventory')
        .query('SELECT status FROM reservations WHERE order_id = $1', [orderId]);
      if (done.status === 'CANCELLED') {
        expect(payment.rows.every((r: { status: string }) => r.status !== 'CHARGED')).toBe(true);
        expect(reservation.rows[0].status).toBe('RELEASED');
      } else {
        expect(payment.rows[0].status).toBe('CHARGED');
        expect(reservation.rows[0].status).toBe('RESERVED');
      }
      const pending = await stack
        .db('orders')
        .query(`SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'`);
      expect(pending.rows[0].n).toBe(0);
    });
  });
});
