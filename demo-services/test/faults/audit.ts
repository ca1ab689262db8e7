// The invariants a fault must never break, checked over orders as the databases of the services
// that own them see it (not as the API reports it):
//   charged <=> the order is CONFIRMED or SHIPPED;  reserved <=> the order is not CANCELLED;
//   every CONFIRMED order ships;  nothing stays PENDING;  stock + reserved is conserved.
import { expect } from 'vitest';
import { faultWorld } from './environment.js';

export interface OrderFacts {
  id: string;
  status: string;
  payment: string | undefined;
  reservation: string | undefined;
  shipment: string | undefined;
}

async function statusesOf(
  service: 'payments' | 'inventory' | 'shipping',
  table: string,
  ids: string[],
): Promise<Map<string, string>> {
  const { rows } = await faultWorld()
    .stack.db(service)
    .query<{ order_id: string; status: string }>(
      `SELECT order_id, status FROM ${table} WHERE order_id = ANY($1::uuid[])`,
      [ids],
    );
  return new Map(rows.map((r) => [r.order_id, r.status]));
}

export async function factsOf(ids: string[]): Promise<OrderFacts[]> {
  const { stack } = faultWorld();
  const { rows } = await stack
    .db('orders')
    .query<{ id: string; status: string }>(
      'SELECT id, status FROM orders WHERE id = ANY($1::uuid[])',
      [ids],
    );
  const [payments, reservations, shipments] = await Promise.all([
    statusesOf('payments', 'payments', ids),
    statusesOf('inventory', 'reservations', ids),
    statusesOf('shipping', 'shipments', ids),
  ]);
  return rows.map((o) => ({
    id: o.id,
    status: o.status,
    payment: payments.get(o.id),
    reservation: reservations.get(o.id),
    shipment: shipments.get(o.id),
  }));
}

export function violationsOf(f: OrderFacts): string[] {
  const out: string[] = [];
  const done = f.status === 'CONFIRMED' || f.status === 'SHIPPED';
  if (f.status === 'PENDING') out.push('still PENDING');
  if (f.status === 'CANCELLED' && f.payment === 'CHARGED')
    out.push('charge kept by a cancelled order');
  if (done && f.payment !== 'CHARGED') out.push(`${f.status} without a charge (${f.payment})`);
  if (f.status === 'CANCELLED' && f.reservation === 'RESERVED')
    out.push('stock held by a cancelled order');
  if (done && f.reservation !== 'RESERVED')
    out.push(`${f.status} without stock (${f.reservation})`);
  if (f.status === 'CONFIRMED') out.push('CONFIRMED, never shipped');
  if (f.status === 'SHIPPED' && f.shipment !== 'SHIPPED') out.push(`SHIPPED without a shipment`);
  if (f.status === 'CANCELLED' && f.shipment === 'SHIPPED') out.push('a cancelled order shipped');
  return out.map((v) => `${f.id}: ${v}`);
}

/**
 * Waits until the orders have settled (no saga running, every confirmed order shipped), then
 * returns the violations left. Only what never settles is a violation: faults may delay.
 */
export async function auditOrders(ids: string[], timeoutMs = 90_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const violations = (await factsOf(ids)).flatMap(violationsOf);
    if (violations.length === 0 || Date.now() > deadline) return violations;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Products whose stock + reserved quantity differs from the stock before the first order. */
export async function stockDrift(): Promise<string[]> {
  const { stack, initialStock } = faultWorld();
  const stock = await stack
    .db('inventory')
    .query<{ id: string; stock: number }>('SELECT id, stock FROM products');
  const reserved = await stack.db('inventory').query<{ product_id: string; n: string }>(
    `SELECT item->>'productId' AS product_id, sum((item->>'quantity')::int) AS n
       FROM reservations, jsonb_array_elements(items) AS item
      WHERE status = 'RESERVED' GROUP BY 1`,
  );
  const held = new Map(reserved.rows.map((r) => [r.product_id, Number(r.n)]));
  return stock.rows
    .filter((p) => p.stock + (held.get(p.id) ?? 0) !== initialStock.get(p.id))
    .map(
      (p) =>
        `${p.id}: ${initialStock.get(p.id)} at start, now ${p.stock} in stock + ${held.get(p.id) ?? 0} reserved`,
    );
}

/** For a row's test: its orders settle with every invariant kept. */
export async function expectInvariants(row: string): Promise<void> {
  const ids = faultWorld().ledger.get(row) ?? [];
  expect(ids.length, `${row} placed no order`).toBeGreaterThan(0);
  expect(await auditOrders(ids), `${row}: invariants`).toEqual([]);
}
