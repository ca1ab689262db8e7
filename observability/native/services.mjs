// The demo services and load generator for the native stack. Starting them (database bootstrap,
// one process per service, loadgen) is the demo's own job: this runs demo-services/scripts/demo.mjs
// as one child process group, pointed at the native backends, and waits for every service.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, answers } from './backends.mjs';
import { startProcess, stopProcesses } from './processes.mjs';
import { observabilityDir } from './versions.mjs';

const repoRoot = join(observabilityDir, '..');
export const DEMO_SCRIPT = join(repoRoot, 'demo-services', 'scripts', 'demo.mjs');

/** Contract ports: HTTP of each service, then every metrics port (loadgen has only metrics). */
export const SERVICES = {
  gateway: { http: 8080, metrics: 9464 },
  users: { http: 8081, metrics: 9465 },
  orders: { http: 8082, metrics: 9466 },
  payments: { http: 8083, metrics: 9467 },
  inventory: { http: 8084, metrics: 9468 },
  shipping: { http: 8085, metrics: 9469 },
  loadgen: { http: undefined, metrics: 9470 },
};
export const SERVICE_PORTS = Object.values(SERVICES).flatMap((s) =>
  s.http ? [s.http, s.metrics] : [s.metrics],
);
export const GATEWAY_URL = `http://${HOST}:8080`;

/** Environment that points the SDK of every service at the native backends. */
export const NATIVE_TELEMETRY_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://${HOST}:4318`,
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://${HOST}:9428/insert/opentelemetry/v1/logs`,
  OTEL_EXPORTER_PROMETHEUS_HOST: HOST,
};

export async function servicesHealthy() {
  const checks = Object.values(SERVICES).map((s) =>
    s.http
      ? answers(`http://${HOST}:${s.http}/readyz`)
      : answers(`http://${HOST}:${s.metrics}/metrics`),
  );
  return (await Promise.all(checks)).every(Boolean);
}

/**
 * @param {{ dataDir: string, timeoutMs?: number, env?: NodeJS.ProcessEnv }} opts
 * @returns {Promise<{ stop: () => Promise<void> }>}
 */
export async function startServices(opts) {
  if (!existsSync(DEMO_SCRIPT)) {
    throw new Error(
      `${DEMO_SCRIPT} not found: the demo services are not available in this checkout`,
    );
  }
  const proc = startProcess({
    name: 'demo',
    command: process.execPath,
    args: [DEMO_SCRIPT],
    cwd: repoRoot,
    env: { ...NATIVE_TELEMETRY_ENV, ...opts.env },
    logFile: join(opts.dataDir, 'logs', 'demo.log'),
  });
  // demo.mjs stops its services itself on SIGTERM (each runs in its own process group), one
  // after another with a deadline each: give it time before resorting to SIGKILL.
  const stop = () => stopProcesses([proc], 60_000);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  console.log(`[stack] starting demo services (log: ${proc.logFile})`);
  while (!(await servicesHealthy())) {
    if (proc.exitCode() !== undefined) {
      throw new Error(
        `demo services exited with code ${proc.exitCode()} (PostgreSQL, RabbitMQ and Redis must ` +
          `answer on 127.0.0.1; bash .ci/services.sh starts them). Last lines of ${proc.logFile}:\n` +
          readFileSync(proc.logFile, 'utf8').trim().split('\n').slice(-15).join('\n'),
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `demo services not ready after ${(opts.timeoutMs ?? 120_000) / 1000}s; see ${proc.logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log('[stack] demo services ready');
  return { stop };
}
