/* eslint-disable @typescript-eslint/no-require-imports -- the exporter for the configured protocol is loaded on demand */
/**
 * The log-shipping worker (a pino transport target, run by thread-stream off the main thread).
 * It maps pino lines to OTLP log records with pino-opentelemetry-transport's mapper, restores
 * the trace context from `trace_id`/`span_id`/`trace_flags`, and exports through the OTel logs
 * SDK. Unlike the stock transport it supports an asynchronous flush (so the main thread can wait
 * for an export without blocking its event loop) and reports failures and drops to the main
 * thread, where they become self-metrics.
 */
import { context, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type { LogRecord } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import build from 'pino-abstract-transport';
import { parentPort } from 'node:worker_threads';
import type { Transform } from 'node:stream';
import { createOtlpHttpExporter } from '../otlp/http-exporter';

/** Options the main thread passes to the worker. */
export interface WorkerOptions {
  loggerName: string;
  serviceVersion: string;
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

interface PinoLine {
  time?: number;
  level?: number;
  msg?: unknown;
  hostname?: unknown;
  pid?: unknown;
  trace_id?: unknown;
  span_id?: unknown;
  trace_flags?: unknown;
  [key: string]: unknown;
}

const { DEFAULT_SEVERITY_NUMBER_MAP: SEVERITY } =
  require('pino-opentelemetry-transport/lib/opentelemetry-mapper') as {
    DEFAULT_SEVERITY_NUMBER_MAP: Record<number, number>;
  };

/** Fields of a pino line that are not attributes: they become the record's own fields or context. */
const NOT_ATTRIBUTES = new Set([
  'time',
  'level',
  'hostname',
  'pid',
  'trace_id',
  'span_id',
  'trace_flags',
]);

/**
 * pino-opentelemetry-transport's mapping (same severities, same attributes) in one pass, without
 * the rest-spread, copy and deletes it took per line before (deleted keys also turn an object
 * into a slow dictionary).
 */
function toRecord(line: PinoLine, messageKey: string, labels: Record<number, string>): LogRecord {
  const attributes: Record<string, unknown> = {};
  for (const key in line)
    if (key !== messageKey && !NOT_ATTRIBUTES.has(key)) attributes[key] = line[key];
  const level = line.level ?? 0;
  return {
    timestamp: line.time,
    body: line[messageKey] as LogRecord['body'],
    severityNumber: SEVERITY[level] ?? 0,
    severityText: labels[level],
    attributes: attributes as LogRecord['attributes'],
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

/** Counts records the batch processor drops on a full queue, reported at most once a second. */
function countDrops(processor: BatchLogRecordProcessor): void {
  const internals = processor as unknown as {
    _addToBuffer?: (r: unknown) => void;
    _finishedLogRecords?: { length: number };
    _maxQueueSize?: number;
  };
  const original = internals._addToBuffer;
  if (typeof original !== 'function') return;
  let pending = 0;
  internals._addToBuffer = function (this: typeof internals, record: unknown) {
    if (
      this._finishedLogRecords !== undefined &&
      this._maxQueueSize !== undefined &&
      this._finishedLogRecords.length >= this._maxQueueSize
    ) {
      if (pending++ === 0) {
        setTimeout(() => {
          tell('o11y:dropped', pending);
          pending = 0;
        }, 1000).unref();
      }
    }
    original.call(this, record);
  };
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

/** The transport factory thread-stream calls in the worker. */
export default async function otlpWorker(options: WorkerOptions): Promise<Transform> {
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

  const stream = (await build(
    (async (source: AsyncIterable<PinoLine> & { messageKey: string; levels: unknown }) => {
      const labels = (source.levels as { labels: Record<number, string> }).labels;
      for await (const line of source) otelLogger.emit(toRecord(line, source.messageKey, labels));
    }) as never,
    { expectPinoConfig: true, close: () => provider.shutdown() } as never,
  )) as Transform & { flush?: (cb: (err?: Error) => void) => void };
  // thread-stream calls this for stream.flush(cb) on the main thread: records leave the process.
  stream.flush = (cb) => {
    provider.forceFlush().then(
      () => cb(),
      (err: Error) => cb(err),
    );
  };
  return stream;
}
