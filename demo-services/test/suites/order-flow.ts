/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call --
   tests read JSON bodies whose shape is what they assert */
// The main business flows through the gateway, against real PostgreSQL, RabbitMQ and Redis.
import { beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { AMQP_URL, type TestStack, type TestUser } from '../support/stack.js';
import { currentStack } from '../support/current.js';
import { topologyNames } from '../../src/platform/messaging/topology.js';

let stack: TestStack;
let alice: TestUser;

const stockOf = async (productId: string) =>
  (await stack.api('GET', `/api/v1/products/${productId}`, { token: alice.token })).body
    .stock as number;

describe('order-flow', () => {
  beforeAll(async () => {
    stack = currentStack();
    alice = await stack.register('Alice');
  });

  describe('order flow', () => {
    it('registers, logs in, and an order goes PENDING -> CONFIRMED -> SHIPPED', async () => {
      const placed = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body: { items: [{ productId: 'sku-mug', quantity: 2 }] },
      });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(placed.body).toMatchObject({
        id: expect.any(String),
        status: 'CONFIRMED',
        totalCents: 3200,
      });
      expect(placed.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      const shipped = await stack.waitForOrderStatus(alice, placed.body.id, ['SHIPPED']);
      expect(shipped.status).toBe('SHIPPED');
      const shipment = await stack.api('GET', `/api/v1/shipments?orderId=${placed.body.id}`, {
        token: alice.token,
      });
      expect(shipment.status).toBe(200);
      expect(shipment.body.trackingNumber).toMatch(/^TRK-/);
    });

    it('replays the same order for the same Idempotency-Key, and refuses the key with another body', async () => {
      const key = randomUUID();
      const body = { items: [{ productId: 'sku-scale', quantity: 1 }] };
      const before = await stockOf('sku-scale');
      const first = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body,
        headers: { 'idempotency-key': key },
      });
      const again = await Promise.all(
        [1, 2, 3].map(() =>
          stack.api('POST', '/api/v1/orders', {
            token: alice.token,
            body,
            headers: { 'idempotency-key': key },
          }),
        ),
      );
      expect(first.status).toBe(201);
      for (const r of again) {
        expect(r.status).toBe(201);
        expect(r.body.id).toBe(first.body.id);
        expect(r.headers.get('idempotent-replayed')).toBe('true');
      }
      const { rows } = await stack
        .db('orders')
        .query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1 AND items @> $2', [
          alice.id,
          JSON.stringify([{ productId: 'sku-scale' }]),
        ]);
      expect(rows[0].n).toBe(1);
      // the product endpoint is cached briefly at the gateway: read the truth from the database
      const stock = await stack
        .db('inventory')
        .query('SELECT stock FROM products WHERE id = $1', ['sku-scale']);
      expect(stock.rows[0].stock).toBe(before - 1);
      const reused = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body: { items: [{ productId: 'sku-scale', quantity: 5 }] },
        headers: { 'idempotency-key': key },
      });
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ error: 'idempotency_key_reused' });
    });

    it('cancels with compensation when the payment fails: stock released, no charge kept', async () => {
      const { rows: before } = await stack
        .db('inventory')
        .query('SELECT stock FROM products WHERE id = $1', ['sku-kettle']);
      await stack.setFaults({ errorRate: 1 });
      try {
        const placed = await stack.api('POST', '/api/v1/orders', {
          token: alice.token,
          body: { items: [{ productId: 'sku-kettle', quantity: 3 }] },
        });
        expect(placed.status).toBe(201);
        expect(placed.body.status).toBe('CANCELLED');
        expect(placed.body.cancelReason).toMatch(/payment/);
        const { rows: after } = await stack
          .db('inventory')
          .query('SELECT stock FROM products WHERE id = $1', ['sku-kettle']);
        expect(after[0].stock).toBe(before[0].stock);
        const reservation = await stack
          .db('inventory')
          .query('SELECT status FROM reservations WHERE order_id = $1', [placed.body.id]);
        expect(reservation.rows[0].status).toBe('RELEASED');
        const payment = await stack
          .db('payments')
          .query('SELECT status FROM payments WHERE order_id = $1', [placed.body.id]);
        expect(payment.rows.every((r: { status: string }) => r.status !== 'CHARGED')).toBe(true);
      } finally {
        await stack.setFaults({ errorRate: 0 });
        // the failures opened orders' breaker to payments: wait until a real order closes it again
        await stack.waitFor('payments reachable again', async () => {
          const probe = await stack.api('POST', '/api/v1/orders', {
            token: alice.token,
            body: { items: [{ productId: 'sku-mug', quantity: 1 }] },
          });
          return probe.body.status === 'CONFIRMED';
        });
      }
    });

    it('sells the last unit exactly once under 20 concurrent orders', async () => {
      await stack
        .db('inventory')
        .query(`UPDATE products SET stock = 1 WHERE id = 'sku-limited-roast'`);
      const buyers = await Promise.all(
        Array.from({ length: 4 }, (_, i) => stack.register(`Buyer ${i}`)),
      );
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stack.api('POST', '/api/v1/orders', {
            token: buyers[i % 4]!.token,
            body: { items: [{ productId: 'sku-limited-roast', quantity: 1 }] },
          }),
        ),
      );
      const statuses = results.map((r) => `${r.status}:${r.body.status}`);
      expect(statuses.filter((s) => s === '201:CONFIRMED' || s === '201:SHIPPED')).toHaveLength(1);
      expect(statuses.filter((s) => s === '201:CANCELLED')).toHaveLength(19);
      for (const r of results.filter((x) => x.body.status === 'CANCELLED'))
        expect(r.body.cancelReason).toMatch(/insufficient stock/);
      const { rows } = await stack
        .db('inventory')
        .query(`SELECT stock FROM products WHERE id = 'sku-limited-roast'`);
      expect(rows[0].stock).toBe(0);
    });

    it('customer cancellation of a confirmed order refunds and releases', async () => {
      const placed = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body: { items: [{ productId: 'sku-dripper', quantity: 1 }] },
      });
      expect(placed.body.status).toBe('CONFIRMED');
      const cancelled = await stack.api('DELETE', `/api/v1/orders/${placed.body.id}`, {
        token: alice.token,
      });
      if (cancelled.status === 409) {
        // shipping won the race: a shipped order cannot be cancelled
        expect(cancelled.body.error).toBe('order_shipped');
        return;
      }
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({
        status: 'CANCELLED',
        cancelReason: 'cancelled by customer',
      });
      const payment = await stack
        .db('payments')
        .query('SELECT status FROM payments WHERE order_id = $1', [placed.body.id]);
      expect(payment.rows[0].status).toBe('REFUNDED');
      const reservation = await stack
        .db('inventory')
        .query('SELECT status FROM reservations WHERE order_id = $1', [placed.body.id]);
      expect(reservation.rows[0].status).toBe('RELEASED');
      // a late order.shipped does not resurrect it
      await new Promise((r) => setTimeout(r, 500));
      expect(
        (await stack.api('GET', `/api/v1/orders/${placed.body.id}`, { token: alice.token })).body
          .status,
      ).toBe('CANCELLED');
    });

    it('updates, lists and summarises orders; users only see themselves', async () => {
      const placed = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body: { items: [{ productId: 'sku-filter-papers', quantity: 1 }] },
      });
      const put = await stack.api('PUT', `/api/v1/orders/${placed.body.id}`, {
        token: alice.token,
        body: { note: 'leave at the door' },
      });
      expect(put.status).toBe(200);
      expect(put.body.note).toBe('leave at the door');
      const list = await stack.api('GET', `/api/v1/orders?userId=${alice.id}`, {
        token: alice.token,
      });
      expect(list.status).toBe(200);
      expect(list.body.items.map((o: { id: string }) => o.id)).toContain(placed.body.id);
      const summary = await stack.api('GET', `/api/v1/users/${alice.id}/summary`, {
        token: alice.token,
      });
      expect(summary.status).toBe(200);
      expect(summary.body).toMatchObject({
        user: { id: alice.id, email: alice.email },
        partial: false,
      });
      expect(summary.body.orders.length).toBeGreaterThan(0);

      const bob = await stack.register('Bob');
      const other = await stack.api('GET', `/api/v1/users/${alice.id}`, { token: bob.token });
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ error: 'forbidden' });
      const otherOrders = await stack.api('GET', `/api/v1/orders?userId=${alice.id}`, {
        token: bob.token,
      });
      expect(otherOrders.status).toBe(403);
      const otherOrder = await stack.api('GET', `/api/v1/orders/${placed.body.id}`, {
        token: bob.token,
      });
      expect(otherOrder.status).toBe(404);
    });
  });

  describe('tracing', () => {
    it('one POST /api/v1/orders is one trace across gateway, orders, inventory, payments and shipping', async () => {
      const placed = await stack.api('POST', '/api/v1/orders', {
        token: alice.token,
        body: { items: [{ productId: 'sku-tamper', quantity: 1 }] },
      });
      expect(placed.status).toBe(201);
      const traceId = /^00-([0-9a-f]{32})-/.exec(placed.headers.get('traceresponse') ?? '')?.[1];
      expect(traceId).toBeDefined();
      await stack.waitForOrderStatus(alice, placed.body.id, ['SHIPPED']);
      const services = await stack
        .waitFor('spans of every service in the trace', () => {
          const seen = stack.receiver.servicesInTrace(traceId!);
          return Promise.resolve(
            ['gateway', 'orders', 'inventory', 'payments', 'shipping'].every((s) => seen.has(s))
              ? seen
              : undefined,
          );
        })
        .catch(() => stack.receiver.servicesInTrace(traceId!));
      expect([...services].sort()).toEqual(
        expect.arrayContaining(['gateway', 'inventory', 'orders', 'payments', 'shipping']),
      );
      // and the services' log lines about this order carry the same trace id
      const correlated = (service: 'orders' | 'payments' | 'shipping', msg: string) =>
        (stack.logs.get(service) ?? []).some(
          (l) => l.includes(`"trace_id":"${traceId}"`) && l.includes(msg),
        );
      expect(correlated('orders', 'order created')).toBe(true);
      expect(correlated('payments', 'payment charged')).toBe(true);
      expect(correlated('shipping', 'shipment created')).toBe(true);
    });
  });

  describe('messaging', () => {
    it('a redelivered order.confirmed ships once; a poison message ends in the dead-letter queue', async () => {
      const names = topologyNames(stack.prefix);
      const connection = await amqp.connect(AMQP_URL);
      try {
        const channel = await connection.createConfirmChannel();
        const orderId = randomUUID();
        const event = {
          id: randomUUID(),
          type: 'order.confirmed',
          occurredAt: new Date().toISOString(),
          data: {
            orderId,
            userId: alice.id,
            items: [{ productId: 'sku-mug', quantity: 1 }],
            totalCents: 1600,
          },
        };
        const publish = (content: string, messageId: string) =>
          channel.publish(names.exchange, 'order.confirmed', Buffer.from(content), {
            persistent: true,
            messageId,
            contentType: 'application/json',
          });
        publish(JSON.stringify(event), event.id);
        publish(JSON.stringify(event), event.id);
        publish('{ not json', randomUUID());
        await channel.waitForConfirms();

        const shipments = await stack.waitFor('shipment', async () => {
          const { rows } = await stack
            .db('shipping')
            .query('SELECT count(*)::int AS n FROM shipments WHERE order_id = $1', [orderId]);
          return rows[0].n > 0 ? rows[0].n : undefined;
        });
        const dead = await stack.waitFor('dead-lettered message', async () => {
          const msg = await channel.get(names.deadLetterQueue, { noAck: true });
          return msg || undefined;
        });
        expect(dead.content.toString()).toBe('{ not json');
        // both copies were consumed; the second changed nothing
        await stack.waitFor('duplicate recorded', () =>
          Promise.resolve(
            stack.logs.get('shipping')!.some((l) => l.includes('duplicate message ignored')),
          ),
        );
        const { rows } = await stack
          .db('shipping')
          .query('SELECT count(*)::int AS n FROM shipments WHERE order_id = $1', [orderId]);
        expect(shipments).toBe(1);
        expect(rows[0].n).toBe(1);
        const outbox = await stack
          .db('shipping')
          .query(
            `SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND type = 'order.shipped'`,
            [orderId],
          );
        expect(outbox.rows[0].n).toBe(1);
        await channel.close();
      } finally {
        await connection.close();
      }
    });
  });
});
