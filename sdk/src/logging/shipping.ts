import { join } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../config/options';
import { warnOnce } from '../config/warn';
import { selfMetrics } from '../metrics/registry';
import { reportExportFailure } from '../tracing/exporter';
import { destinations, logger } from './logger';
import type { WorkerOptions } from './otlp-worker';

type Transport = ReturnType<typeof pino.transport> & { flush: (cb: (err?: Error) => void) => void };
let transport: Transport | undefined;
let transportReady: Promise<void> = Promise.resolve();
let installed = false;

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
  destinations.add({
    level: 'trace',
    stream: {
      write(line: string) {
        if (transport === undefined && !failed) {
          transport = createTransport(config, options);
          failed = transport === undefined;
          if (transport !== undefined) process.once('exit', handOver);
        }
        if (transport !== undefined) batch(line);
      },
    },
  });
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

function createTransport(config: Config, options: WorkerOptions): Transport | undefined {
  try {
    const t = pino.transport({
      target: join(__dirname, 'otlp-worker.js'),
      options,
      worker: {
        execArgv: [],
        env: { ...process.env, NODE_OPTIONS: workerNodeOptions(process.env.NODE_OPTIONS) },
        // pino's exit hook ends the stream synchronously, which blocks until the worker has
        // exported: seconds with a dead collector. The SDK flushes asynchronously instead.
        autoEnd: false,
        // Records die young here (a line is parsed, mapped, batched, serialised), so a small
        // young generation costs a few more cheap scavenges and keeps tens of MB of RSS off the
        // app under load; the old generation is left at Node's default so nothing can run out.
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      },
    }) as Transport;
    // pino only sends its config to a transport passed to pino() directly; this one sits in a
    // multistream, and the worker waits for the config before it processes a single line.
    t.emit('message', {
      code: 'PINO_CONFIG',
      config: { levels: logger.levels, messageKey: 'msg', errorKey: 'err' },
    });
    t.on('error', (err: Error) =>
      warnOnce('logs-transport', `log shipping stopped (${err.message}); lines still go to stdout`),
    );
    t.on('o11y:export-failure', (message: string) =>
      reportExportFailure('logs', config.logsEndpoint, message),
    );
    t.on('o11y:dropped', (count: number) => selfMetrics.logRecordsDropped.inc(count));
    transportReady = new Promise<void>((r) => {
      t.once('ready', () => r());
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
 * Never blocks the event loop (thread-stream's end() would, until the worker finishes).
 */
export function flushLogShipping(deadlineMs: number): Promise<void> {
  const t = transport;
  if (t === undefined) return Promise.resolve();
  handOver();
  return new Promise<void>((resolveFlush) => {
    const timer = setTimeout(resolveFlush, deadlineMs);
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
