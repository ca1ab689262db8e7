// One pg pool per service, plus the transaction helper everything that writes state goes through.
// Every statement has a deadline (server-side statement_timeout, and a client-side one a little
// longer for a server that stopped answering), and no connection error can crash the process.
import pg from 'pg';
import { log } from '../telemetry/index.js';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

export interface PoolSettings {
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createPool(connectionString: string, settings: PoolSettings = {}): Db {
  const statementTimeoutMs = settings.statementTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString,
    max: settings.max ?? 10,
    connectionTimeoutMillis: settings.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    lock_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs * 4,
    query_timeout: statementTimeoutMs + 1000,
    keepAlive: true,
  });
  // The pool listens for errors only on idle clients. A client that is checked out when the server
  // goes away (restart, failover, cut link) emits 'error' too, and an 'error' nobody listens to
  // kills the process: every client gets a listener for its whole life. The query in progress
  // rejects on its own, and its caller releases the client as broken.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ err: err.message }, 'database connection lost'));
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection lost'));
  return pool;
}

export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
    if (isUnavailable(err)) broken ??= err as Error;
    throw err;
  } finally {
    // A connection that failed under us goes away instead of back to the pool.
    client.release(broken);
  }
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|not queryable/i;

/** True when the database is down, unreachable or too slow: nothing the request did wrong. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  return (
    (e.code !== undefined && UNAVAILABLE_CODES.has(e.code)) ||
    UNAVAILABLE_MESSAGES.test(e.message ?? '')
  );
}

/** PostgreSQL refused a value the request carried (bad encoding, NUL byte, out of range). */
export function isInvalidInput(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return ['22021', '22P05', '22P02', '22003', '22001', '22007', '22008'].includes(code);
}
