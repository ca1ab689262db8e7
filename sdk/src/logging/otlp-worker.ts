/* eslint-disable @typescript-eslint/no-require-imports -- the exporter for the configured protocol is loaded on demand */
/**
 * The log-shipping worker (a pino transport target, run by thread-stream off the main thread).
 * It maps the SDK logger's pino lines to OTLP log records as pino-opentelemetry-transport maps
 * them, and the lines of the app's own loggers as their tags say (read-app-records.ts); restores
 * the trace context from `trace_id`/`span_id`/`trace_flags`, and exports through the OTel logs
 * SDK. Unlike the stock transport it supports an asynchronous flush (so the main thread can wait
 * for an export without blocking its event loop) and reports failures and drops to the main
 * thread, where they become self-metrics.
 */
import { context, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type { LogRecord } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type {
  BatchLogRecordProcessor,
  LogRecordExporter,
  ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import build from 'pino-abstract-transport';
import { parentPort } from 'node:worker_threads';
import type { Transform } from 'node:stream';
import { encodeRequest, encodeResource, encodeScope } from '../otlp/common-encoding';
import { EncodedBatchQueue } from '../otlp/encoded-batch-queue';
import { createOtlpHttpExporter } from '../otlp/http-exporter';
import {
  lineAttributes,
  writeLogRecord,
  writeShapedRecord,
  type PinoLine,
  type RecordShape,
} from './otlp-log-encoding';
import { parseLine } from './parse-line';
import { readAppRecord, TAG } from './read-app-records';
import { BY_TENS } from './severity';

/** Options the main thread passes to the worker. */
export interface WorkerOptions {
  loggerName: string;
  serviceVersion: string | undefined;
  resourceAttributes: Record<string, string | number | boolean>;
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  batch: {
    scheduledDelayMillis: number;
    exportTimeoutMillis: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
  };
}

/**
 * pino-opentelemetry-transport's mapping (same severities, same attributes) in one pass, without
 * the rest-spread, copy and deletes it took per line before (deleted keys also turn an object
 * into a slow dictionary).
 */
export function toRecord(
  line: PinoLine,
  messageKey: string,
  labels: Record<number, string>,
): LogRecord {
  const level = typeof line.level === 'number' ? line.level : 0;
  return {
    timestamp: typeof line.time === 'number' ? line.time : undefined,
    body: line[messageKey] as LogRecord['body'],
    severityNumber: BY_TENS[level] ?? 0,
    severityText: labels[level],
    attributes: lineAttributes(line, messageKey),
    context: contextOf(line),
  };
}

/** Tells the main thread something happened (thread-stream re-emits EVENT messages on the stream). */
function tell(name: string, ...args: unknown[]): void {
  parentPort?.postMessage({ code: 'EVENT', name, args });
}

class ReportingExporter implements LogRecordExporter {
  constructor(private readonly inner: LogRecordExporter) {}
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(records, (result) => {
      if (result.code !== ExportResultCode.SUCCESS)
        tell('o11y:export-failure', result.error?.message ?? 'export failed', records.length);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function exporter(options: WorkerOptions): LogRecordExporter {
  try {
    return createOtlpHttpExporter<LogRecordExporter>('logs', options.url, options.protocol);
  } catch {
    // An exporter release laid out differently: its own class does the same, only heavier.
  }
  if (options.protocol === 'http/json') {
    const { OTLPLogExporter } =
      require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http');
    return new OTLPLogExporter({ url: options.url });
  }
  const { OTLPLogExporter } =
    require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto');
  return new OTLPLogExporter({ url: options.url });
}

/** Counts dropped records; the main thread hears of them at most once a second. */
let droppedSinceReport = 0;
function dropped(): void {
  if (droppedSinceReport++ === 0) {
    setTimeout(() => {
      tell('o11y:dropped', droppedSinceReport);
      droppedSinceReport = 0;
    }, 1000).unref();
  }
}

/** Counts records the batch processor drops on a full queue. */
function countDrops(processor: BatchLogRecordProcessor): void {
  const internals = processor as unknown as {
    _addToBuffer?: (r: unknown) => void;
    _finishedLogRecords?: { length: number };
    _maxQueueSize?: number;
  };
  const original = internals._addToBuffer;
  if (typeof original !== 'function') return;
  internals._addToBuffer = function (this: typeof internals, record: unknown) {
    if (
      this._finishedLogRecords !== undefined &&
      this._maxQueueSize !== undefined &&
      this._finishedLogRecords.length >= this._maxQueueSize
    )
      dropped();
    original.call(this, record);
  };
}

function observedNow(): [number, number] {
  const now = Date.now();
  return [Math.floor(now / 1000), (now % 1000) * 1e6];
}

function contextOf(line: PinoLine): Context {
  const { trace_id: traceId, span_id: spanId, trace_flags: flags } = line;
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return context.active();
  const traceFlags =
    typeof flags === 'string'
      ? parseInt(flags, 16)
      : typeof flags === 'number'
        ? flags
        : TraceFlags.NONE;
  return trace.setSpanContext(context.active(), { traceId, spanId, traceFlags, isRemote: true });
}

/** What OTLPExporterBase offers when built with a pass-through serializer. */
interface RequestExporter {
  export(request: Buffer, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

type Source = Transform & { messageKey: string; levels: unknown };
interface Shipping {
  ship(line: PinoLine, messageKey: string, labels: Record<number, string>): void;
  /** A line of one of the app's own loggers. */
  shipShaped(line: PinoLine, shape: RecordShape): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * OTLP http/protobuf (the default): each line is encoded to an OTLP LogRecord as it arrives and
 * batched as protobuf bytes (OTEL_BLRP_* limits), with no LogRecord objects and no
 * otlp-transformer: a fraction of the CPU per line of the logs SDK path below.
 */
function encodedShipping(options: WorkerOptions): Shipping {
  const exporter = createOtlpHttpExporter<RequestExporter>(
    'logs',
    options.url,
    options.protocol,
    true,
  );
  const resource = encodeResource(options.resourceAttributes);
  // Group 0 is the SDK's logger; the app's loggers each get their library's scope.
  const scopes = [encodeScope({ name: options.loggerName, version: options.serviceVersion })];
  const groups = new Map<string, number>();
  const groupOf = (name: string): number => {
    let g = groups.get(name);
    if (g === undefined) {
      g = scopes.push(encodeScope({ name })) - 1;
      groups.set(name, g);
    }
    return g;
  };
  const queue = new EncodedBatchQueue<0, number>(
    options.batch,
    (batch) =>
      encodeRequest(
        resource,
        undefined,
        [...batch.groups].map(([g, w]) => ({
          scope: scopes[g]!,
          schemaUrl: undefined,
          records: w.buf.subarray(0, w.pos),
        })),
      ),
    (request, done) =>
      exporter.export(request, (result) => {
        if (result.code !== ExportResultCode.SUCCESS)
          tell('o11y:export-failure', result.error?.message ?? 'export failed');
        done();
      }),
    dropped,
  );
  return {
    ship(line, messageKey, labels) {
      const observed = observedNow();
      // ScopeLogs.log_records is field 2.
      queue.add(0, 0, 0x12, (w) =>
        writeLogRecord(w, line, messageKey, { labels, severity: BY_TENS }, observed),
      );
    },
    shipShaped(line, shape) {
      const observed = observedNow();
      queue.add(0, groupOf(shape.scope), 0x12, (w) => writeShapedRecord(w, line, shape, observed));
    },
    flush: () => queue.flush().then(() => exporter.forceFlush()),
    close: () =>
      queue
        .flush()
        .then(() => exporter.forceFlush())
        .then(() => exporter.shutdown()),
  };
}

/**
 * http/json: the OTel logs SDK with the OTLP exporter's own serializer. Loaded only here: the
 * default path does without it, and a worker's every module stays in its heap.
 */
function sdkShipping(options: WorkerOptions): Shipping {
  const { BatchLogRecordProcessor, LoggerProvider } =
    require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const { resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const processor = new BatchLogRecordProcessor({
    exporter: new ReportingExporter(exporter(options)),
    ...options.batch,
  });
  countDrops(processor);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(options.resourceAttributes),
    processors: [processor],
  });
  const otelLogger = provider.getLogger(options.loggerName, options.serviceVersion);
  return {
    ship: (line, messageKey, labels) => otelLogger.emit(toRecord(line, messageKey, labels)),
    shipShaped: (line, shape) =>
      provider.getLogger(shape.scope).emit({
        timestamp: shape.time,
        body: line[shape.messageKey] as LogRecord['body'],
        severityNumber: shape.severity,
        severityText: shape.severityText,
        attributes: lineAttributes(line, shape.messageKey, shape.notAttributes),
        context: contextOf(line),
      }),
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}

function shipping(options: WorkerOptions): Shipping {
  if (options.protocol === 'http/protobuf') {
    try {
      return encodedShipping(options);
    } catch {
      // An exporter release laid out differently: the logs SDK path works with its own class.
    }
  }
  return sdkShipping(options);
}

/** The transport factory thread-stream calls in the worker. */
export default async function otlpWorker(options: WorkerOptions): Promise<Transform> {
  const out = shipping(options);
  const stream = (await build(
    // A 'data' listener rather than `for await`: an async iterator costs a promise and a
    // microtask round per line. Runs once pino's config (levels, message key) has arrived.
    ((source: Source) => {
      const labels = (source.levels as { labels: Record<number, string> }).labels;
      const messageKey = source.messageKey;
      source.on('data', (line: PinoLine) => {
        try {
          const tag = line[TAG];
          const shape = tag === undefined ? undefined : readAppRecord(line, tag);
          if (shape === undefined) out.ship(line, messageKey, labels);
          else if (shape !== null) out.shipShaped(line, shape);
        } catch {
          dropped(); // a line that cannot be shipped costs that line, not the worker
        }
      });
    }) as never,
    // No `metadata`: nothing reads the last line's level and time back from this stream.
    // Big integers are kept exactly for the protobuf encoder; the logs SDK path (http/json)
    // takes plain numbers.
    {
      expectPinoConfig: true,
      metadata: false,
      close: () => out.close(),
      ...(options.protocol === 'http/protobuf' ? { parseLine } : {}),
    } as never,
  )) as Transform & { flush?: (cb: (err?: Error) => void) => void };
  // thread-stream calls this for stream.flush(cb) on the main thread: records leave the process.
  stream.flush = (cb) => {
    out.flush().then(
      () => cb(),
      (err: Error) => cb(err),
    );
  };
  return stream;
}
