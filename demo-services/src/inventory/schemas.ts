import { z } from 'zod';
import { text } from '../platform/http/text.js';

export const Product = z.object({
  id: z.string(),
  name: z.string(),
  price: z.number().describe('price in cents'),
  stock: z.number().int(),
});

export const ProductList = z.object({ items: z.array(Product) });
export const ProductIdParams = z.object({ id: text().min(1).max(64) });

export const ReserveBody = z.object({
  orderId: z.uuid(),
  items: z
    .array(
      z.object({
        productId: text().min(1).max(64),
        quantity: z.number().int().min(1).max(1000),
      }),
    )
    .min(1)
    .max(50),
});

export const Reservation = z.object({
  orderId: z.uuid(),
  status: z.enum(['RESERVED', 'RELEASED']),
  totalCents: z.number().int(),
  items: z.array(z.object({ productId: z.string(), quantity: z.number(), priceCents: z.number() })),
});

export const OrderIdParams = z.object({ orderId: z.uuid() });
