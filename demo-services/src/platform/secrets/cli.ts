// `node dist/main.js secrets`: the compose stack's one-shot that creates, in SECRETS_DIR (a volume),
// every secret the stack needs, once: the services' JWT key and service credential, the admin
// token, and the passwords of PostgreSQL, RabbitMQ and each service's database role, with the
// URLs and the RabbitMQ config that carry them. Files that exist are kept, so restarts and
// upgrades keep their secrets; delete a file (and restart) to rotate it.
import { z } from 'zod';
import { loadConfig } from '../config/index.js';
import { SERVICES_WITH_DATABASE } from '../bootstrap/index.js';
import { ensureSecretFiles, randomSecret, type SecretFile } from './files.js';

const config = loadConfig('secrets', {
  SECRETS_DIR: z.string().default('/secrets'),
  PG_HOST: z.string().default('postgres'),
  AMQP_HOST: z.string().default('rabbitmq'),
});

const AMQP_USER = 'o11y';
const files: SecretFile[] = [
  { name: 'jwt-secret', make: randomSecret },
  { name: 'internal-token', make: randomSecret },
  { name: 'admin-token', make: randomSecret },
  { name: 'postgres-password', make: randomSecret },
  { name: 'rabbitmq-password', make: randomSecret },
  {
    name: 'amqp-url',
    make: (s) => `amqp://${AMQP_USER}:${s['rabbitmq-password']}@${config.AMQP_HOST}:5672`,
  },
  {
    name: 'rabbitmq-credentials.conf',
    make: (s) =>
      [
        `default_user = ${AMQP_USER}`,
        `default_pass = ${s['rabbitmq-password']}`,
        'default_vhost = /',
        'default_permissions.configure = .*',
        'default_permissions.read = .*',
        'default_permissions.write = .*',
        'default_user_tags.administrator = true',
        '',
      ].join('\n'),
  },
  ...SERVICES_WITH_DATABASE.map((service) => ({
    name: `${service}-database-url`,
    make: () => `postgres://${service}:${randomSecret()}@${config.PG_HOST}:5432/${service}`,
  })),
];

// Readable by every uid: postgres and rabbitmq read them as their own users (999), the services as
// `node` (1000), who owns them. The volume is mounted only where one of its files is read.
const { created } = ensureSecretFiles(config.SECRETS_DIR, files, 0o444, 0o755);
process.stdout.write(
  created.length > 0
    ? `created ${created.join(', ')} in ${config.SECRETS_DIR}\n`
    : `all secrets already present in ${config.SECRETS_DIR}\n`,
);
