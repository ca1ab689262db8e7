import { z } from 'zod';
import { text } from '../platform/http/text.js';

export const OrderItem = z.object({
  productId: text().min(1).max(64),
  quantity: z.number().int().min(1).max(100),
});

export const CreateOrderBody = z.object({
  items: z.array(OrderItem).min(1, 'at least one item').max(20),
  note: text().max(500).optional(),
});

export const UpdateOrderBody = z.object({
  note: text().max(500).nullable(),
});

export const OrderStatus = z.enum(['PENDING', 'CONFIRMED', 'CANCELLED', 'SHIPPED']);

export const Order = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: OrderStatus,
  items: z.array(OrderItem),
  totalCents: z.number().int().nullable(),
  note: z.string().nullable(),
  cancelReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const OrderList = z.object({ items: z.array(Order) });
export const OrderIdParams = z.object({ id: z.uuid() });
export const OrderListQuery = z.object({
  userId: z.uuid(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const IdempotencyHeaders = z.object({
  'idempotency-key': text().min(1).max(200).optional(),
});

export const OrderShippedEvent = z.object({
  orderId: z.uuid(),
  shipmentId: z.uuid(),
  trackingNumber: z.string(),
});
