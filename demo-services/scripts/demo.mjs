// `npm run demo`: the six services and the load generator, natively, against the local PostgreSQL,
// RabbitMQ and Redis. Creates databases, roles and topology when missing; Ctrl-C stops everything
// (load generator first, gateway next, then the services behind it).
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapDatabases, bootstrapTopology } from '../dist/platform/bootstrap/index.js';
import { ensureSecretFiles, randomSecret } from '../dist/platform/secrets/files.js';
import {
  DEFAULT_METRICS_PORTS,
  DEFAULT_PORTS,
  SERVICES,
  launchService,
  serviceEnvironment,
  waitUntilReady,
} from '../dist/platform/bootstrap/launch.js';

const env = process.env;
const amqpUrl = env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrls = env.PG_ADMIN_URL
  ? [env.PG_ADMIN_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'];
const logDir = fileURLToPath(new URL('../.cache/logs/', import.meta.url));
const secretsDir = fileURLToPath(new URL('../.cache/secrets/', import.meta.url));

function listening(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
  if (await listening(port)) {
    console.error(`port ${port} (${name}) is already in use: is another demo running?`);
    process.exit(1);
  }
}

let databaseUrls;
for (const adminUrl of adminUrls) {
  try {
    databaseUrls = await bootstrapDatabases({ adminUrl });
    break;
  } catch (err) {
    if (adminUrl === adminUrls.at(-1)) {
      console.error(
        `cannot prepare PostgreSQL databases (${err.message}); set PG_ADMIN_URL to a superuser connection URL`,
      );
      process.exit(1);
    }
  }
}
try {
  await bootstrapTopology(amqpUrl, env.AMQP_PREFIX ?? '');
} catch (err) {
  console.error(`cannot reach RabbitMQ at ${amqpUrl}: ${err.message}`);
  process.exit(1);
}

// No secret has a default: the first run generates them, later runs reuse them (the shell's
// JWT_SECRET, INTERNAL_TOKEN or ADMIN_TOKEN win when set).
const secrets = ensureSecretFiles(
  secretsDir,
  ['jwt-secret', 'internal-token', 'admin-token'].map((name) => ({ name, make: randomSecret })),
  0o600,
);
if (secrets.created.length > 0)
  console.log(`generated ${secrets.created.join(', ')} in ${secretsDir} (kept for later runs)`);

const settings = {
  ports: DEFAULT_PORTS,
  metricsPorts: DEFAULT_METRICS_PORTS,
  databaseUrls,
  amqpUrl,
  amqpPrefix: env.AMQP_PREFIX ?? '',
  redisUrl,
  rateLimitKeyPrefix: 'o11y:ratelimit:',
  jwtSecret: env.JWT_SECRET ?? secrets.values['jwt-secret'],
  internalToken: env.INTERNAL_TOKEN ?? secrets.values['internal-token'],
  adminToken: env.ADMIN_TOKEN ?? secrets.values['admin-token'],
  common: {
    OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT:
      env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ?? 'http://127.0.0.1:9428/insert/opentelemetry/v1/logs',
    INVENTORY_RESTOCK_INTERVAL_MS: env.INVENTORY_RESTOCK_INTERVAL_MS ?? '15000',
  },
};

mkdirSync(logDir, { recursive: true });
const processes = [];
function start(name, childEnv) {
  const file = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const proc = launchService(name, childEnv, {
    detached: true,
    onLine: (line) => {
      file.write(`${line}\n`);
      // progress lines of the load generator, and anything that is not a JSON log line, to the terminal
      if (name === 'loadgen' ? line.startsWith('[loadgen]') : !line.startsWith('{'))
        console.log(`${name.padEnd(9)} ${line}`);
    },
  });
  proc.exited.then((code) => {
    if (!stopping)
      console.error(
        `${name} exited unexpectedly (code ${code}); see ${join(logDir, `${name}.log`)}`,
      );
  });
  processes.push(proc);
  return proc;
}

let stopping = false;
async function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping load generator and services...`);
  // reverse start order: loadgen, gateway, shipping, orders, payments, inventory, users
  for (const proc of [...processes].reverse()) await proc.stop(15_000);
  console.log('all stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stopAll('SIGINT'));
process.on('SIGTERM', () => void stopAll('SIGTERM'));
process.on('exit', () => {
  for (const p of processes)
    if (p.running && p.pid)
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
});

console.log(`starting ${SERVICES.join(', ')} (logs in ${logDir})`);
for (const name of SERVICES) start(name, serviceEnvironment(name, settings));
try {
  await Promise.all(
    SERVICES.map((name, i) =>
      waitUntilReady(`http://127.0.0.1:${DEFAULT_PORTS[name]}/readyz`, processes[i], 90_000),
    ),
  );
} catch (err) {
  console.error(err.message);
  await stopAll('startup failed');
}

start('loadgen', {
  OTEL_SERVICE_NAME: 'loadgen',
  OTEL_EXPORTER_PROMETHEUS_PORT: String(DEFAULT_METRICS_PORTS.loadgen),
  GATEWAY_URL: `http://127.0.0.1:${DEFAULT_PORTS.gateway}`,
  ...settings.common,
});

console.log(`
  gateway      http://127.0.0.1:${DEFAULT_PORTS.gateway}/api/v1   (API docs: http://127.0.0.1:${DEFAULT_PORTS.gateway}/docs/)
  metrics      http://127.0.0.1:9464/metrics .. :9470/metrics
  faults       curl -X PUT http://127.0.0.1:${DEFAULT_PORTS.gateway}/admin/payments/faults \\
                 -H "Authorization: Bearer $(cat ${join(secretsDir, 'admin-token')})" \\
                 -H 'Content-Type: application/json' -d '{"errorRate":0.3,"latencyMs":200}'
  load         LOADGEN_RATE=${env.LOADGEN_RATE ?? 10} req/s (set LOADGEN_RATE to change)
  Ctrl-C stops everything.
`);
