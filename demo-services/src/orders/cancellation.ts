// Customer cancellation of a confirmed order: the order is CANCELLED in the same transaction as
// the decision (so a late order.shipped cannot flip it back), and its saga is set to compensate
// (refund and release), which the orchestrator then runs until both have happened.
import { withTransaction, type Db } from '../platform/db/pool.js';
import { enqueueEvent } from '../platform/messaging/outbox.js';
import type { OrderRow } from './repository.js';

/** False when the order is no longer CONFIRMED (shipped, or cancelled already). */
export function cancelConfirmedOrder(db: Db, orderId: string, leaseMs: number): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<OrderRow>(
      `UPDATE orders SET status = 'CANCELLED', cancel_reason = 'cancelled by customer', updated_at = now()
       WHERE id = $1 AND status = 'CONFIRMED' RETURNING *`,
      [orderId],
    );
    if (!rows[0]) return false;
    await tx.query(
      `UPDATE sagas SET step = 'COMPENSATE', failure_reason = 'cancelled by customer', release_needed = true, refund_needed = true,
         lease_until = now() + $2 * interval '1 millisecond', updated_at = now()
       WHERE order_id = $1`,
      [orderId, leaseMs],
    );
    await enqueueEvent(tx, 'order.cancelled', orderId, {
      orderId,
      userId: rows[0].user_id,
      reason: 'cancelled by customer',
    });
    return true;
  });
}
