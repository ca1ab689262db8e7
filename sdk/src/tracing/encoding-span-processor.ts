import { context } from '@opentelemetry/api';
import { suppressTracing, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/options';
import { selfMetrics } from '../metrics/registry';
import { encodeRequest, encodeResource, encodeScope } from '../otlp/common-encoding';
import { EncodedBatchQueue, type EncodedBatch } from '../otlp/encoded-batch-queue';
import { writeSpan } from './otlp-span-encoding';

/** Sends one encoded ExportTraceServiceRequest. */
export interface EncodedExporter {
  export(request: Buffer, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The batch span processor's contract (OTEL_BSP_*), but each span is encoded to OTLP protobuf
 * as it ends instead of being kept until its batch is serialised. Kept spans outlive the young
 * generation and are copied by the garbage collector; serialising 512 of them at once held the
 * event loop for milliseconds. Used for OTLP http/protobuf; other exporters keep the stock
 * processor.
 */
export class EncodingSpanProcessor implements SpanProcessor {
  private readonly queue: EncodedBatchQueue<Resource, InstrumentationScope>;
  private readonly resources = new WeakMap<Resource, Buffer>();
  private readonly scopes = new WeakMap<InstrumentationScope, Buffer>();
  private stopped = false;

  constructor(
    private readonly exporter: EncodedExporter,
    limits: Config['bsp'],
  ) {
    this.queue = new EncodedBatchQueue(
      limits,
      (batch) => this.toRequest(batch),
      (request, done) =>
        // The export's own HTTP request is not the app's traffic: never traced, never timed.
        context.with(suppressTracing(context.active()), () => exporter.export(request, done)),
      () => selfMetrics.spansDropped.inc(),
    );
  }

  onStart(_span: Span): void {
    // Nothing to do until the span ends.
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & 1) === 0) return;
    // ScopeSpans.spans is field 2.
    this.queue.add(span.resource, span.instrumentationScope, 0x12, (w) => writeSpan(w, span));
  }

  private toRequest(batch: EncodedBatch<Resource, InstrumentationScope>): Buffer {
    let resource = this.resources.get(batch.key);
    if (resource === undefined) {
      resource = encodeResource(batch.key.attributes);
      this.resources.set(batch.key, resource);
    }
    const scopes = [];
    for (const [scope, w] of batch.groups) {
      let encoded = this.scopes.get(scope);
      if (encoded === undefined) {
        encoded = encodeScope(scope);
        this.scopes.set(scope, encoded);
      }
      scopes.push({
        scope: encoded,
        schemaUrl: scope.schemaUrl,
        records: w.buf.subarray(0, w.pos),
      });
    }
    return encodeRequest(resource, batch.key.schemaUrl, scopes);
  }

  async forceFlush(): Promise<void> {
    await this.queue.flush();
    await this.exporter.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }
}
