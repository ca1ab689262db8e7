// Consumers ack manually and are idempotent: the message id is recorded in the same transaction as
// the effect, so a redelivery changes nothing. Messages that can never be processed (not JSON,
// wrong shape, or failing again and again) are rejected without requeue and land in the
// dead-letter queue.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ZodType } from 'zod';
import { withTransaction, type Db, type Tx } from '../db/pool.js';
import type { BrokerConnection } from './connection.js';
import { assertTopology } from './topology.js';
import { EventEnvelope } from './events.js';
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
  help: 'Messages consumed, by queue and outcome',
  labelNames: ['queue', 'outcome'],
});

export interface ConsumerOptions<T> {
  queue: string;
  prefix: string;
  db: Db;
  schema: ZodType<T>;
  handle: (tx: Tx, data: T, event: EventEnvelope) => Promise<void>;
  /** Called after the transaction commits (e.g. to wake an outbox relay). */
  afterCommit?: () => void;
  prefetch?: number;
  maxAttempts?: number;
}

export class Consumer<T> {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private inFlight = new Set<Promise<void>>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly broker: BrokerConnection,
    private readonly options: ConsumerOptions<T>,
  ) {
    for (const outcome of ['processed', 'duplicate', 'dead_lettered'])
      consumed.inc({ queue: options.queue, outcome }, 0);
  }

  async start(): Promise<void> {
    await this.broker.onConnect(async (connection) => {
      if (this.stopped) return;
      const channel = await connection.createChannel();
      channel.on('error', (err: Error) => log.warn({ err }, 'consumer channel error'));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await assertTopology(channel, this.options.prefix);
      await channel.prefetch(this.options.prefetch ?? 10);
      const { consumerTag } = await channel.consume(this.options.queue, (msg) => {
        if (!msg) return;
        const work = this.onMessage(channel, msg).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      });
      this.consumerTag = consumerTag;
      this.channel = channel;
    });
  }

  private async onMessage(channel: Channel, msg: ConsumeMessage): Promise<void> {
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
            this.deadLetter(channel, msg, `poison message: ${(err as Error).message}`);
            return;
          }
          span.setAttribute('messaging.message.id', event.id);
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
            channel.ack(msg);
            this.failures.delete(event.id);
            consumed.inc({ queue, outcome: fresh ? 'processed' : 'duplicate' });
            log.info(
              { queue, messageId: event.id, type: event.type, duplicate: !fresh },
              fresh ? 'message processed' : 'duplicate message ignored',
            );
          } catch (err) {
            const attempts = (this.failures.get(event.id) ?? 0) + 1;
            this.failures.set(event.id, attempts);
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
            if (attempts >= (this.options.maxAttempts ?? 5)) {
              this.failures.delete(event.id);
              this.deadLetter(channel, msg, `failed ${attempts} times: ${(err as Error).message}`);
              return;
            }
            log.warn(
              { err, queue, messageId: event.id, attempts },
              'message processing failed, requeueing',
            );
            // a short pause so a failing dependency is not hammered in a tight loop
            await new Promise((r) => setTimeout(r, 500 * attempts));
            channel.nack(msg, false, true);
          }
        } finally {
          span.end();
        }
      },
    );
  }

  private deadLetter(channel: Channel, msg: ConsumeMessage, reason: string): void {
    channel.nack(msg, false, false);
    consumed.inc({ queue: this.options.queue, outcome: 'dead_lettered' });
    log.error(
      { queue: this.options.queue, messageId: msg.properties.messageId as unknown, reason },
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
