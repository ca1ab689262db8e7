// Configuration comes only from the environment and is validated before anything listens: a bad
// value names itself and the process exits non-zero, instead of failing later at the first request.
// Every variable X may instead be given as a file, X_FILE (container secrets are files, never
// environment variables that `docker inspect` and crash dumps show).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
export const millis = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
export const url = (fallback: string) => z.url().default(fallback);

// Values that were once written in this repository's code or docs: public, so never a secret.
const PUBLISHED = new Set([
  'dev-only-secret-change-me-0123456789abcdef',
  'demo-only-secret-0123456789abcdef0123456789',
]);

/**
 * A secret with no default: the service refuses to start without one, and refuses values that are
 * too short to resist guessing or that are published.
 */
export const secret = (name: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `required: set ${name} or ${name}_FILE to at least 32 random characters (e.g. \`openssl rand -base64 32\`)`
          : undefined,
    })
    .min(32, 'must be at least 32 characters')
    .refine((v) => !PUBLISHED.has(v), 'is a value published in this repository; generate your own');

/** Common to every service. */
export const baseConfig = {
  HOST: z.string().default('0.0.0.0'),
  SHUTDOWN_TIMEOUT_MS: millis(10_000),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb')
    .default('100kb'),
};

/** Every service that owns a database: deadlines on each statement and on getting a connection. */
export const databaseConfig = {
  DB_STATEMENT_TIMEOUT_MS: positiveInt(5000),
  DB_CONNECT_TIMEOUT_MS: positiveInt(3000),
};

export const upstreamConfig = {
  UPSTREAM_TIMEOUT_MS: millis(3000),
  UPSTREAM_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  BREAKER_THRESHOLD: positiveInt(5),
  // The longest an open breaker waits before a probe; the first waits are shorter (backoff), so a
  // dependency that restarts in seconds is used again within seconds.
  BREAKER_HALF_OPEN_MS: millis(2000),
  BULKHEAD_LIMIT: positiveInt(20),
  BULKHEAD_QUEUE: z.coerce.number().int().min(0).default(40),
};

export const jwtConfig = {
  JWT_SECRET: secret('JWT_SECRET'),
  JWT_ISSUER: z.string().default('o11y-users'),
  JWT_AUDIENCE: z.string().default('o11y'),
};

/** The credential services present to each other's /internal endpoints. */
export const internalConfig = {
  INTERNAL_TOKEN: secret('INTERNAL_TOKEN'),
};

export const amqpConfig = {
  AMQP_URL: url('amqp://guest:guest@localhost:5672'),
  // Prefix for the exchange and queue names: lets several stacks share one broker (tests, demos).
  AMQP_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]*$/i, 'letters, digits, dot, dash, underscore')
    .default(''),
};

/** Services that consume events: how often, and how patiently, a failing message is retried. */
export const consumerConfig = {
  // With the defaults a message is retried for about 4 minutes before it is dead-lettered.
  CONSUMER_MAX_ATTEMPTS: positiveInt(10),
  CONSUMER_RETRY_BASE_MS: positiveInt(1000),
  CONSUMER_RETRY_MAX_MS: positiveInt(60_000),
  // How often the dead-letter queue's depth is read for the messaging_dead_letter_messages gauge.
  DEAD_LETTER_CHECK_MS: positiveInt(15_000),
};

export const retrySettings = (c: {
  CONSUMER_MAX_ATTEMPTS: number;
  CONSUMER_RETRY_BASE_MS: number;
  CONSUMER_RETRY_MAX_MS: number;
}) => ({
  maxAttempts: c.CONSUMER_MAX_ATTEMPTS,
  baseDelayMs: c.CONSUMER_RETRY_BASE_MS,
  maxDelayMs: c.CONSUMER_RETRY_MAX_MS,
});

/** Reads X_FILE for every X of the shape; the file's content wins over nothing, never over X. */
export function resolveFiles(
  keys: string[],
  env: NodeJS.ProcessEnv,
): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') values[k] = v;
  for (const key of keys) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    if (values[key] !== undefined) {
      problems.push(`${key}: set both ${key} and ${key}_FILE; set one`);
      continue;
    }
    try {
      values[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${key}_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  return { values, problems };
}

export function loadConfig<T extends z.ZodRawShape>(
  service: string,
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  // Empty variables count as unset, as a compose file with `FOO=` means "use the default".
  const { values, problems } = resolveFiles(Object.keys(shape), env);
  const result = z.object(shape).safeParse(values);
  if (!result.success)
    for (const issue of result.error.issues)
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
  if (problems.length > 0 || !result.success) {
    for (const problem of problems)
      process.stderr.write(
        `${JSON.stringify({ level: 60, service, msg: `invalid configuration: ${problem}` })}\n`,
      );
    process.exit(1);
  }
  return result.data;
}

/** Each service has its own database and role, named after the service. */
export const databaseUrl = (service: string) =>
  url(`postgres://${service}:${service}@localhost:5432/${service}`);
