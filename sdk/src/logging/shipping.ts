import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Config } from '../config/options';
import { warnOnce } from '../config/warn';
import { selfMetrics } from '../metrics/registry';
import { reportExportFailure } from '../otlp/export-failures';
import { destinations, logger } from './logger';
import type { WorkerOptions } from './otlp-worker';

/** The parts of thread-stream's ThreadStream (pino's transport stream) used here. */
interface Transport extends EventEmitter {
  write(data: string): boolean;
  flush(cb: (err?: Error) => void): void;
  unref(): void;
  worker: { unref(): void; terminate(): Promise<number> };
}
let transport: Transport | undefined;
let transportReady: Promise<void> = Promise.resolve();
let installed = false;
/** Set by shutdown: lines go to stdout only from then on. */
let stopped = false;

/** NODE_OPTIONS for the worker without our own preload, so the worker does not start an SDK itself. */
function workerNodeOptions(value: string | undefined): string {
  if (!value) return '';
  return value
    .replace(/(^|\s)(--import|--require|-r)(=|\s+)\S*o11y\/sdk\/register\S*/g, ' ')
    .trim();
}

/**
 * Ships the logger's lines over OTLP from a worker thread, with the same resource attributes as
 * the traces. Only this path ships logs: instrumentation-pino's own sending stays off. The worker
 * starts with the first line logged, so a process that never logs never pays for it.
 */
export function startLogShipping(
  config: Config,
  attributes: Record<string, string | number | boolean>,
): void {
  if (installed || config.logsExporter === 'none') return;
  installed = true;
  const options: WorkerOptions = {
    loggerName: config.serviceName,
    serviceVersion: config.serviceVersion,
    resourceAttributes: attributes,
    url: config.logsEndpoint,
    protocol: config.logsProtocol,
    batch: config.blrp,
  };
  let failed = false;
  ship = (line: string) => {
    if (stopped) return;
    if (transport === undefined && !failed) {
      transport = createTransport(config, options);
      failed = transport === undefined;
    }
    if (transport !== undefined) batch(line);
  };
  destinations.add({ level: 'trace', stream: { write: ship } });
}

/** Hands one line to the worker; unset until shipping starts, and never set with logs off. */
let ship: ((line: string) => void) | undefined;

/**
 * Whether lines handed to shipAppLine() are shipped: the app loggers' hooks skip all their work
 * (and their lines stay stdout-only) while this is false.
 */
export function appLinesShipped(): boolean {
  return ship !== undefined && !stopped;
}

/**
 * Ships a line from one of the app's own loggers through the same batches and worker as the
 * SDK's logger (a JSON line tagged by app-records.ts).
 */
export function shipAppLine(line: string): void {
  ship?.(line);
}

// Lines are handed to the worker in batches: every hand-over costs a Buffer, an Atomics round
// and a wake-up of the worker, so one per line was a tenth of a request's CPU. The batch is
// bounded in size and age; the OTLP batch processor waits a second anyway.
const BATCH_MAX_CHARS = 64 * 1024;
const BATCH_MAX_AGE_MS = 20;
let pending = '';
let timer: NodeJS.Timeout | undefined;

function batch(line: string): void {
  pending += line;
  if (pending.length >= BATCH_MAX_CHARS) handOver();
  else timer ??= setTimeout(handOver, BATCH_MAX_AGE_MS).unref();
}

/** Gives the worker every line batched so far. */
function handOver(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (pending === '' || transport === undefined) return;
  const lines = pending;
  pending = '';
  transport.write(lines);
}

const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * The worker's stream, built as pino.transport() builds it but without the 'exit' hook that
 * pino.transport() registers until the worker is up: that hook ends the stream synchronously,
 * blocking the exit until the worker has exported (up to 10 s with a collector that never
 * answers). The SDK flushes asynchronously, within the shutdown deadline, instead.
 */
function createTransport(config: Config, options: WorkerOptions): Transport | undefined {
  try {
    // thread-stream as pino resolves it: the version pino's transports are built with.
    const ThreadStream = createRequire(require.resolve('pino'))('thread-stream') as new (
      options: object,
    ) => Transport;
    const t = new ThreadStream({
      filename: join(__dirname, 'otlp-worker.js'),
      // What pino.transport() adds: the worker then waits for the config sent below.
      workerData: { ...options, pinoWillSendConfig: true },
      sync: false,
      workerOpts: {
        name: 'o11y-log-shipping',
        execArgv: [],
        env: { ...process.env, NODE_OPTIONS: workerNodeOptions(process.env.NODE_OPTIONS) },
        // Records die young here (a line is parsed, mapped, batched, serialised), so a small
        // young generation costs a few more cheap scavenges and keeps tens of MB of RSS off the
        // app under load; the old generation is left at Node's default so nothing can run out.
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      },
    });
    // pino only sends its config to a transport passed to pino() directly; this one sits in a
    // multistream, and the worker waits for the config before it processes a single line.
    t.emit('message', {
      code: 'PINO_CONFIG',
      config: { levels: logger.levels, messageKey: 'msg', errorKey: 'err' },
    });
    t.on('error', (err: Error) => {
      if (!stopped)
        warnOnce(
          'logs-transport',
          `log shipping stopped (${err.message}); lines still go to stdout`,
        );
    });
    t.on('o11y:export-failure', (message: string) =>
      reportExportFailure('logs', config.logsEndpoint, message),
    );
    t.on('o11y:dropped', (count: number) => selfMetrics.logRecordsDropped.inc(count));
    transportReady = new Promise<void>((r) => {
      t.once('ready', () => {
        // As pino does: once up, the worker never keeps a finished process alive.
        t.unref();
        r();
      });
      t.once('error', () => r());
    });
    return t;
  } catch (err) {
    warnOnce(
      'logs-transport',
      `log shipping could not start (${(err as Error).message}); lines still go to stdout`,
    );
    return undefined;
  }
}

/** Resolves once the shipping worker is up (or failed to start). */
export function logShippingReady(): Promise<void> {
  return transportReady;
}

/**
 * Asks the worker to export everything it holds; resolves when it has, or at the deadline.
 * Never blocks the event loop (thread-stream's end() would, until the worker finishes). A flush
 * still pending at the deadline no longer keeps the process alive.
 */
export function flushLogShipping(deadlineMs: number): Promise<void> {
  const t = transport;
  if (t === undefined) return Promise.resolve();
  handOver();
  return new Promise<void>((resolveFlush) => {
    const timer = setTimeout(() => {
      // thread-stream references the worker while a flush is pending.
      t.worker.unref();
      resolveFlush();
    }, deadlineMs);
    try {
      t.flush(() => {
        clearTimeout(timer);
        resolveFlush();
      });
    } catch {
      clearTimeout(timer);
      resolveFlush();
    }
  });
}

/**
 * Stops shipping (shutdown): later lines go to stdout only, and the worker is terminated with
 * whatever it could not export by the deadline, so that nothing of it outlives the shutdown.
 */
export function stopLogShipping(): void {
  stopped = true;
  const t = transport;
  transport = undefined;
  pending = '';
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (t === undefined) return;
  t.worker.terminate().catch(() => undefined);
}
