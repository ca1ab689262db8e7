// Configuration comes only from the environment and is validated before anything listens: a bad
// value names itself and the process exits non-zero, instead of failing later at the first request.
import { z } from 'zod';

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
export const millis = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
export const url = (fallback: string) => z.url().default(fallback);

/** Common to every service. */
export const baseConfig = {
  HOST: z.string().default('0.0.0.0'),
  SHUTDOWN_TIMEOUT_MS: millis(10_000),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb')
    .default('100kb'),
};

export const upstreamConfig = {
  UPSTREAM_TIMEOUT_MS: millis(3000),
  UPSTREAM_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  BREAKER_THRESHOLD: positiveInt(5),
  BREAKER_HALF_OPEN_MS: millis(5000),
  BULKHEAD_LIMIT: positiveInt(20),
  BULKHEAD_QUEUE: z.coerce.number().int().min(0).default(40),
};

export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

export const jwtConfig = {
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
  JWT_ISSUER: z.string().default('o11y-users'),
  JWT_AUDIENCE: z.string().default('o11y'),
};

export const amqpConfig = {
  AMQP_URL: url('amqp://guest:guest@localhost:5672'),
  // Prefix for the exchange and queue names: lets several stacks share one broker (tests, demos).
  AMQP_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]*$/i, 'letters, digits, dot, dash, underscore')
    .default(''),
};

export function loadConfig<T extends z.ZodRawShape>(
  service: string,
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  // Empty variables count as unset, as a compose file with `FOO=` means "use the default".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    for (const issue of result.error.issues) {
      process.stderr.write(
        `${JSON.stringify({ level: 60, service, msg: `invalid configuration: ${issue.path.join('.')}: ${issue.message}` })}\n`,
      );
    }
    process.exit(1);
  }
  if ((result.data as { JWT_SECRET?: string }).JWT_SECRET === DEV_JWT_SECRET) {
    process.stderr.write(
      `${JSON.stringify({ level: 40, service, msg: 'JWT_SECRET is not set: using the development secret; set it outside development' })}\n`,
    );
  }
  return result.data;
}

/** Each service has its own database and role, named after the service. */
export const databaseUrl = (service: string) =>
  url(`postgres://${service}:${service}@localhost:5432/${service}`);
