import type { Config, SamplerName, StartOptions } from './options';
import { readAppPackage } from './app-package';
import { bad, boolEnv, intEnv, protocolValue, raw, urlValue, type Env } from './env-values';
import { metricsExporters, metricsPushConfig } from './metrics-env';
import { warnOnce } from './warn';

/**
 * The instrumentations the SDK bundles, by the names upstream uses in
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS; all are on by default, and each loads only when the app can
 * resolve its library (instrument/table.ts says which library and what loads).
 */
export const BUNDLED_INSTRUMENTATIONS = [
  // Node built-ins
  'http',
  'undici',
  // web frameworks
  'express',
  'fastify',
  'koa',
  'hapi',
  'nestjs-core',
  // databases, caches, brokers, RPC
  'pg',
  'mysql2',
  'mysql',
  'redis',
  'ioredis',
  'mongodb',
  'mongoose',
  'knex',
  'tedious',
  'cassandra-driver',
  'memcached',
  'amqplib',
  'kafkajs',
  'grpc',
  'graphql',
  'aws-sdk',
  'socket.io',
  // loggers
  'pino',
  'winston',
  'bunyan',
] as const;
export type InstrumentationName = (typeof BUNDLED_INSTRUMENTATIONS)[number];

/** Upstream instrumentations the SDK does not bundle: named, they warn that they stay off. */
const UNBUNDLED = ['fs', 'dns', 'net'];
const KNOWN_INSTRUMENTATIONS: readonly string[] = [...BUNDLED_INSTRUMENTATIONS, ...UNBUNDLED];

const SAMPLERS: SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const DIAG_LEVELS = ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'VERBOSE', 'ALL'] as const;
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DIAG_TO_PINO: Record<string, string> = {
  NONE: 'silent',
  ERROR: 'error',
  WARN: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  VERBOSE: 'trace',
  ALL: 'trace',
};

/** Parses `k=v,k2=v2` (values percent-encoded, per the OTel spec); bad entries are warned about and skipped. */
export function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key) {
      warnOnce(
        `env:OTEL_RESOURCE_ATTRIBUTES:${part}`,
        `OTEL_RESOURCE_ATTRIBUTES entry ${JSON.stringify(part)} is invalid (expected key=value); ignoring it`,
      );
      continue;
    }
    const rawValue = part.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(rawValue);
    } catch {
      out[key] = rawValue;
    }
  }
  return out;
}

function listEnv(env: Env, name: string): string[] | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  const names = v
    .split(',')
    .map((s) => s.trim().replace(/^@opentelemetry\/instrumentation-/, ''))
    .filter(Boolean);
  for (const n of names) {
    if (!KNOWN_INSTRUMENTATIONS.includes(n)) {
      warnOnce(
        `env:${name}:${n}`,
        `${name} names unknown instrumentation ${JSON.stringify(n)}; known: ${KNOWN_INSTRUMENTATIONS.join(', ')}; ignoring it`,
      );
    }
  }
  return names.filter((n) => KNOWN_INSTRUMENTATIONS.includes(n));
}

function stripSlash(u: string): string {
  return u.endsWith('/') ? u.slice(0, -1) : u;
}

/** Resolves the configuration from options over environment over defaults; never throws. */
export function resolveConfig(options: StartOptions = {}, env: Env = process.env): Config {
  const disabled = options.disabled ?? boolEnv(env, 'OTEL_SDK_DISABLED', false);

  const envAttrs = parseResourceAttributes(raw(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  const pkg = readAppPackage();
  const serviceName =
    options.serviceName ??
    raw(env, 'OTEL_SERVICE_NAME') ??
    envAttrs['service.name'] ??
    pkg.name ??
    'unknown_service:node';
  // Never invented: absent unless the app's package.json, an option or a variable says it.
  const serviceVersion = options.serviceVersion ?? envAttrs['service.version'] ?? pkg.version;
  // An explicitly set NODE_ENV names the environment too (it is what Node apps set).
  const deploymentEnvironment =
    options.deploymentEnvironment ??
    envAttrs['deployment.environment.name'] ??
    envAttrs['deployment.environment'] ??
    raw(env, 'NODE_ENV');

  const base = stripSlash(
    urlValue(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      options.endpoint ?? raw(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
      'http://localhost:4318',
    ),
  );
  const tracesEndpoint = urlValue(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    options.tracesEndpoint ?? raw(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
    `${base}/v1/traces`,
  );
  const logsEndpoint = urlValue(
    'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
    options.logsEndpoint ?? raw(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'),
    `${base}/v1/logs`,
  );
  const metricsEndpoint = urlValue(
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    options.metricsEndpoint ?? raw(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
    `${base}/v1/metrics`,
  );
  const protocol = protocolValue(
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    options.protocol ?? raw(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'),
    'http/protobuf',
  );
  const tracesProtocol = protocolValue(
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    raw(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
    protocol,
  );
  const logsProtocol = protocolValue(
    'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
    raw(env, 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'),
    protocol,
  );

  let tracesExporter: Config['tracesExporter'] = 'otlp';
  const te = raw(env, 'OTEL_TRACES_EXPORTER');
  if (te !== undefined) {
    if (te === 'otlp' || te === 'console' || te === 'none') tracesExporter = te;
    else bad('OTEL_TRACES_EXPORTER', te, 'otlp', 'supported: otlp, console, none');
  }
  let logsExporter: Config['logsExporter'] = 'otlp';
  const le = raw(env, 'OTEL_LOGS_EXPORTER');
  if (le !== undefined) {
    if (le === 'otlp' || le === 'none') logsExporter = le;
    else bad('OTEL_LOGS_EXPORTER', le, 'otlp', 'supported: otlp, none');
  }

  let sampler: SamplerName = 'parentbased_always_on';
  const s = raw(env, 'OTEL_TRACES_SAMPLER');
  if (s !== undefined) {
    if ((SAMPLERS as string[]).includes(s)) sampler = s as SamplerName;
    else bad('OTEL_TRACES_SAMPLER', s, sampler, `supported: ${SAMPLERS.join(', ')}`);
  }
  let samplerRatio = 1;
  const arg = raw(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined) {
    const n = Number(arg);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      bad('OTEL_TRACES_SAMPLER_ARG', arg, 1, 'expected a number from 0 to 1');
    else samplerRatio = n;
  }

  const maxQueueSize = intEnv(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000);
  let maxExportBatchSize = intEnv(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000);
  if (maxExportBatchSize > maxQueueSize) {
    bad(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      String(maxExportBatchSize),
      maxQueueSize,
      'larger than OTEL_BSP_MAX_QUEUE_SIZE',
    );
    maxExportBatchSize = maxQueueSize;
  }
  const bsp = {
    scheduledDelayMillis: intEnv(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0, 3_600_000),
    exportTimeoutMillis: intEnv(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30000, 1, 3_600_000),
    maxQueueSize,
    maxExportBatchSize,
  };

  const blrpQueue = intEnv(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000);
  const blrp = {
    scheduledDelayMillis: intEnv(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000, 0, 3_600_000),
    exportTimeoutMillis: intEnv(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 30000, 1, 3_600_000),
    maxQueueSize: blrpQueue,
    maxExportBatchSize: Math.min(
      intEnv(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000),
      blrpQueue,
    ),
  };

  let diagLevel: Config['diagLevel'] = 'INFO';
  const dl = raw(env, 'OTEL_LOG_LEVEL');
  if (dl !== undefined) {
    const u = dl.toUpperCase();
    if ((DIAG_LEVELS as readonly string[]).includes(u)) diagLevel = u as Config['diagLevel'];
    else bad('OTEL_LOG_LEVEL', dl, 'INFO', `supported: ${DIAG_LEVELS.join(', ')}`);
  }
  let logLevel = options.logLevel ?? raw(env, 'LOG_LEVEL')?.toLowerCase();
  if (logLevel !== undefined && !PINO_LEVELS.includes(logLevel)) {
    bad(
      options.logLevel !== undefined ? 'logLevel' : 'LOG_LEVEL',
      logLevel,
      'info',
      `supported: ${PINO_LEVELS.join(', ')}`,
    );
    logLevel = undefined;
  }
  logLevel ??= dl !== undefined ? (DIAG_TO_PINO[diagLevel] ?? 'info') : 'info';

  let metricsPort = intEnv(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', 9464, 0, 65535);
  if (options.metricsPort !== undefined) {
    if (
      Number.isInteger(options.metricsPort) &&
      options.metricsPort >= 0 &&
      options.metricsPort <= 65535
    )
      metricsPort = options.metricsPort;
    else
      bad(
        'metricsPort',
        String(options.metricsPort),
        metricsPort,
        'expected an integer from 0 to 65535',
      );
  }
  const metricsHost = options.metricsHost ?? raw(env, 'OTEL_EXPORTER_PROMETHEUS_HOST');
  const exporters = metricsExporters(raw(env, 'OTEL_METRICS_EXPORTER'));
  const metricsServer =
    options.metricsServer ??
    (exporters.has('prometheus') && boolEnv(env, 'O11Y_METRICS_SERVER', true));
  const metricsPush = exporters.has('otlp') ? metricsPushConfig(env, metricsEndpoint) : undefined;

  const named =
    options.enabledInstrumentations ?? listEnv(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const enabled = named ?? BUNDLED_INSTRUMENTATIONS;
  const disabledList =
    options.disabledInstrumentations ?? listEnv(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [];
  const instrumentations = new Set(enabled.filter((n) => !disabledList.includes(n)));

  const resourceAttributes: Record<string, string | number | boolean> = {
    ...envAttrs,
    ...options.resourceAttributes,
  };

  return {
    disabled,
    serviceName,
    serviceVersion,
    deploymentEnvironment,
    resourceAttributes,
    tracesEndpoint,
    logsEndpoint,
    tracesProtocol,
    logsProtocol,
    tracesExporter,
    logsExporter,
    sampler,
    samplerRatio,
    bsp,
    blrp,
    diagLevel,
    logLevel,
    metricsServer,
    metricsPort,
    metricsHost,
    metricsPush,
    instrumentations,
    instrumentationsNamed: named !== undefined,
    shutdownTimeoutMs:
      options.shutdownTimeoutMs ?? intEnv(env, 'O11Y_SHUTDOWN_TIMEOUT_MS', 2000, 0, 600_000),
    handleSignals: options.handleSignals ?? true,
  };
}
