import { z } from 'zod';

export const ChargeBody = z.object({
  orderId: z.uuid(),
  userId: z.uuid(),
  amountCents: z.number().int().min(0).max(100_000_000),
});

export const Payment = z.object({
  orderId: z.uuid(),
  userId: z.uuid().nullable(),
  amountCents: z.number().int(),
  status: z.enum(['CHARGED', 'REFUNDED', 'VOIDED']),
});

export const OrderIdParams = z.object({ orderId: z.uuid() });
export const PaymentQuery = z.object({ orderId: z.uuid() });
