// The envelope every domain event travels in. `id` is the outbox row id: consumers deduplicate on it.
import { z } from 'zod';

export const EventEnvelope = z.object({
  id: z.uuid(),
  type: z.string(),
  occurredAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;
