// Consumers ack manually and are idempotent: the message id is recorded in the same transaction as
// the effect, so a redelivery changes nothing. A message that fails is retried later, with growing
// delays (it waits in its retry queue, so nothing is held in memory and a restart forgets nothing),
// and dead-lettered only after every attempt failed; one that can never be processed (not JSON,
// wrong shape) is dead-lettered at once. Losing the channel or the connection mid-message loses
// nothing: an unacked message comes back, and the consumer comes back with the connection.
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { ZodType } from 'zod';
import { withTransaction, type Db, type Tx } from '../db/pool.js';
import { superviseChannel, type BrokerConnection } from './connection.js';
import { assertTopology, retryQueueOf, topologyNames } from './topology.js';
import { EventEnvelope } from './events.js';
import { ATTEMPT_HEADER, deadLetterHeaders } from './dead-letters.js';
import {
  context,
  log,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  tracer,
} from '../telemetry/index.js';

const consumed = metrics.counter({
  name: 'messages_consumed_total',
  help: 'Messages consumed, by queue and outcome (processed, duplicate, retried, dead_lettered)',
  labelNames: ['queue', 'outcome'],
});

export interface RetrySettings {
  /** Attempts before a message is dead-lettered (the first delivery counts). */
  maxAttempts: number;
  /** Delay before the second attempt; doubled for each one after, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 10,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

export interface ConsumerOptions<T> {
  queue: string;
  prefix: string;
  db: Db;
  schema: ZodType<T>;
  handle: (tx: Tx, data: T, event: EventEnvelope) => Promise<void>;
  /** Called after the transaction commits (e.g. to wake an outbox relay). */
  afterCommit?: () => void;
  prefetch?: number;
  retry?: RetrySettings;
}

/** The delay before attempt `attempt + 1`, after `attempt` failures. */
export function retryDelay(attempt: number, s: RetrySettings): number {
  return Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

export class Consumer<T> {
  private channel: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly retry: RetrySettings;

  constructor(
    private readonly broker: BrokerConnection,
    private readonly options: ConsumerOptions<T>,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    for (const outcome of ['processed', 'duplicate', 'retried', 'dead_lettered'])
      consumed.inc({ queue: options.queue, outcome }, 0);
  }

  async start(): Promise<void> {
    await this.broker.onConnect(() => this.open());
  }

  /** A channel and a consumer on the current connection. */
  private async open(): Promise<void> {
    const connection = this.broker.current;
    if (this.stopped || !connection) return;
    const channel = await connection.createConfirmChannel();
    superviseChannel(
      this.broker,
      channel,
      'consumer',
      () => {
        if (this.channel !== channel) return false;
        this.channel = undefined;
        return !this.stopped;
      },
      () => (this.channel ? Promise.resolve() : this.open()),
    );
    await assertTopology(channel, this.options.prefix);
    await channel.prefetch(this.options.prefetch ?? 10);
    const { consumerTag } = await channel.consume(this.options.queue, (msg) => {
      if (!msg) return;
      const work = this.onMessage(channel, msg)
        .catch((err: Error) =>
          log.error({ err, queue: this.options.queue }, 'message handling failed'),
        )
        .finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    });
    this.consumerTag = consumerTag;
    this.channel = channel;
  }

  private async onMessage(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const { queue } = this.options;
    const parent = trace.getActiveSpan()
      ? context.active()
      : propagation.extract(context.active(), msg.properties.headers ?? {});
    await tracer.startActiveSpan(
      `${queue} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'rabbitmq', 'messaging.destination.name': queue },
      },
      parent,
      async (span) => {
        try {
          let event: EventEnvelope;
          let data: T;
          try {
            event = EventEnvelope.parse(JSON.parse(msg.content.toString('utf8')));
            data = this.options.schema.parse(event.data);
          } catch (err) {
            await this.deadLetter(channel, msg, `poison message: ${(err as Error).message}`, 1);
            return;
          }
          span.setAttribute('messaging.message.id', event.id);
          const attempt = attemptOf(msg) + 1;
          span.setAttribute('messaging.rabbitmq.attempt', attempt);
          try {
            const fresh = await withTransaction(this.options.db, async (tx) => {
              const inserted = await tx.query(
                'INSERT INTO processed_messages (message_id, queue) VALUES ($1, $2) ON CONFLICT DO NOTHING',
                [event.id, queue],
              );
              if (inserted.rowCount === 0) return false;
              await this.options.handle(tx, data, event);
              return true;
            });
            if (fresh) this.options.afterCommit?.();
            if (!settle(() => channel.ack(msg))) return;
            consumed.inc({ queue, outcome: fresh ? 'processed' : 'duplicate' });
            log.info(
              { queue, messageId: event.id, type: event.type, duplicate: !fresh, attempt },
              fresh ? 'message processed' : 'duplicate message ignored',
            );
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
            if (attempt >= this.retry.maxAttempts) {
              await this.deadLetter(
                channel,
                msg,
                `failed ${attempt} times: ${(err as Error).message}`,
                attempt,
              );
              return;
            }
            await this.retryLater(channel, msg, attempt, err as Error);
          }
        } finally {
          span.end();
        }
      },
    );
  }

  /** Parks a copy in the retry queue (confirmed by the broker), then acks the original. */
  private async retryLater(
    channel: ConfirmChannel,
    msg: ConsumeMessage,
    attempt: number,
    err: Error,
  ): Promise<void> {
    const { queue } = this.options;
    const delayMs = retryDelay(attempt, this.retry);
    const sent = await publishConfirmed(channel, retryQueueOf(queue), msg, {
      headers: { ...msg.properties.headers, [ATTEMPT_HEADER]: attempt },
      expiration: String(delayMs),
    });
    if (!sent || !settle(() => channel.ack(msg))) return;
    consumed.inc({ queue, outcome: 'retried' });
    trace.getActiveSpan()?.addEvent('messaging.retry_scheduled', { attempt, 'delay.ms': delayMs });
    log.warn(
      { err: err.message, queue, messageId: msg.properties.messageId as unknown, attempt, delayMs },
      'message processing failed, retrying later',
    );
  }

  private async deadLetter(
    channel: ConfirmChannel,
    msg: ConsumeMessage,
    reason: string,
    attempt: number,
  ): Promise<void> {
    const { queue, prefix } = this.options;
    const sent = await publishConfirmed(channel, topologyNames(prefix).deadLetterQueue, msg, {
      headers: { ...msg.properties.headers, ...deadLetterHeaders(queue, reason, attempt) },
    });
    // If the copy could not be made, reject the original: the queue's dead-letter exchange takes it.
    if (!settle(() => (sent ? channel.ack(msg) : channel.nack(msg, false, false)))) return;
    consumed.inc({ queue, outcome: 'dead_lettered' });
    log.error(
      { queue, messageId: msg.properties.messageId as unknown, reason, attempt },
      'message dead-lettered',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    // Finish what is in flight before closing the channel, so no work is acked twice or lost.
    await Promise.allSettled([...this.inFlight]);
    await channel?.close().catch(() => undefined);
  }
}

function attemptOf(msg: ConsumeMessage): number {
  const value = Number((msg.properties.headers ?? {})[ATTEMPT_HEADER] ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/**
 * Acks/nacks on a channel that closed meanwhile throw: the broker has already put the message back
 * for redelivery, which the processed_messages table makes harmless. False when it did not happen.
 */
function settle(action: () => void): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}

/** Publishes a copy of `msg` to `queue` through the default exchange and waits for the confirm. */
function publishConfirmed(
  channel: ConfirmChannel,
  queue: string,
  msg: ConsumeMessage,
  extra: Options.Publish,
): Promise<boolean> {
  const p = msg.properties;
  return new Promise((resolve) => {
    try {
      channel.publish(
        '',
        queue,
        msg.content,
        {
          persistent: true,
          messageId: p.messageId as string | undefined,
          type: p.type as string | undefined,
          contentType: p.contentType as string | undefined,
          timestamp: p.timestamp as number | undefined,
          ...extra,
        },
        (err) => resolve(!err),
      );
    } catch {
      resolve(false);
    }
  });
}
