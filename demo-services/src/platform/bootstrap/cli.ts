// `node dist/main.js bootstrap`: creates the per-service databases and roles and the RabbitMQ
// topology if they are missing, then exits. Idempotent; for compose (a one-shot service) and ops.
// With SECRETS_DIR (compose), each role's password comes from its `<service>-database-url` file,
// written by the `secrets` one-shot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig, url } from '../config/index.js';
import {
  bootstrapDatabases,
  bootstrapTopology,
  SERVICES_WITH_DATABASE,
  type ServiceWithDatabase,
} from './index.js';

const config = loadConfig('bootstrap', {
  PG_ADMIN_URL: url('postgres://postgres@localhost:5432/postgres'),
  // The superuser's password, when PG_ADMIN_URL carries none (PG_ADMIN_PASSWORD_FILE in compose).
  PG_ADMIN_PASSWORD: z.string().optional(),
  AMQP_URL: url('amqp://guest:guest@localhost:5672'),
  AMQP_PREFIX: z.string().default(''),
  DB_NAME_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$|^$/, 'lower-case letters, digits, underscore')
    .default(''),
  SECRETS_DIR: z.string().optional(),
});

const adminUrl = new URL(config.PG_ADMIN_URL);
if (config.PG_ADMIN_PASSWORD) adminUrl.password = encodeURIComponent(config.PG_ADMIN_PASSWORD);

function passwordsFrom(dir: string): Partial<Record<ServiceWithDatabase, string>> {
  const passwords: Partial<Record<ServiceWithDatabase, string>> = {};
  for (const service of SERVICES_WITH_DATABASE) {
    const text = readFileSync(join(dir, `${service}-database-url`), 'utf8').trim();
    passwords[service] = decodeURIComponent(new URL(text).password);
  }
  return passwords;
}

for (let attempt = 1; ; attempt++) {
  try {
    const urls = await bootstrapDatabases({
      adminUrl: adminUrl.toString(),
      prefix: config.DB_NAME_PREFIX,
      ...(config.SECRETS_DIR ? { passwords: passwordsFrom(config.SECRETS_DIR) } : {}),
    });
    await bootstrapTopology(config.AMQP_URL, config.AMQP_PREFIX);
    for (const [service, u] of Object.entries(urls)) {
      const shown = new URL(u);
      shown.password = '***';
      process.stdout.write(`${service}: ${shown.toString()}\n`);
    }
    process.stdout.write('bootstrap complete\n');
    break;
  } catch (err) {
    // backends may still be starting (compose): retry for a while before giving up
    if (attempt >= 30) {
      process.stderr.write(`bootstrap failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
