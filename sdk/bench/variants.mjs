// How each variant of the app is started: the same script, different preload and environment.
// Every instrumented variant exports traces and logs over OTLP/HTTP protobuf to the local receiver,
// samples everything, and serves Prometheus metrics on its own port for the scraper.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const VARIANTS = ['bare', 'sdk', 'upstream', 'floor'];
/** What runs unless --variants says otherwise; `floor` is a yardstick asked for by name. */
export const DEFAULT_VARIANTS = ['bare', 'sdk', 'upstream'];
/** Variants that ship logs and count their drops, which the sustained mode checks. */
export const shipsEverything = (variant) => variant !== 'bare' && variant !== 'floor';

/** `sdk@<dir>`: another build of the SDK (its package directory), run like `sdk`. */
export function otherSdkDir(variant) {
  return variant.startsWith('sdk@') ? path.resolve(variant.slice(4)) : undefined;
}

const preload = {
  bare: [],
  sdk: ['--import', '@o11y/sdk/register'],
  upstream: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
  floor: ['--require', fileURLToPath(new URL('apps/floor.cjs', import.meta.url))],
};

/** Node arguments (before the script) and environment for one variant. */
export function variantLaunch(variant, { receiverPort, metricsPort }) {
  const other = otherSdkDir(variant);
  if (other !== undefined) {
    const launch = variantLaunch('sdk', { receiverPort, metricsPort });
    // The app logs through that build's logger too (apps/server.cjs reads BENCH_SDK_MODULE).
    launch.env.BENCH_SDK_MODULE = other;
    launch.args = ['--import', pathToFileURL(path.join(other, 'dist', 'register.js')).href];
    return launch;
  }
  const otlp = `http://127.0.0.1:${receiverPort}`;
  // Drop anything inherited that would change what the SDKs do.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS'),
  );
  Object.assign(env, { NODE_ENV: 'production', LOG_LEVEL: 'info' });
  if (variant === 'bare') return { args: [], env };
  Object.assign(env, {
    OTEL_SERVICE_NAME: 'bench',
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
  });
  if (variant === 'sdk') {
    // The SDK takes the logs endpoint as a full URL (Loki and VictoriaLogs paths differ).
    Object.assign(env, {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${otlp}/v1/logs`,
      BENCH_LOGGER: 'sdk',
    });
  } else {
    Object.assign(env, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'prometheus',
    });
  }
  return { args: preload[variant], env };
}
