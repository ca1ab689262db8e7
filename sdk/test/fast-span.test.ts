import {
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
} from '@opentelemetry/api';
import { suppressTracing, TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { startSdkSpan, startsFast } from '../src/tracing/fast-span';

// The SDK's HTTP spans start through startSdkSpan; everything a span does afterwards is the
// OpenTelemetry SDK's own code, so what must hold is that the span it builds is the one
// tracer.startSpan builds, and that it honours the sampler, suppression and limits the same way.

function setup(sampler: Sampler = new AlwaysOnSampler(), spanLimits?: SpanLimits) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fast-span-test' }),
    sampler,
    spanLimits,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, tracer: provider.getTracer('scope', '1.0.0') };
}

const attrs = (): Attributes => ({
  'http.request.method': 'GET',
  'url.path': '/orders',
  'server.port': 8080,
});

function finish(span: ReturnType<typeof startSdkSpan>): void {
  span.setAttribute('http.response.status_code', 200);
  span.addEvent('retry', { attempt: 2 });
  span.updateName('GET /orders');
  span.end();
}

/** A span's exported shape, without what differs by construction (ids, times). */
function shape(s: ReadableSpan) {
  return {
    name: s.name,
    kind: s.kind,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    links: s.links,
    status: s.status,
    traceFlags: s.spanContext().traceFlags,
    parent: s.parentSpanContext?.spanId,
    scope: s.instrumentationScope,
    resource: s.resource.attributes,
    dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
    ended: s.ended,
  };
}

describe('startSdkSpan', () => {
  it('builds the same span object as tracer.startSpan: class, fields in order, exported shape', () => {
    const { exporter, tracer } = setup();
    // Fails when an OpenTelemetry upgrade changes the span class: update FIELDS in fast-span.ts.
    expect(startsFast(tracer)).toBe(true);
    const parent = tracer.startSpan('parent');
    const ctx = trace.setSpan(ROOT_CONTEXT, parent);
    const fast = startSdkSpan(tracer, 'GET', SpanKind.SERVER, attrs(), ctx);
    const slow = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: attrs() }, ctx);
    expect(Object.getPrototypeOf(fast)).toBe(Object.getPrototypeOf(slow));
    expect(Object.keys(fast)).toEqual(Object.keys(slow));
    // Every field but the ids and clocks holds the same value (and the span-metrics callback,
    // which upstream creates even when it would only call the no-op meter).
    const fields = (span: object) => {
      const copy: Record<string, unknown> = { ...span };
      for (const k of [
        '_spanContext',
        'startTime',
        '_performanceStartTime',
        '_performanceOffset',
        '_recordEndMetrics',
      ])
        delete copy[k];
      return copy;
    };
    expect(fields(fast)).toEqual(fields(slow));
    expect(fast.spanContext().traceId).toBe(parent.spanContext().traceId);
    finish(fast);
    finish(slow);
    const [a, b] = exporter.getFinishedSpans();
    expect(shape(a!)).toEqual(shape(b!));
    expect(shape(a!).parent).toBe(parent.spanContext().spanId);
    // Times: a wall-clock start and a non-negative monotonic duration, as upstream's.
    const startMs = a!.startTime[0] * 1000 + a!.startTime[1] / 1e6;
    expect(Math.abs(startMs - Date.now())).toBeLessThan(5_000);
    expect(a!.duration[0] * 1e9 + a!.duration[1]).toBeGreaterThanOrEqual(0);
  });

  it('starts a new trace without a parent, and keeps the parent trace state in a child', () => {
    const { tracer } = setup();
    const root = startSdkSpan(tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
    expect(trace.isSpanContextValid(root.spanContext())).toBe(true);
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
      traceState: new TraceState('vendor=x'),
    });
    const child = startSdkSpan(tracer, 'GET', SpanKind.CLIENT, attrs(), remote);
    expect(child.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(child.spanContext().traceState?.serialize()).toBe('vendor=x');
    expect((child as unknown as ReadableSpan).parentSpanContext?.isRemote).toBe(true);
  });

  it('follows the sampler: not recorded, recorded only, sampled with its attributes', () => {
    const off = setup(new AlwaysOffSampler());
    const dropped = startSdkSpan(off.tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
    expect(dropped.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(dropped.spanContext())).toBe(true);
    dropped.end();
    expect(off.exporter.getFinishedSpans()).toHaveLength(0);

    const tagging: Sampler = {
      shouldSample: () => ({
        decision: SamplingDecision.RECORD_AND_SAMPLED,
        attributes: { 'sampler.rule': 'all' },
      }),
      toString: () => 'tagging',
    };
    const tagged = setup(tagging);
    finish(startSdkSpan(tagged.tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT));
    expect(tagged.exporter.getFinishedSpans()[0]!.attributes['sampler.rule']).toBe('all');

    const recordOnly: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD }),
      toString: () => 'record-only',
    };
    const rec = setup(recordOnly);
    const span = startSdkSpan(rec.tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
    expect(span.isRecording()).toBe(true);
    expect(span.spanContext().traceFlags & 1).toBe(0);

    // A ratio sampler keeps about its share of new traces.
    const half = setup(new TraceIdRatioBasedSampler(0.5));
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      const s = startSdkSpan(half.tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
      if (s.spanContext().traceFlags & 1) kept++;
      s.end();
    }
    expect(kept).toBeGreaterThan(800);
    expect(kept).toBeLessThan(1200);
  });

  it('starts nothing where tracing is suppressed (the SDK exporting its own telemetry)', () => {
    const { exporter, tracer } = setup();
    const ctx: Context = suppressTracing(ROOT_CONTEXT);
    const span = startSdkSpan(tracer, 'POST', SpanKind.CLIENT, attrs(), ctx);
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('applies span limits set by the user, as tracer.startSpan does', () => {
    const { exporter, tracer } = setup(new AlwaysOnSampler(), {
      attributeValueLengthLimit: 4,
      attributeCountLimit: 2,
    });
    expect(startsFast(tracer)).toBe(false);
    const span = startSdkSpan(tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
    span.end();
    const [s] = exporter.getFinishedSpans();
    expect(s!.attributes).toEqual({ 'http.request.method': 'GET', 'url.path': '/ord' });
    expect(s!.droppedAttributesCount).toBe(1);
  });

  it('validates what the app itself sets on the span, warning only about what it drops', () => {
    const { exporter, tracer } = setup();
    const warnings: string[] = [];
    const log = (m: string) => warnings.push(m);
    diag.setLogger(
      { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    const span = startSdkSpan(tracer, 'GET', SpanKind.SERVER, attrs(), ROOT_CONTEXT);
    span.setAttribute('user.id', 'u-1');
    span.recordException(new Error('boom'));
    expect(warnings).toEqual([]);
    span.setAttribute('bad', { nested: true } as never);
    span.setAttribute('', 'no key');
    span.end();
    span.setAttribute('after.end', 1);
    const attributes = exporter.getFinishedSpans()[0]!.attributes;
    expect(attributes['user.id']).toBe('u-1');
    expect(Object.keys(attributes)).not.toContain('bad');
    expect(Object.keys(attributes)).not.toContain('after.end');
    expect(Object.keys(attributes)).not.toContain('');
    expect(warnings).toHaveLength(3);
    diag.disable();
  });
});
