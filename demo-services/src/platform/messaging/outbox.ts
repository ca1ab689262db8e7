// Transactional outbox: events are rows written in the same transaction as the state change, and a
// relay publishes them to RabbitMQ with publisher confirms, marking them sent only once the broker
// has confirmed. A broker outage delays events; it never loses them.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel } from 'amqplib';
import type { Db, Tx } from '../db/pool.js';
import { superviseChannel, type BrokerConnection } from './connection.js';
import { topologyNames, assertTopology } from './topology.js';
import {
  context,
  currentTraceHeaders,
  log,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  tracer,
} from '../telemetry/index.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';

const pendingGauge = metrics.gauge({
  name: 'outbox_pending_events',
  help: 'Events written to the outbox and not yet confirmed by the broker',
});

/** Writes an event inside the caller's transaction; it keeps the trace context of the caller. */
export async function enqueueEvent(
  tx: Tx,
  type: string,
  aggregateId: string,
  data: Record<string, unknown>,
): Promise<string> {
  const id = randomUUID();
  const envelope = { id, type, occurredAt: new Date().toISOString(), data };
  await tx.query(
    'INSERT INTO outbox (id, aggregate_id, type, payload, trace_headers) VALUES ($1, $2, $3, $4, $5)',
    [id, aggregateId, type, JSON.stringify(envelope), JSON.stringify(currentTraceHeaders())],
  );
  return id;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: unknown;
  trace_headers: Record<string, string>;
}

export class OutboxRelay {
  private channel: ConfirmChannel | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly exchange: string;

  constructor(
    private readonly db: Db,
    private readonly broker: BrokerConnection,
    private readonly prefix: string,
    private readonly pollMs = 500,
  ) {
    this.exchange = topologyNames(prefix).exchange;
    pendingGauge.set({}, 0);
  }

  async start(): Promise<void> {
    await this.broker.onConnect(() => this.open());
    this.loop = this.run();
  }

  private async open(): Promise<void> {
    const connection = this.broker.current;
    if (this.stopped || !connection) return;
    const channel = await connection.createConfirmChannel();
    superviseChannel(
      this.broker,
      channel,
      'outbox',
      () => {
        if (this.channel !== channel) return false;
        this.channel = undefined;
        return !this.stopped;
      },
      () => (this.channel ? Promise.resolve() : this.open()),
    );
    await assertTopology(channel, this.prefix);
    this.channel = channel;
    this.notify();
  }

  /** Publish soon: called after a transaction that wrote events commits. */
  notify(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let lastPrune = 0;
    while (!this.stopped) {
      // Published rows are only history: keep a week of them.
      if (Date.now() - lastPrune > 3_600_000) {
        lastPrune = Date.now();
        await this.db
          .query(`DELETE FROM outbox WHERE published_at < now() - interval '7 days'`)
          .catch((err: Error) => log.warn({ err: err.message }, 'outbox prune failed'));
      }
      let published = 0;
      try {
        published = await this.relayBatch();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'outbox relay failed, will retry');
      }
      if (published === 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async relayBatch(): Promise<number> {
    const client = await this.db.connect();
    try {
      const pending = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL',
      );
      pendingGauge.set({}, Number(pending.rows[0]?.n ?? 0));
      const channel = this.channel;
      if (!channel || Number(pending.rows[0]?.n ?? 0) === 0) return 0;
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, type, payload, trace_headers FROM outbox WHERE published_at IS NULL
         ORDER BY created_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      try {
        for (const row of rows) this.publish(channel, row);
        await channel.waitForConfirms();
        await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])', [
          rows.map((r) => r.id),
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      return rows.length;
    } finally {
      client.release();
    }
  }

  private publish(channel: ConfirmChannel, row: OutboxRow): void {
    // Continue the trace of the transaction that wrote the event, however late it is relayed.
    const parent = propagation.extract(ROOT_CONTEXT, row.trace_headers ?? {});
    tracer.startActiveSpan(
      `${row.type} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.destination.name': this.exchange,
          'messaging.message.id': row.id,
        },
      },
      parent,
      (span) => {
        try {
          const headers: Record<string, string> = {};
          propagation.inject(context.active(), headers);
          channel.publish(this.exchange, row.type, Buffer.from(JSON.stringify(row.payload)), {
            persistent: true,
            messageId: row.id,
            type: row.type,
            contentType: 'application/json',
            timestamp: Math.floor(Date.now() / 1000),
            headers,
          });
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await this.loop;
    await this.channel?.close().catch(() => undefined);
  }
}
