// Versioned SQL migrations (NNN_name.sql), applied in order at startup, each in its own transaction,
// under an advisory lock so that two instances starting together do not race.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from './pool.js';
import { log } from '../telemetry/index.js';

const LOCK_KEY = 724_911;

/**
 * Applies pending migrations. The database may still be starting (containers start together):
 * connection failures are retried for `waitMs` before the service gives up and exits.
 */
export async function migrate(db: Db, directory: string, waitMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await applyMigrations(db, directory);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // refused/starting up, or database/role not created yet by the bootstrap running alongside
      const connectionProblem = [
        'ECONNREFUSED',
        'ENOTFOUND',
        'ETIMEDOUT',
        '57P03',
        '3D000',
        '28000',
        '28P01',
      ].includes(code);
      if (!connectionProblem || Date.now() > deadline) throw err;
      log.warn({ code }, 'database not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function applyMigrations(db: Db, directory: string): Promise<string[]> {
  const files = (await readdir(directory)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const client = await db.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(join(directory, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file);
      log.info({ migration: file }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
