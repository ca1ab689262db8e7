// Graceful shutdown: stop accepting connections, let in-flight requests and background work finish,
// close pools, flush telemetry, exit. A deadline guarantees the process never hangs on the way out.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { flushTelemetry, log } from '../telemetry/index.js';

type Closer = { name: string; close: () => Promise<unknown> };

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping = false;

  constructor(private readonly timeoutMs: number) {}

  /** Closers run in reverse registration order: last opened, first closed. */
  onShutdown(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** `drain` resolves when no request handler is running any more. */
  listen(
    server: Server,
    port: number,
    host: string,
    drain: () => Promise<void> = () => Promise.resolve(),
  ): Promise<number> {
    this.onShutdown('http server', async () => {
      await closeServer(server);
      await drain();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // `on`, not `once`: the SDK flushes on the same signal and re-raises it when no app handler is
      // left, which would kill the process in the middle of draining.
      process.on(signal, () => {
        void this.shutdown(signal);
      });
    }
  }

  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    log.info({ reason }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ timeoutMs: this.timeoutMs }, 'shutdown deadline exceeded, exiting');
      process.exit(1);
    }, this.timeoutMs);
    deadline.unref();
    let failed = false;
    for (const closer of [...this.closers].reverse()) {
      try {
        await closer.close();
      } catch (err) {
        failed = true;
        log.error({ err, component: closer.name }, 'error while closing');
      }
    }
    log.info('shutdown complete');
    await flushTelemetry();
    process.exit(failed ? 1 : 0);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // close() stops accepting connections, not requests: a client with a keep-alive connection
    // (the gateway's pool, a load balancer) would go on sending on it and hold the close until
    // the shutdown deadline. Every answer from now on closes its connection, so clients move to
    // another instance; idle keep-alive sockets are closed at once.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.shouldKeepAlive = false;
    });
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
