// The operations commands as compose runs them: `secrets` creates every credential once and keeps
// it; `bootstrap` with SECRETS_DIR gives each database role the password of its generated URL.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { distDirectory } from '../src/platform/bootstrap/launch.js';
import { dropDatabases } from '../src/platform/bootstrap/index.js';
import { AMQP_URL, PG_ADMIN_URL, requireBackends } from './support/backends.js';

function run(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(distDirectory(), 'main.js'), command], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Whether a PostgreSQL SCRAM-SHA-256 verifier was made from `password` (RFC 5802 keys). */
function scramMatches(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!m) return false;
  const salted = pbkdf2Sync(password, Buffer.from(m[2]!, 'base64'), Number(m[1]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return createHash('sha256').update(clientKey).digest('base64') === m[3];
}

const dir = join(mkdtempSync(join(tmpdir(), 'o11y-secrets-')), 'secrets');
const prefix = `ops${randomBytes(3).toString('hex')}_`;

afterAll(async () => {
  await dropDatabases({ adminUrl: PG_ADMIN_URL, prefix }).catch(() => undefined);
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('operations commands', () => {
  it('secrets: every credential generated once, readable, consistent, kept on the next run', async () => {
    const first = await run('secrets', { SECRETS_DIR: dir, PG_HOST: '127.0.0.1' });
    expect(first.code, first.output).toBe(0);
    const names = readdirSync(dir).sort();
    expect(names).toEqual(
      [
        'admin-token',
        'amqp-url',
        'internal-token',
        'inventory-database-url',
        'jwt-secret',
        'orders-database-url',
        'payments-database-url',
        'postgres-password',
        'rabbitmq-credentials.conf',
        'rabbitmq-password',
        'shipping-database-url',
        'users-database-url',
      ].sort(),
    );
    for (const name of names) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o444);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    expect(read('jwt-secret')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(read('jwt-secret')).not.toBe(read('internal-token'));
    expect(read('amqp-url')).toBe(`amqp://o11y:${read('rabbitmq-password')}@rabbitmq:5672`);
    expect(read('rabbitmq-credentials.conf')).toContain(
      `default_pass = ${read('rabbitmq-password')}`,
    );
    expect(new URL(read('orders-database-url')).username).toBe('orders');
    const before = Object.fromEntries(names.map((n) => [n, read(n)]));
    const second = await run('secrets', { SECRETS_DIR: dir });
    expect(second.output).toContain('already present');
    expect(Object.fromEntries(names.map((n) => [n, read(n)]))).toEqual(before);
  });

  it('bootstrap with SECRETS_DIR gives each role its generated password', async () => {
    await requireBackends();
    const result = await run('bootstrap', {
      SECRETS_DIR: dir,
      PG_ADMIN_URL,
      AMQP_URL,
      AMQP_PREFIX: prefix,
      DB_NAME_PREFIX: prefix,
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain(
      new URL(readFileSync(join(dir, 'users-database-url'), 'utf8')).password,
    );
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      // each role's SCRAM verifier is that of the password in its file
      const { rows } = await admin.query<{ rolname: string; rolpassword: string }>(
        'SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE $1',
        [`${prefix}%`],
      );
      expect(rows).toHaveLength(5);
      for (const { rolname, rolpassword } of rows) {
        const service = rolname.slice(prefix.length);
        const url = new URL(readFileSync(join(dir, `${service}-database-url`), 'utf8'));
        expect(scramMatches(rolpassword, decodeURIComponent(url.password)), rolname).toBe(true);
        expect(scramMatches(rolpassword, rolname), rolname).toBe(false);
      }
    } finally {
      await admin.end();
    }
    const amqp = await import('amqplib');
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.checkQueue(`${prefix}shipping.order-confirmed.retry`);
    const { deleteTopology } = await import('../src/platform/messaging/topology.js');
    await deleteTopology(channel, prefix);
    await connection.close();
  });
});
