import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type MultiStreamRes } from 'pino';
import { redactSecrets } from './redaction';

const FLAGS = ['00', '01'];

/**
 * Adds the active span's ids to every line. A mixin, not monkey-patching, so it works the same
 * under ESM, CommonJS and bundlers.
 */
// A fresh object each time: pino merges the call's fields into what the mixin returns.
function traceMixin(): object {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: FLAGS[sc.traceFlags] ?? sc.traceFlags.toString(16).padStart(2, '0'),
  };
}

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

/** The level before any configuration is resolved: LOG_LEVEL, then OTEL_LOG_LEVEL, then info. */
function initialLevel(): string {
  const l = process.env.LOG_LEVEL?.trim().toLowerCase();
  if (l && PINO_LEVELS.includes(l)) return l;
  const o = process.env.OTEL_LOG_LEVEL?.trim().toUpperCase();
  if (o && DIAG_TO_PINO[o]) return DIAG_TO_PINO[o];
  return 'info';
}

interface Shared {
  logger: Logger;
  destinations: MultiStreamRes;
  /** Absent in the shared state of an older copy of the SDK. */
  stdout?: ReturnType<typeof pino.destination>;
}

function create(): Shared {
  // Asynchronous, as pino's own default: the write leaves the event loop (a stdout pipe that a
  // slow log collector fills would otherwise stall every request), and pino flushes what is
  // pending when the process exits.
  const stdout = pino.destination({ dest: 1, sync: false });
  const destinations: MultiStreamRes = pino.multistream([
    { level: 'trace' as const, stream: stdout },
  ]);
  const logger = pino(
    { level: initialLevel(), mixin: traceMixin, formatters: { log: redactSecrets } },
    destinations,
  );
  // A child's bindings are serialised once, when it is made, and skip `formatters.log`; every
  // descendant inherits this child() from the root, so they are redacted too.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each child as this
  const pinoChild = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return pinoChild.call(this, redactSecrets(bindings), options);
  } as typeof logger.child;
  return { logger, destinations, stdout };
}

// One logger per process even with two copies of the SDK loaded: the started copy attaches the
// OTLP destination, and every copy's `logger` must ship through it.
const LOGGER = Symbol.for('@o11y/sdk.logger');
const shared = ((globalThis as { [LOGGER]?: Shared })[LOGGER] ??= create());

/** Where lines go: stdout always, plus the OTLP transport once the SDK starts. */
export const destinations: MultiStreamRes = shared.destinations;

/**
 * The SDK's pino logger: JSON lines on stdout with `trace_id`, `span_id` and `trace_flags`
 * whenever a span is active, secrets redacted, shipped over OTLP once the SDK has started.
 * `logger.child({...})` keeps the correlation.
 */
export const logger: Logger = shared.logger;

/**
 * Resolves once the stdout lines still pending are written, or after `ms`. pino writes them on
 * 'exit'; a process ended by a re-raised signal never gets there. Never blocks: a stdout nobody
 * reads costs the wait, not the process.
 */
export function stdoutDrained(ms: number): Promise<void> {
  const stdout = shared.stdout;
  // sonic-boom keeps the length of what it has not written yet in `_len` (no public accessor);
  // nothing pending, no 'drain' to wait for. Without the field, wait as if something were.
  if (ms <= 0 || stdout === undefined || (stdout as unknown as { _len?: number })._len === 0)
    return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stdout.off('drain', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stdout.once('drain', done);
  });
}
