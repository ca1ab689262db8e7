#!/usr/bin/env node
// npm run stack:native — the whole demo without Docker: real Prometheus, Jaeger and VictoriaLogs
// binaries (built once from their Go modules) on 127.0.0.1, then the demo services and the load
// generator exporting to them. Ctrl-C / SIGTERM stops everything it started.
//
//   node observability/native/stack.mjs [--backends-only]
//   env O11Y_BACKENDS_ONLY=1 (same as the flag), O11Y_DATA_DIR (default observability/native/.data),
//       O11Y_CACHE_DIR (binary cache, default $HOME/.cache/o11y)
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  BACKENDS,
  BACKEND_PORTS,
  HOST,
  backendsHealthy,
  defaultDataDir,
  startBackends,
} from './backends.mjs';
import { GATEWAY_URL, SERVICE_PORTS, servicesHealthy, startServices } from './services.mjs';

/** @param {number} port */
function portInUse(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** @param {number[]} ports */
async function busyPorts(ports) {
  const used = await Promise.all(ports.map(portInUse));
  return ports.filter((_, i) => used[i]);
}

export function printUrls(backendsOnly = false) {
  const lines = [
    `Jaeger UI/API    ${BACKENDS.jaeger.url}  (OTLP ${HOST}:4317 gRPC, http://${HOST}:4318)`,
    `Prometheus       ${BACKENDS.prometheus.url}  (API; the web UI is not in a module build)`,
    `VictoriaLogs     ${BACKENDS.victoriaLogs.url}/select/vmui  (LogsQL: /select/logsql/query)`,
  ];
  if (!backendsOnly) lines.push(`Gateway          ${GATEWAY_URL}`);
  console.log(`\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/**
 * Starts the stack; resolves once everything is healthy.
 * @param {{ backendsOnly?: boolean, dataDir?: string }} [opts]
 * @returns {Promise<{ stop: () => Promise<void>, alreadyRunning: boolean }>}
 */
export async function startStack(opts = {}) {
  const backendsOnly = opts.backendsOnly ?? false;
  const dataDir = opts.dataDir ?? process.env.O11Y_DATA_DIR ?? defaultDataDir;
  if (await backendsHealthy()) {
    if (backendsOnly || (await servicesHealthy())) {
      return { stop: async () => {}, alreadyRunning: true };
    }
  }
  /** @type {(() => Promise<void>)[]} */
  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    if (!(await backendsHealthy())) {
      const busy = await busyPorts(BACKEND_PORTS);
      if (busy.length) {
        throw new Error(
          `ports ${busy.join(', ')} on ${HOST} are taken by something that is not a healthy ` +
            'native stack; stop it first',
        );
      }
      const backends = await startBackends({ dataDir });
      stops.push(backends.stop);
    } else {
      console.log('[stack] backends already running; starting only the demo services');
    }
    if (!backendsOnly) {
      if (await servicesHealthy()) {
        console.log('[stack] demo services already running; using them');
      } else {
        const busy = await busyPorts(SERVICE_PORTS);
        if (busy.length) {
          throw new Error(`service ports ${busy.join(', ')} are taken; stop what uses them first`);
        }
        const services = await startServices({ dataDir });
        stops.push(services.stop);
      }
    }
    return { stop, alreadyRunning: false };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const backendsOnly =
    process.argv.includes('--backends-only') ||
    /^(1|true)$/i.test(process.env.O11Y_BACKENDS_ONLY ?? '');
  /** @type {(() => Promise<void>) | undefined} */
  let stop;
  let stopping = false;
  const shutdown = async (/** @type {string} */ why) => {
    if (stopping) return;
    stopping = true;
    console.log(`[stack] ${why}: stopping...`);
    if (stop) await stop();
    console.log('[stack] stopped');
    process.exit(0);
  };
  // Installed before starting so a Ctrl-C during a build or startup still cleans up.
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const stack = await startStack({ backendsOnly });
    stop = stack.stop;
    if (stack.alreadyRunning) {
      console.log('[stack] the native stack is already running (its ports answer healthy):');
      printUrls(backendsOnly);
      process.exit(0);
    }
    if (stopping) await stop();
    console.log(`[stack] ready${backendsOnly ? ' (backends only)' : ''}; Ctrl-C stops everything.`);
    printUrls(backendsOnly);
  } catch (err) {
    console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
