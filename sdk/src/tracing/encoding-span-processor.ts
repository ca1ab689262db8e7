import { context } from '@opentelemetry/api';
import { suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/options';
import { selfMetrics } from '../metrics/registry';
import { encodeRequest, encodeResource, encodeScope, writeSpan } from './otlp-span-encoding';
import { ProtobufWriter } from './protobuf-writer';

/** Sends one encoded ExportTraceServiceRequest. */
export interface EncodedExporter {
  export(request: Buffer, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

interface Batch {
  resource: Resource;
  count: number;
  scopes: Map<InstrumentationScope, ProtobufWriter>;
}

/**
 * The batch span processor's contract (OTEL_BSP_*: a bounded queue whose overflow is dropped
 * and counted, batches of at most maxExportBatchSize, one export at a time, a schedule delay,
 * an export timeout), but each span is encoded to OTLP protobuf as it ends instead of being
 * kept until its batch is serialised. Kept spans outlive the young generation and are copied
 * by the garbage collector; serialising 512 of them at once held the event loop for
 * milliseconds. Used for OTLP http/protobuf; other exporters keep the stock processor.
 */
export class EncodingSpanProcessor implements SpanProcessor {
  private current: Batch | undefined;
  private readonly sealed: Batch[] = [];
  /** Spans encoded and not yet handed to the exporter. */
  private queued = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly resources = new WeakMap<Resource, Buffer>();
  private readonly scopes = new WeakMap<InstrumentationScope, Buffer>();

  constructor(
    private readonly exporter: EncodedExporter,
    private readonly limits: Config['bsp'],
  ) {}

  onStart(_span: Span): void {
    // Nothing to do until the span ends.
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & 1) === 0) return;
    if (this.queued >= this.limits.maxQueueSize) {
      selfMetrics.spansDropped.inc();
      return;
    }
    let batch = this.current;
    if (batch !== undefined && batch.resource !== span.resource) {
      this.seal();
      batch = undefined;
    }
    batch ??= this.current = { resource: span.resource, count: 0, scopes: new Map() };
    let w = batch.scopes.get(span.instrumentationScope);
    if (w === undefined) {
      w = new ProtobufWriter(8 * 1024);
      batch.scopes.set(span.instrumentationScope, w);
    }
    const start = w.pos;
    try {
      w.byte(0x12); // ScopeSpans.spans
      const at = w.begin();
      writeSpan(w, span);
      w.end(at);
    } catch {
      // A span the encoder cannot write is dropped alone, not with its batch.
      w.pos = start;
      selfMetrics.spansDropped.inc();
      return;
    }
    batch.count++;
    this.queued++;
    if (batch.count >= this.limits.maxExportBatchSize) {
      this.seal();
      this.exportNext();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.seal();
        this.exportNext();
      }, this.limits.scheduledDelayMillis).unref();
    }
  }

  private seal(): void {
    if (this.current !== undefined && this.current.count > 0) this.sealed.push(this.current);
    this.current = undefined;
  }

  private encode(batch: Batch): Buffer {
    let resource = this.resources.get(batch.resource);
    if (resource === undefined) {
      resource = encodeResource(batch.resource);
      this.resources.set(batch.resource, resource);
    }
    const scopes = [];
    for (const [scope, w] of batch.scopes) {
      let encoded = this.scopes.get(scope);
      if (encoded === undefined) {
        encoded = encodeScope(scope);
        this.scopes.set(scope, encoded);
      }
      scopes.push({ scope: encoded, schemaUrl: scope.schemaUrl, spans: w.buf.subarray(0, w.pos) });
    }
    return encodeRequest(resource, batch.resource.schemaUrl, scopes);
  }

  /** Hands the oldest sealed batch to the exporter, unless an export is in flight. */
  private exportNext(): void {
    if (this.exporting) return;
    const batch = this.sealed.shift();
    if (batch === undefined) {
      this.wakeIdleWaiters();
      return;
    }
    this.queued -= batch.count;
    this.exporting = true;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      this.exporting = false;
      if (this.sealed.length > 0) this.exportNext();
      else this.wakeIdleWaiters();
    };
    const deadline = setTimeout(finish, this.limits.exportTimeoutMillis).unref();
    try {
      const request = this.encode(batch);
      // The export's own HTTP request is not the app's traffic: never traced, never timed.
      context.with(suppressTracing(context.active()), () => {
        // Failures are reported by the exporter (rate-limited warning, failure counter).
        this.exporter.export(request, finish);
      });
    } catch {
      finish();
    }
  }

  private wakeIdleWaiters(): void {
    if (this.exporting || this.sealed.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Exports everything queued, one batch after another; resolves when all are sent. */
  async forceFlush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.seal();
    if (this.exporting || this.sealed.length > 0) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.exportNext();
      });
    }
    await this.exporter.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }
}
