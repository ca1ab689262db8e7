#!/usr/bin/env node
// What `npm test` needs on this machine, made ready before the first test runs, so that `npm ci`
// then `npm test` is all a fresh clone takes: the local PostgreSQL, MariaDB, Redis and RabbitMQ (started
// with the machine's own commands, `.ci/services.sh`, when they are installed but down), and the
// backend binaries (built once from their Go modules, with progress; later runs only check).
// Whatever cannot be made ready stops the run within seconds, naming the one thing that fixes it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBackends } from './build-backends.mjs';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The services the tests use, where they use them (the same variables the tests read). */
export const LOCAL_SERVICES = [
  {
    name: 'PostgreSQL',
    url: process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    port: 5432,
    install: 'apt install postgresql (or set TEST_PG_ADMIN_URL to a superuser URL)',
  },
  {
    name: 'MariaDB',
    // The SDK's mysql/mysql2 client tests (root, no password, database `test`).
    url: 'mysql://root@127.0.0.1:3306/test',
    port: 3306,
    install: 'apt install mariadb-server',
  },
  {
    name: 'Redis',
    url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: 6379,
    install: 'apt install redis-server (or set TEST_REDIS_URL)',
  },
  {
    name: 'RabbitMQ',
    url: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    port: 5672,
    install: 'apt install rabbitmq-server (or set TEST_AMQP_URL)',
  },
];

/** @param {string} host @param {number} port */
function answers(host, port) {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function down() {
  const out = [];
  for (const s of LOCAL_SERVICES) {
    const u = new URL(s.url);
    if (!(await answers(u.hostname, Number(u.port || s.port)))) out.push(s);
  }
  return out;
}

/** @param {(msg: string) => void} log */
export async function ensureLocalServices(log) {
  let missing = await down();
  if (missing.length === 0) return;
  const script = join(repoRoot, '.ci', 'services.sh');
  if (existsSync(script)) {
    log(`starting ${missing.map((s) => s.name).join(', ')} (bash .ci/services.sh)`);
    spawnSync('bash', [script], { stdio: 'inherit' });
    missing = await down();
  }
  if (missing.length > 0) {
    const lines = missing.map((s) => `  ${s.name} at ${new URL(s.url).host}: ${s.install}`);
    throw new Error(
      `the tests need these local services, which are not running:\n${lines.join('\n')}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (/** @type {string} */ msg) => console.log(`[prerequisites] ${msg}`);
  try {
    await ensureLocalServices(log);
    await ensureBackends({ log: (msg) => console.log(`[backends] ${msg}`) });
  } catch (err) {
    console.error(`[prerequisites] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
