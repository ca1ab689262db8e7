// Reads of the orders table shared by the routes and the saga.
import type { Db, Tx } from '../platform/db/pool.js';

export interface OrderRow {
  id: string;
  user_id: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'SHIPPED';
  items: { productId: string; quantity: number }[];
  total_cents: number | null;
  note: string | null;
  cancel_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export const toOrder = (r: OrderRow) => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  items: r.items,
  totalCents: r.total_cents,
  note: r.note,
  cancelReason: r.cancel_reason,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export async function findOrder(db: Db | Tx, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  return rows[0];
}
