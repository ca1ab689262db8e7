// Idempotent bootstrap of the backing services: one PostgreSQL role and database per service, and
// the RabbitMQ topology. Used by the native demo and by the tests (which pass a unique prefix and
// tear everything down afterwards).
import pg from 'pg';
import amqp from 'amqplib';
import { assertTopology, deleteTopology } from '../messaging/topology.js';

export const SERVICES_WITH_DATABASE = [
  'users',
  'orders',
  'payments',
  'inventory',
  'shipping',
] as const;
export type ServiceWithDatabase = (typeof SERVICES_WITH_DATABASE)[number];

export interface BootstrapOptions {
  /** Superuser connection, e.g. postgres://postgres@127.0.0.1:5432/postgres */
  adminUrl: string;
  /** Prefix for database and role names ('' in the demo, unique per test run). */
  prefix?: string;
  /**
   * Each role's password (compose generates them). A role without one gets its name as password:
   * development credentials, for a server that only local processes reach.
   */
  passwords?: Partial<Record<ServiceWithDatabase, string>>;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
};

/** Creates missing roles and databases; returns each service's DATABASE_URL. */
export async function bootstrapDatabases(
  options: BootstrapOptions,
): Promise<Record<ServiceWithDatabase, string>> {
  const prefix = options.prefix ?? '';
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  const urls = {} as Record<ServiceWithDatabase, string>;
  try {
    for (const service of SERVICES_WITH_DATABASE) {
      const name = `${prefix}${service}`;
      const password = options.passwords?.[service] ?? name;
      const literal = admin.escapeLiteral(password);
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      if (role.rowCount === 0) {
        await admin
          .query(`CREATE ROLE ${ident(name)} LOGIN PASSWORD ${literal}`)
          .catch(ignoreDuplicate);
      }
      // A given password is (re)applied every time, so the role always matches its secret.
      if (options.passwords?.[service])
        await admin.query(`ALTER ROLE ${ident(name)} PASSWORD ${literal}`);
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (db.rowCount === 0) {
        await admin
          .query(`CREATE DATABASE ${ident(name)} OWNER ${ident(name)}`)
          .catch(ignoreDuplicate);
      }
      const u = new URL(options.adminUrl);
      u.username = name;
      u.password = encodeURIComponent(password);
      u.pathname = `/${name}`;
      urls[service] = u.toString();
    }
  } finally {
    await admin.end();
  }
  return urls;
}

export async function dropDatabases(options: BootstrapOptions): Promise<void> {
  const prefix = options.prefix ?? '';
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    for (const service of SERVICES_WITH_DATABASE) {
      const name = `${prefix}${service}`;
      await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${ident(name)}`);
    }
  } finally {
    await admin.end();
  }
}

export async function bootstrapTopology(amqpUrl: string, prefix: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    await assertTopology(channel, prefix);
    await channel.close();
  } finally {
    await connection.close();
  }
}

export async function dropTopology(amqpUrl: string, prefix: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    await deleteTopology(channel, prefix);
    await channel.close();
  } finally {
    await connection.close();
  }
}

function ignoreDuplicate(err: unknown): void {
  // two bootstraps racing: the other one created it
  const code = (err as { code?: string }).code;
  if (code !== '42710' && code !== '42P04' && code !== '23505') throw err;
}
