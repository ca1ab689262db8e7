import {
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SamplingDecision,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Sampler,
  type Span,
  type SpanContext,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed, millisToHrTime } from '@opentelemetry/core';

/** W3C Trace Context level 2's random trace-id flag. */
const RANDOM_FLAG = 0x02;

// The SDK starts a span for every request it serves and every call it makes. The tracer's
// startSpan sanitises the attributes twice, validates each one again as the span stores it, maps
// an empty links array and converts times through several intermediate arrays: a third or more
// of what a request span costs, for attributes the SDK built itself and knows to be valid. This
// builds the very same span object (the SDK's own span class, every field upstream's
// constructor sets, in its order) directly, so everything after the start (setAttribute,
// recordException, end, export) is upstream's code. It checks once per tracer, against a span
// the tracer made, that it knows every field; if not (another SDK version, span limits that
// truncate), spans start through tracer.startSpan as before.

/** The fields of the tracer from @opentelemetry/sdk-trace this reads. */
interface SdkTracer extends Tracer {
  _sampler?: Sampler;
  _idGenerator?: { generateTraceId(): string; generateSpanId(): string };
  _spanLimits?: { attributeValueLengthLimit?: number; attributeCountLimit?: number };
  _resource?: unknown;
  _spanProcessor?: { onStart(span: Span, context: Context): void };
  _tracerMetrics?: {
    startedSpans?: object;
    startSpan(parent: SpanContext | undefined, decision: SamplingDecision): () => void;
  };
  instrumentationScope?: unknown;
}

/** The SDK span's fields, in the order its constructor sets them (sdk-trace 2.x). */
const FIELDS = [
  '_spanContext',
  'kind',
  'parentSpanContext',
  'attributes',
  'links',
  'events',
  'startTime',
  'resource',
  'instrumentationScope',
  '_droppedAttributesCount',
  '_droppedEventsCount',
  '_droppedLinksCount',
  '_attributesCount',
  'name',
  'status',
  'endTime',
  '_ended',
  '_duration',
  '_spanProcessor',
  '_spanLimits',
  '_attributeValueLengthLimit',
  '_recordEndMetrics',
  '_performanceStartTime',
  '_performanceOffset',
  '_startTimeProvided',
].join();

interface Factory {
  start(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    parent: Context,
    parentSpanContext: SpanContext | undefined,
    spanContext: SpanContext,
    decision: SamplingDecision,
  ): Span;
  /** The tracer's `otel.sdk.span.*` metrics, unless they go to the no-op meter. */
  metrics: SdkTracer['_tracerMetrics'];
}

const factories = new WeakMap<Tracer, Factory | null>();
const NOOP_COUNTER = Object.getPrototypeOf(createNoopMeter().createCounter('noop')) as object;

function factoryFor(t: SdkTracer): Factory | null {
  const processor = t._spanProcessor;
  const limits = t._spanLimits;
  if (
    t._sampler === undefined ||
    t._idGenerator === undefined ||
    processor === undefined ||
    limits === undefined ||
    t._tracerMetrics === undefined ||
    // Values the span would truncate, or a limit below the SDK's own attribute count.
    (limits.attributeValueLengthLimit ?? Infinity) !== Infinity ||
    (limits.attributeCountLimit ?? Infinity) < 16
  )
    return null;
  // A span from the tracer itself, recorded whatever the sampler says and never ended (so never
  // exported): what a span of this SDK version looks like.
  const sampler = t._sampler;
  let probe: Span;
  t._sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }) };
  try {
    probe = t.startSpan('probe', {}, ROOT_CONTEXT);
  } finally {
    t._sampler = sampler;
  }
  if (!probe.isRecording() || Object.keys(probe).join() !== FIELDS) return null;
  const proto = Object.getPrototypeOf(probe) as object;
  const metrics =
    Object.getPrototypeOf(t._tracerMetrics.startedSpans ?? NOOP_COUNTER) === NOOP_COUNTER
      ? undefined
      : t._tracerMetrics;
  const resource = t._resource;
  const scope = t.instrumentationScope;

  // A plain constructor sharing the span class's prototype: `new` gives every span the same
  // hidden class and the class's methods, without the class constructor's work.
  const SdkSpan = function (
    this: Record<string, unknown>,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    count: number,
    parentSpanContext: SpanContext | undefined,
    spanContext: SpanContext,
    recordEndMetrics: (() => void) | undefined,
  ) {
    // As upstream: the start is wall-clock milliseconds, the end that plus a monotonic duration.
    const now = Date.now();
    const perfNow = performance.now();
    this._spanContext = spanContext;
    this.kind = kind;
    this.parentSpanContext = parentSpanContext;
    this.attributes = attributes;
    this.links = [];
    this.events = [];
    this.startTime = millisToHrTime(now);
    this.resource = resource;
    this.instrumentationScope = scope;
    this._droppedAttributesCount = 0;
    this._droppedEventsCount = 0;
    this._droppedLinksCount = 0;
    this._attributesCount = count;
    this.name = name;
    this.status = { code: 0 };
    this.endTime = [0, 0];
    this._ended = false;
    this._duration = [-1, -1];
    this._spanProcessor = processor;
    this._spanLimits = limits;
    this._attributeValueLengthLimit = limits.attributeValueLengthLimit ?? 0;
    this._recordEndMetrics = recordEndMetrics;
    this._performanceStartTime = perfNow;
    this._performanceOffset = now - (perfNow + performance.timeOrigin);
    this._startTimeProvided = false;
  } as unknown as new (...args: unknown[]) => Span;
  SdkSpan.prototype = proto;

  return {
    metrics,
    start(name, kind, attributes, parent, parentSpanContext, spanContext, decision) {
      const recordEndMetrics = metrics?.startSpan(parentSpanContext, decision);
      const span = new SdkSpan(
        name,
        kind,
        attributes,
        countKeys(attributes),
        parentSpanContext,
        spanContext,
        recordEndMetrics,
      );
      processor.onStart(span, parent);
      return span;
    },
  };
}

function countKeys(attributes: Attributes): number {
  let n = 0;
  for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) n++;
  return n;
}

function factoryOf(tracer: Tracer): Factory | null {
  let factory = factories.get(tracer);
  if (factory === undefined) {
    try {
      factory = factoryFor(tracer);
    } catch {
      factory = null;
    }
    factories.set(tracer, factory);
  }
  return factory;
}

/**
 * Whether spans of this tracer start on the fast path; false means through tracer.startSpan
 * (an OpenTelemetry SDK whose span this does not know, or span limits that truncate).
 */
export function startsFast(tracer: Tracer): boolean {
  return factoryOf(tracer) !== null;
}

/**
 * Starts a span as `tracer.startSpan(name, { kind, attributes }, parent)` would: same sampling,
 * ids, trace state, processors and span object. `attributes` must be valid OTel attribute values
 * the caller does not touch again (the span keeps the object).
 */
export function startSdkSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
): Span {
  const factory = factoryOf(tracer);
  if (factory === null) return tracer.startSpan(name, { kind, attributes }, parent);

  const t = tracer as Required<SdkTracer>;
  if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const parentSpanContext = trace.getSpanContext(parent);
  const spanId = t._idGenerator.generateSpanId();
  let traceId: string;
  let traceState = undefined;
  let validParent: SpanContext | undefined;
  if (parentSpanContext === undefined || !trace.isSpanContextValid(parentSpanContext)) {
    traceId = t._idGenerator.generateTraceId();
  } else {
    traceId = parentSpanContext.traceId;
    traceState = parentSpanContext.traceState;
    validParent = parentSpanContext;
  }
  const result = t._sampler.shouldSample(parent, traceId, name, kind, attributes, []);
  const spanContext: SpanContext = {
    traceId,
    spanId,
    // W3C Trace Context level 2: the caller's random flag (0x02) says its trace id is random;
    // the trace id is kept, so the flag is too (upstream's Tracer drops it).
    traceFlags:
      (result.decision === SamplingDecision.RECORD_AND_SAMPLED
        ? TraceFlags.SAMPLED
        : TraceFlags.NONE) | (validParent === undefined ? 0 : validParent.traceFlags & RANDOM_FLAG),
    traceState: result.traceState ?? traceState,
  };
  if (result.decision === SamplingDecision.NOT_RECORD) {
    factory.metrics?.startSpan(parentSpanContext, result.decision);
    return trace.wrapSpanContext(spanContext);
  }
  const span = factory.start(
    name,
    kind,
    attributes,
    parent,
    validParent,
    spanContext,
    result.decision,
  );
  // A sampler may add attributes; they go through the span's own validation.
  if (result.attributes !== undefined) span.setAttributes(result.attributes);
  return span;
}
