// Starts Prometheus, Jaeger and VictoriaLogs natively on 127.0.0.1, from the same config files
// compose uses (passed through the host mapping), and waits until each reports healthy.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBackends } from './build-backends.mjs';
import { writeNativeConfig } from './host-mapping.mjs';
import { startProcess, stopProcesses } from './processes.mjs';
import { observabilityDir } from './versions.mjs';

export const HOST = '127.0.0.1';

/** Where each backend answers, and how to tell it is healthy. */
export const BACKENDS = {
  prometheus: { url: `http://${HOST}:9090`, health: `http://${HOST}:9090/-/ready` },
  jaeger: { url: `http://${HOST}:16686`, health: `http://${HOST}:13133/status` },
  victoriaLogs: { url: `http://${HOST}:9428`, health: `http://${HOST}:9428/health` },
};

/** Ports the native backends listen on (all must be free before starting). */
export const BACKEND_PORTS = [9090, 4317, 4318, 16686, 16685, 13133, 8888, 8889, 9428];

export const defaultDataDir = join(observabilityDir, 'native', '.data');

/** @param {string} url */
export async function answers(url, timeoutMs = 1000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function backendsHealthy() {
  const r = await Promise.all(Object.values(BACKENDS).map((b) => answers(b.health)));
  return r.every(Boolean);
}

/**
 * @param {string} name
 * @param {string} url
 * @param {import('./processes.mjs').Managed} proc
 * @param {number} timeoutMs
 */
async function waitHealthy(name, url, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode() !== undefined) {
      throw new Error(`${name} exited with code ${proc.exitCode()}; see ${proc.logFile}`);
    }
    if (await answers(url)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not healthy at ${url} after ${timeoutMs / 1000}s; see ${proc.logFile}`);
}

/**
 * @param {{ dataDir?: string, log?: (msg: string) => void, healthTimeoutMs?: number }} [opts]
 * @returns {Promise<{ stop: () => Promise<void>, processes: import('./processes.mjs').Managed[] }>}
 */
export async function startBackends(opts = {}) {
  const log = opts.log ?? ((m) => console.log(`[stack] ${m}`));
  const dataDir = opts.dataDir ?? defaultDataDir;
  // the stack runs the three servers; actionlint is for the tests
  const bins = await ensureBackends({
    only: ['prometheus', 'jaeger', 'victoria-logs'],
    log: (m) => console.log(`[backends] ${m}`),
  });
  const configDir = join(dataDir, 'config');
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const promConfig = join(configDir, 'prometheus.yml');
  const jaegerConfig = join(configDir, 'jaeger.yml');
  writeNativeConfig(join(observabilityDir, 'prometheus', 'prometheus.yml'), promConfig);
  writeNativeConfig(join(observabilityDir, 'jaeger', 'jaeger.yml'), jaegerConfig);

  /** @type {import('./processes.mjs').Managed[]} */
  const procs = [];
  const stop = () => stopProcesses(procs);
  try {
    const started = Date.now();
    procs.push(
      startProcess({
        name: 'prometheus',
        command: /** @type {string} */ (bins.prometheus),
        args: [
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
          '--storage.tsdb.retention.time=3d',
          `--web.listen-address=${HOST}:9090`,
          '--enable-feature=exemplar-storage',
          '--web.enable-lifecycle',
        ],
        logFile: join(logDir, 'prometheus.log'),
      }),
    );
    procs.push(
      startProcess({
        name: 'jaeger',
        command: /** @type {string} */ (bins.jaeger),
        args: ['--config', `file:${jaegerConfig}`],
        env: { JAEGER_LISTEN_HOST: HOST, JAEGER_BADGER_DIR: join(dataDir, 'jaeger') },
        logFile: join(logDir, 'jaeger.log'),
      }),
    );
    procs.push(
      startProcess({
        name: 'victoria-logs',
        command: /** @type {string} */ (bins['victoria-logs']),
        args: [
          `-httpListenAddr=${HOST}:9428`,
          `-storageDataPath=${join(dataDir, 'victoria-logs')}`,
          '-retentionPeriod=7d',
          '-loggerLevel=WARN',
        ],
        logFile: join(logDir, 'victoria-logs.log'),
      }),
    );
    const timeout = opts.healthTimeoutMs ?? 60_000;
    const [prom, jaeger, vl] = procs;
    await Promise.all([
      waitHealthy('prometheus', BACKENDS.prometheus.health, /** @type {any} */ (prom), timeout),
      waitHealthy('jaeger', BACKENDS.jaeger.health, /** @type {any} */ (jaeger), timeout),
      waitHealthy('victoria-logs', BACKENDS.victoriaLogs.health, /** @type {any} */ (vl), timeout),
    ]);
    log(`backends healthy in ${((Date.now() - started) / 1000).toFixed(1)}s (logs: ${logDir})`);
    return { stop, processes: procs };
  } catch (err) {
    await stop();
    throw err;
  }
}
