import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config/options';
import { rateLimitedWarner, warn } from '../config/warn';
import { selfMetrics } from '../metrics/registry';
import { EncodingSpanProcessor } from './encoding-span-processor';
import { exportFailedRecently } from '../otlp/export-failures';
import { createEncodedSpanExporter, createSpanExporter } from './exporter';
import { propagatorFromEnv } from './propagation';

function sampler(config: Config): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Counts spans the batch processor drops on a full queue (upstream only mentions them in diag). */
function countDrops(bsp: BatchSpanProcessor): void {
  const internals = bsp as unknown as {
    _addToBuffer?: (span: unknown) => void;
    _finishedSpans?: { length: number };
    _maxQueueSize?: number;
  };
  const original = internals._addToBuffer;
  if (typeof original !== 'function') return;
  internals._addToBuffer = function (this: typeof internals, span: unknown) {
    if (
      this._finishedSpans !== undefined &&
      this._maxQueueSize !== undefined &&
      this._finishedSpans.length >= this._maxQueueSize
    ) {
      selfMetrics.spansDropped.inc();
    }
    original.call(this, span);
  };
}

const DIAG_LEVEL: Record<Config['diagLevel'], DiagLogLevel> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/** Routes OpenTelemetry's internal messages to stderr, rate limited so a dead collector cannot flood it. */
function installDiag(config: Config): void {
  const limited = rateLimitedWarner(60_000);
  const say = (msg: string, args: unknown[]) => {
    if (exportFailedRecently()) return; // already reported by the exporter wrapper
    const text = [
      msg,
      ...args.map((a) =>
        a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a),
      ),
    ].join(' ');
    limited(`diag:${msg.slice(0, 60)}`, `opentelemetry: ${text}`);
  };
  const logger: DiagLogger = {
    error: (m, ...a) => say(m, a),
    warn: (m, ...a) => say(m, a),
    info: (m, ...a) => say(m, a),
    debug: (m, ...a) => say(m, a),
    verbose: (m, ...a) => say(m, a),
  };
  // Without OTEL_LOG_LEVEL only warnings and errors are worth the app's stderr.
  const level = process.env.OTEL_LOG_LEVEL ? DIAG_LEVEL[config.diagLevel] : DiagLogLevel.WARN;
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
  setGlobalErrorHandler((err) => {
    if (exportFailedRecently()) return;
    say('internal error:', [err]);
  });
}

/** Builds and registers the global tracer provider, its context manager and OTEL_PROPAGATORS. */
export function startTracing(
  config: Config,
  attributes: Record<string, string | number | boolean>,
): NodeTracerProvider {
  const spanProcessors = [];
  const encoded = createEncodedSpanExporter(config);
  if (encoded !== undefined) {
    spanProcessors.push(new EncodingSpanProcessor(encoded, config.bsp));
  } else {
    const exporter = createSpanExporter(config);
    if (exporter !== undefined) {
      const bsp = new BatchSpanProcessor(exporter, config.bsp);
      countDrops(bsp);
      spanProcessors.push(bsp);
    }
  }
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(attributes)),
    sampler: sampler(config),
    spanProcessors,
  });
  // Installed only now: the provider re-reads OTEL_TRACES_SAMPLER from the environment and would
  // report a bad value a second time; the SDK's own warning (config/env) has already named it.
  installDiag(config);
  try {
    // The SDK's own W3C Trace Context Level 2 propagator instead of upstream's default.
    provider.register({ propagator: propagatorFromEnv() });
  } catch (err) {
    warn(`could not register the tracer provider: ${(err as Error).message}`);
  }
  return provider;
}
