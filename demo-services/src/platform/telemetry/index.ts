// The one module that touches @o11y/sdk: every service logs and records metrics through here, so the
// rest of the code does not depend on the SDK's shape, and a missing SDK build degrades to plain
// JSON on stdout instead of a crash.
import {
  context,
  propagation,
  trace,
  SpanStatusCode,
  SpanKind,
  type Span,
  type Context,
} from '@opentelemetry/api';

export { context, propagation, trace, SpanStatusCode, SpanKind, type Span, type Context };

type LogFn = {
  (msg: string): void;
  (obj: object, msg?: string): void;
};

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export type Labels = Record<string, string | number>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}
export interface Gauge {
  set(labels: Labels, value: number): void;
}
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

interface SdkMetrics {
  counter(opts: { name: string; help: string; labelNames?: string[] }): Counter;
  gauge(opts: { name: string; help: string; labelNames?: string[] }): Gauge;
  histogram(opts: {
    name: string;
    help: string;
    labelNames?: string[];
    buckets?: number[];
  }): Histogram;
}

interface SdkModule {
  logger?: Logger;
  metrics?: SdkMetrics;
  shutdown?: () => Promise<void>;
}

// A string variable keeps TypeScript from resolving the SDK at compile time; the build order of the
// workspaces then does not matter.
const sdkSpecifier: string = '@o11y/sdk';
const sdk = (await import(sdkSpecifier).catch(() => undefined)) as SdkModule | undefined;

const levels = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

function fallbackLogger(bindings: Record<string, unknown>): Logger {
  const threshold = levels[(process.env.LOG_LEVEL ?? 'info') as keyof typeof levels] ?? 30;
  const write = (level: keyof typeof levels) =>
    ((a: unknown, b?: string) => {
      if (levels[level] < threshold) return;
      const span = trace.getActiveSpan()?.spanContext();
      const fields = typeof a === 'string' ? { msg: a } : { ...(a as object), msg: b };
      const line = {
        level: levels[level],
        time: Date.now(),
        ...bindings,
        ...(span
          ? { trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags}` }
          : {}),
        ...fields,
      };
      process.stdout.write(`${JSON.stringify(line, errorReplacer)}\n`);
    }) as LogFn;
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('fatal'),
    child: (more) => fallbackLogger({ ...bindings, ...more }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error
    ? { type: value.name, message: value.message, stack: value.stack }
    : value;
}

const noopMetrics: SdkMetrics = {
  counter: () => ({ inc: () => undefined }),
  gauge: () => ({ set: () => undefined }),
  histogram: () => ({ observe: () => undefined }),
};

// Logging must never take a request down: if the SDK logger throws on a line, the line is written
// again as plain text through the same logger.
function guarded(inner: Logger): Logger {
  const wrap =
    (fn: LogFn): LogFn =>
    (a: unknown, b?: string) => {
      try {
        if (typeof a === 'string') fn(a);
        else fn(a as object, b);
      } catch {
        fn(`${b ?? ''} ${JSON.stringify(a, errorReplacer)}`);
      }
    };
  return {
    debug: wrap(inner.debug.bind(inner)),
    info: wrap(inner.info.bind(inner)),
    warn: wrap(inner.warn.bind(inner)),
    error: wrap(inner.error.bind(inner)),
    fatal: wrap(inner.fatal.bind(inner)),
    child: (bindings) => guarded(inner.child(bindings)),
  };
}

export const log: Logger = sdk?.logger
  ? guarded(sdk.logger)
  : fallbackLogger({ service: process.env.OTEL_SERVICE_NAME });
export const metrics: SdkMetrics = sdk?.metrics ?? noopMetrics;
export const sdkLoaded = Boolean(sdk?.logger && sdk.metrics);

if (!sdkLoaded)
  log.warn('@o11y/sdk logger/metrics not available: logging to stdout only, metrics disabled');

/** Flushes telemetry before the process exits on its own terms (graceful shutdown). */
export async function flushTelemetry(deadlineMs = 2000): Promise<void> {
  // bounded: a dead collector must not hold the exit
  await Promise.race([
    sdk?.shutdown?.().catch(() => undefined),
    new Promise((r) => setTimeout(r, deadlineMs).unref()),
  ]);
}

export const tracer = trace.getTracer('demo-services');

/** Adds an event to the active span, if any: resilience decisions show up on the trace. */
export function spanEvent(
  name: string,
  attributes: Record<string, string | number | boolean> = {},
): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}

/** W3C trace context of the active span, to store with an event that leaves later (outbox). */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
