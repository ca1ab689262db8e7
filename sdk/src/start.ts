import { isMainThread } from 'node:worker_threads';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { resolveConfig } from './config/env';
import type { Config, StartOptions } from './config/options';
import { resourceAttributes } from './config/resource';
import { warn } from './config/warn';
import { warnIfStartedByEsmEntry } from './esm-entry-warning';
import { registerEsmHook } from './esm-hook';
import { logger, stdoutDrained } from './logging/logger';
import {
  flushLogShipping,
  logShippingReady,
  startLogShipping,
  stopLogShipping,
} from './logging/shipping';
import { startMetricsPush, type MetricsPush } from './metrics/otlp-push';
import { initRegistry } from './metrics/registry';
import { metricsServer, startMetricsServer } from './metrics/server';
import { cancelExports } from './otlp/export-transport';
import { withDeadline } from './shutdown/deadline';
import { installExitFlush, installSignalHandlers } from './shutdown/signals';
import { selectInstrumentations } from './instrument/select';
import { startTracing } from './tracing/provider';

/** How long a re-raised signal waits for stdout lines still being written (within the deadline). */
const STDOUT_DRAIN_MS = 100;

interface SdkState {
  startedAt?: string;
  config?: Config;
  provider?: NodeTracerProvider;
  metricsReady?: Promise<unknown>;
  metricsPush?: MetricsPush;
  stopping?: Promise<void>;
}

// Kept on globalThis so that two copies of the SDK in one process still see one another.
const KEY = Symbol.for('@o11y/sdk.state');
const g = globalThis as { [KEY]?: SdkState };
const state: SdkState = (g[KEY] ??= {});

/** The first stack frame outside the SDK: where start() was called from. */
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const here = __dirname;
  const outside = lines.find((l) => !l.includes(here) && !l.includes('node:internal'));
  return (outside ?? lines[lines.length - 1] ?? 'unknown').trim().replace(/^at\s+/, '');
}

/**
 * Starts tracing, metrics and log shipping. Configuration comes from `options`, then the standard
 * `OTEL_*` environment variables, then defaults. Never throws: a bad value is reported in one
 * warning and replaced by its default. A second call is a no-op with one warning.
 */
export function start(options: StartOptions = {}): void {
  const site = options === REGISTER_OPTIONS ? '@o11y/sdk/register' : callSite();
  if (state.startedAt !== undefined) {
    warn(
      `start() called again at ${site}; the SDK was already started at ${state.startedAt}; ignoring this call`,
    );
    return;
  }
  state.startedAt = site;
  const viaRegister = options === REGISTER_OPTIONS;
  try {
    startOnce(viaRegister ? {} : options, viaRegister);
  } catch (err) {
    warn(`the SDK failed to start (${(err as Error).message}); the app runs without it`);
  }
}

/** Marker so the register entry reports itself as the call site. */
export const REGISTER_OPTIONS: StartOptions = Object.freeze({});

function startOnce(options: StartOptions, viaRegister: boolean): void {
  const config = resolveConfig(options);
  state.config = config;
  logger.level = config.logLevel;
  if (config.disabled) return;
  if (isMainThread) warnIfStartedByEsmEntry(viaRegister ? 'register' : 'start');

  const attributes = resourceAttributes(config);
  initRegistry(serviceLabels(config));

  const { instrumentations, esmModules, esmLibrary } = selectInstrumentations(
    config.instrumentations,
    config.instrumentationsNamed,
  );
  registerEsmHook(esmModules, esmLibrary);
  const provider = startTracing(config, attributes);
  state.provider = provider;
  registerInstrumentations({ instrumentations, tracerProvider: provider });

  if (config.metricsServer)
    state.metricsReady = startMetricsServer(config.metricsPort, config.metricsHost);
  if (config.metricsPush !== undefined) {
    try {
      state.metricsPush = startMetricsPush(config.metricsPush, attributes);
    } catch (err) {
      warn(`OTLP metrics push could not start (${(err as Error).message}); metrics are not pushed`);
    }
  }
  startLogShipping(config, attributes);

  // Lines logged while the flush ran are written before the signal is re-raised, if the
  // deadline leaves time for it.
  if (config.handleSignals)
    installSignalHandlers((receivedAt) =>
      shutdown().then(() =>
        stdoutDrained(
          Math.min(STDOUT_DRAIN_MS, receivedAt + config.shutdownTimeoutMs - performance.now()),
        ),
      ),
    );
  // A flush, not a shutdown: an app that schedules more work from 'beforeExit' keeps its telemetry.
  // What the deadline left in flight is given up: the process has nothing else to do.
  installExitFlush(() => flush().then(() => cancelExports()));
}

/**
 * The service identity on every series. A version or environment nobody set is no label at all
 * (prom-client would print an undefined default label as "undefined"), so it is left out here;
 * Prometheus treats a missing label as empty.
 */
function serviceLabels(config: Config): Parameters<typeof initRegistry>[0] {
  const labels: Parameters<typeof initRegistry>[0] = { service_name: config.serviceName };
  if (config.serviceVersion !== undefined) labels.service_version = config.serviceVersion;
  if (config.deploymentEnvironment !== undefined)
    labels.deployment_environment = config.deploymentEnvironment;
  return labels;
}

/**
 * Exports what is buffered (spans, log records) within the deadline; the SDK keeps running.
 * Exports never keep a finished process alive, so after the deadline nothing of the flush does.
 */
export function flush(): Promise<void> {
  if (state.stopping !== undefined) return state.stopping;
  const deadline = state.config?.shutdownTimeoutMs ?? 2000;
  return withDeadline(
    Promise.allSettled([
      // The provider's own flush timeout is a referenced 30 s timer.
      state.provider?.forceFlush({ timeoutMillis: deadline }),
      flushLogShipping(deadline),
      state.metricsPush?.flush(),
    ]),
    deadline,
  );
}

/**
 * Flushes spans and log records and stops the SDK, within the configured deadline (default 2 s).
 * At the deadline whatever is still in flight is given up (requests to the collector, the log
 * worker), so that nothing of the SDK holds the process after the returned promise resolves.
 * Safe to call more than once; never rejects.
 */
export function shutdown(): Promise<void> {
  if (state.stopping !== undefined) return state.stopping;
  const deadline = state.config?.shutdownTimeoutMs ?? 2000;
  const work = Promise.allSettled([
    state.provider?.shutdown(),
    flushLogShipping(deadline),
    state.metricsPush?.shutdown(),
  ]);
  state.stopping = withDeadline(work, deadline).then(() => {
    cancelExports(true);
    stopLogShipping();
    // Also closes idle keep-alive connections (scrapers'), which would hold the process.
    metricsServer?.close();
  });
  return state.stopping;
}

/**
 * Resolves once the metrics server listens and, if a line has been logged, the log-shipping
 * worker runs (or either failed to start). Nothing needs to wait for it; it exists for tests and
 * for apps that want to be sure.
 */
export function ready(): Promise<void> {
  return Promise.all([state.metricsReady, logShippingReady()]).then(() => undefined);
}
