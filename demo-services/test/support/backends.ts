// The machine's PostgreSQL, RabbitMQ and Redis that test stacks use (override with TEST_*_URL),
// a check that says how to start them when they are missing, and ports no other test holds.
import { connect, createServer } from 'node:net';

export const PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const HOW_TO_START =
  'start the local backends with `bash .ci/services.sh` (PostgreSQL 5432, Redis 6379, RabbitMQ 5672)';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.setTimeout(1500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function requireBackends(): Promise<void> {
  for (const [name, url] of [
    ['PostgreSQL', PG_ADMIN_URL],
    ['RabbitMQ', AMQP_URL],
    ['Redis', REDIS_URL],
  ] as const) {
    const u = new URL(url);
    const port = Number(u.port || { 'postgres:': 5432, 'amqp:': 5672, 'redis:': 6379 }[u.protocol]);
    if (!(await reachable(u.hostname, port)))
      throw new Error(`${name} is not reachable at ${u.hostname}:${port}: ${HOW_TO_START}`);
  }
}

// The OS may hand a closed port out again: a stack that got the same port twice had one service
// answer the other's readiness check. Never return a port twice in one test run.
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
