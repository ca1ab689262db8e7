// A RabbitMQ connection that comes back by itself: on loss it reconnects with capped backoff and
// runs the setup callbacks again (topology, consumers), so a broker restart needs no process restart.
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { log } from '../telemetry/index.js';

type Setup = (connection: ChannelModel) => Promise<void>;

export class BrokerConnection {
  private connection: ChannelModel | undefined;
  private readonly setups: Setup[] = [];
  private closing = false;
  private connecting: Promise<void> | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly name: string,
  ) {}

  get current(): ChannelModel | undefined {
    return this.connection;
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** Runs now if connected, and again after every reconnect. */
  async onConnect(setup: Setup): Promise<void> {
    this.setups.push(setup);
    if (this.connection) await setup(this.connection);
  }

  /** Starts connecting; resolves after the first attempt, connected or not. */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    return this.connecting;
  }

  private async connect(): Promise<void> {
    try {
      const connection = await amqp.connect(this.url, {
        clientProperties: { connection_name: this.name },
      });
      connection.on('error', (err: Error) => log.warn({ err }, 'broker connection error'));
      connection.on('close', () => {
        if (this.connection !== connection) return;
        this.connection = undefined;
        if (!this.closing) {
          log.warn('broker connection lost, reconnecting');
          this.schedule();
        }
      });
      this.connection = connection;
      this.attempt = 0;
      for (const setup of this.setups) await setup(connection);
      log.info('connected to broker');
    } catch (err) {
      log.warn(
        { err: (err as Error).message, attempt: this.attempt },
        'broker unavailable, will retry',
      );
      const stale = this.connection;
      this.connection = undefined;
      await stale?.close().catch(() => undefined);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closing || this.timer) return;
    const delay = Math.min(5000, 200 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }

  /** Readiness: throws when the broker is not reachable right now. */
  check(): Promise<void> {
    return this.connection
      ? Promise.resolve()
      : Promise.reject(new Error('not connected to broker'));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.connection;
    this.connection = undefined;
    await c?.close().catch(() => undefined);
  }
}

/**
 * Watches a channel made on the broker's current connection: logs its errors and, when it closes
 * while that connection lives on (a channel-level error), calls `reopen` a second later. A lost
 * connection is the broker connection's to restore: its setups run again then.
 * `forget` is called on close: it drops the channel and says whether another is wanted.
 */
export function superviseChannel(
  broker: BrokerConnection,
  channel: Channel,
  what: string,
  forget: () => boolean,
  reopen: () => Promise<void>,
): void {
  const connection = broker.current;
  channel.on('error', (err: Error) => log.warn({ err: err.message }, `${what} channel error`));
  channel.on('close', () => {
    if (!forget()) return;
    setTimeout(() => {
      if (broker.current === connection)
        reopen().catch((err: Error) =>
          log.warn({ err: err.message }, `cannot reopen the ${what} channel`),
        );
    }, 1000).unref();
  });
}
