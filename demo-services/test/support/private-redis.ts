// A Redis server of the test's own, so a test can hang it (SIGSTOP: connections stay open and
// nothing answers) or kill it without touching the machine's server.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './backends.js';

export class PrivateRedis {
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child.once('error', () => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await answers(this.port))) {
      if (Date.now() > deadline)
        throw new Error("redis-server did not start: install Debian's redis-server package");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The process keeps its sockets and stops answering: a hung Redis. */
  hang(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  stop(): void {
    this.child?.kill('SIGCONT');
    this.child?.kill('SIGKILL');
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
