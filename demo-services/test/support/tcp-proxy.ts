// A TCP proxy between one service and one of its dependencies (RabbitMQ, PostgreSQL, another
// service), so a test can break that link only, in the ways real networks break:
//   cut()        open connections are reset and new ones refused (a link or a process gone);
//   blackhole()  connections stay open but nothing gets through (a hung peer, a dropped route);
//   responseDelayMs  answers arrive late, so a test can cut the link after a request arrived and
//                before its answer did (the "lost answer" of a timeout or a reset);
//   heal()       back to normal on the same port.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type Mode = 'pass' | 'cut' | 'blackhole';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: Mode = 'pass';
  port = 0;
  /** Delay added to every chunk going back from the dependency to the client. */
  responseDelayMs = 0;
  /** Connections accepted so far (a test can tell that a request reached the link). */
  connections = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: Socket): void {
    this.connections++;
    this.track(client);
    if (this.mode === 'blackhole') {
      client.pause(); // accepted, never answered
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.on('data', (chunk) => {
      if (this.mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      const forward = () => {
        if (this.mode === 'pass' && !client.destroyed) client.write(chunk);
      };
      if (this.responseDelayMs > 0) setTimeout(forward, this.responseDelayMs);
      else forward();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Resets every open connection and refuses new ones until heal(). */
  async cut(): Promise<void> {
    this.mode = 'cut';
    for (const s of this.sockets) s.resetAndDestroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = undefined;
  }

  /** Keeps every connection open and lets nothing through, in either direction. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** Normal service again on the same port; connections frozen by blackhole() are reset. */
  async heal(): Promise<void> {
    if (this.mode === 'blackhole') for (const s of this.sockets) s.resetAndDestroy();
    this.mode = 'pass';
    if (!this.server) await this.start(this.port);
  }

  /** Cut for good (test teardown). */
  async stop(): Promise<void> {
    await this.cut();
  }

  /** Back on the same port (kept for the tests that stop and restart the broker link). */
  async restart(): Promise<void> {
    await this.heal();
  }
}
