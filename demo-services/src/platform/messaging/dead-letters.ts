// The dead-letter queue is not the end of a message: its depth is a metric (and an alert), each
// message says where it came from and why it failed, and `redriveDeadLetters` (the `redrive`
// command) puts them back on their queues once the cause is fixed. Consumers are idempotent, so
// re-driving a message that had in fact been processed changes nothing.
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { log, metrics } from '../telemetry/index.js';
import { bindings, topologyNames } from './topology.js';
import type { BrokerConnection } from './connection.js';

/** Failed attempts so far, carried by a message between retries. */
export const ATTEMPT_HEADER = 'x-o11y-attempt';
const ORIGIN_HEADER = 'x-o11y-original-queue';
const REASON_HEADER = 'x-o11y-failure';
const DEAD_AT_HEADER = 'x-o11y-dead-lettered-at';

export function deadLetterHeaders(queue: string, reason: string, attempt: number) {
  return {
    [ORIGIN_HEADER]: queue,
    [REASON_HEADER]: reason.slice(0, 500),
    [ATTEMPT_HEADER]: attempt,
    [DEAD_AT_HEADER]: new Date().toISOString(),
  };
}

const depth = metrics.gauge({
  name: 'messaging_dead_letter_messages',
  help: 'Messages waiting in the dead-letter queue (re-drive them with the redrive command)',
  labelNames: ['queue'],
});

/** Publishes the dead-letter queue's depth every `intervalMs` while connected. */
export class DeadLetterMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly queue: string;

  constructor(
    private readonly broker: BrokerConnection,
    prefix: string,
    private readonly intervalMs = 15_000,
  ) {
    this.queue = topologyNames(prefix).deadLetterQueue;
    depth.set({ queue: this.queue }, 0);
  }

  start(): void {
    const tick = async () => {
      const connection = this.broker.current;
      if (connection) {
        try {
          depth.set({ queue: this.queue }, await messageCount(connection, this.queue));
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'cannot read the dead-letter queue depth');
        }
      }
      this.timer = setTimeout(() => void tick(), this.intervalMs);
      this.timer.unref();
    };
    void tick();
  }

  stop(): Promise<void> {
    clearTimeout(this.timer);
    return Promise.resolve();
  }
}

async function messageCount(connection: ChannelModel, queue: string): Promise<number> {
  // a channel of its own: checkQueue on a missing queue closes the channel it runs on
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export interface RedriveResult {
  /** Messages put back, per queue. */
  moved: Record<string, number>;
  /** Messages left in the dead-letter queue because their origin is unknown. */
  kept: number;
}

/** The queue a dead-lettered message came from: our header, else the broker's x-death record. */
function originOf(msg: GetMessage): string | undefined {
  const headers = msg.properties.headers ?? {};
  const ours = headers[ORIGIN_HEADER] as unknown;
  if (typeof ours === 'string') return ours;
  const deaths = headers['x-death'] as { queue?: string }[] | undefined;
  return deaths?.[0]?.queue;
}

/**
 * Moves up to `limit` messages from the dead-letter queue back to the queues they failed on, with
 * their attempt count reset. A message from an unknown queue stays where it is.
 */
export async function redriveDeadLetters(
  connection: ChannelModel,
  prefix: string,
  options: { limit?: number; onMessage?: (queue: string | undefined, moved: boolean) => void } = {},
): Promise<RedriveResult> {
  const known = new Set(bindings(prefix).map((b) => b.queue));
  const dlq = topologyNames(prefix).deadLetterQueue;
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  const result: RedriveResult = { moved: {}, kept: 0 };
  const keep: GetMessage[] = [];
  try {
    for (let n = 0; n < (options.limit ?? Infinity); n++) {
      const msg = await channel.get(dlq, { noAck: false });
      if (!msg) break;
      const origin = originOf(msg);
      if (!origin || !known.has(origin)) {
        keep.push(msg);
        result.kept++;
        options.onMessage?.(origin, false);
        continue;
      }
      const headers: Record<string, unknown> = { ...(msg.properties.headers ?? {}) };
      for (const h of [ATTEMPT_HEADER, ORIGIN_HEADER, REASON_HEADER, DEAD_AT_HEADER, 'x-death'])
        delete headers[h];
      const p = msg.properties;
      channel.publish('', origin, msg.content, {
        headers,
        persistent: true,
        messageId: p.messageId as string | undefined,
        type: p.type as string | undefined,
        contentType: p.contentType as string | undefined,
        timestamp: p.timestamp as number | undefined,
      });
      await channel.waitForConfirms();
      channel.ack(msg);
      result.moved[origin] = (result.moved[origin] ?? 0) + 1;
      options.onMessage?.(origin, true);
    }
  } finally {
    // unknown origins go back to the dead-letter queue (requeued), after the loop so they are
    // not fetched again in it
    for (const msg of keep) (channel as Channel).nack(msg, false, true);
    await channel.close().catch(() => undefined);
  }
  return result;
}
