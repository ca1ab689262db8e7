// `node dist/main.js bootstrap`: creates the per-service databases and roles and the RabbitMQ
// topology if they are missing, then exits. Idempotent; for compose (a one-shot service) and ops.
import { z } from 'zod';
import { loadConfig, url } from '../config/index.js';
import { bootstrapDatabases, bootstrapTopology } from './index.js';

const config = loadConfig('bootstrap', {
  PG_ADMIN_URL: url('postgres://postgres@localhost:5432/postgres'),
  AMQP_URL: url('amqp://guest:guest@localhost:5672'),
  AMQP_PREFIX: z.string().default(''),
  DB_NAME_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$|^$/, 'lower-case letters, digits, underscore')
    .default(''),
});

for (let attempt = 1; ; attempt++) {
  try {
    const urls = await bootstrapDatabases({
      adminUrl: config.PG_ADMIN_URL,
      prefix: config.DB_NAME_PREFIX,
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
