import type { Attributes, AttributeValue, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufWriter } from './protobuf-writer';

// Hand-written encoder for OTLP spans (opentelemetry/proto/trace/v1/trace.proto), so that a
// span is encoded when it ends and can die young. @opentelemetry/otlp-transformer builds an
// intermediate object per span and sizes every message before writing it: on a hello-world
// request it was the largest single cost of tracing, and its batches of 512 spans stalled the
// event loop for milliseconds. Tags are written as bytes: (field number << 3) | wire type.

// Span kind is offset by one in OTLP (0 is "unspecified").
const KIND = [1, 2, 3, 4, 5];
// OTLP span flags: the low byte is the W3C trace flags; these say whether the parent is remote.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** AnyValue (fields: string 1, bool 2, int 3, double 4, array 5, bytes 7). */
function anyValue(w: ProtobufWriter, v: AttributeValue | null | undefined): void {
  if (typeof v === 'string') {
    w.byte(0x0a);
    w.string(v);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) {
      w.byte(0x18);
      w.int64(v);
    } else {
      w.byte(0x21);
      w.double(v);
    }
  } else if (typeof v === 'boolean') {
    w.byte(0x10);
    w.byte(v ? 1 : 0);
  } else if (v instanceof Uint8Array) {
    w.byte(0x3a);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.byte(0x2a);
    const array = w.begin();
    for (const item of v as unknown[]) {
      w.byte(0x0a);
      const at = w.begin();
      anyValue(w, item as AttributeValue);
      w.end(at);
    }
    w.end(array);
  }
  // null and undefined: an empty AnyValue
}

/** Repeated KeyValue{key 1, value 2} under field `tag`. */
function attributes(w: ProtobufWriter, tag: number, attrs: Attributes | undefined): void {
  if (attrs === undefined) return;
  for (const key in attrs) {
    w.byte(tag);
    const kv = w.begin();
    w.byte(0x0a);
    w.string(key);
    w.byte(0x12);
    const value = w.begin();
    anyValue(w, attrs[key]);
    w.end(value);
    w.end(kv);
  }
}

function flags(ctx: SpanContext, isRemote: boolean | undefined): number {
  return (ctx.traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** The fields of one Span message (without its own tag and length). */
export function writeSpan(w: ProtobufWriter, span: ReadableSpan): void {
  const ctx = span.spanContext();
  w.byte(0x0a); // trace_id
  w.hex(ctx.traceId);
  w.byte(0x12); // span_id
  w.hex(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.byte(0x1a);
    w.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.byte(0x22);
    w.hex(parent.spanId);
  }
  w.byte(0x2a); // name
  w.string(span.name);
  w.byte(0x30); // kind
  w.byte(KIND[span.kind] ?? 0);
  w.byte(0x39); // start_time_unix_nano
  w.nanos(span.startTime);
  w.byte(0x41); // end_time_unix_nano
  w.nanos(span.endTime);
  attributes(w, 0x4a, span.attributes);
  if (span.droppedAttributesCount > 0) {
    w.byte(0x50);
    w.varint(span.droppedAttributesCount);
  }
  for (const event of span.events) {
    w.byte(0x5a);
    const at = w.begin();
    w.byte(0x09);
    w.nanos(event.time);
    w.byte(0x12);
    w.string(event.name);
    attributes(w, 0x1a, event.attributes);
    if (event.droppedAttributesCount) {
      w.byte(0x20);
      w.varint(event.droppedAttributesCount);
    }
    w.end(at);
  }
  if (span.droppedEventsCount > 0) {
    w.byte(0x60);
    w.varint(span.droppedEventsCount);
  }
  for (const link of span.links) {
    w.byte(0x6a);
    const at = w.begin();
    w.byte(0x0a);
    w.hex(link.context.traceId);
    w.byte(0x12);
    w.hex(link.context.spanId);
    const linkState = link.context.traceState?.serialize();
    if (linkState) {
      w.byte(0x1a);
      w.string(linkState);
    }
    attributes(w, 0x22, link.attributes);
    if (link.droppedAttributesCount) {
      w.byte(0x28);
      w.varint(link.droppedAttributesCount);
    }
    w.byte(0x35);
    w.fixed32(flags(link.context, link.context.isRemote));
    w.end(at);
  }
  if (span.droppedLinksCount > 0) {
    w.byte(0x70);
    w.varint(span.droppedLinksCount);
  }
  const { message } = span.status;
  // API and OTLP status codes share their values (unset 0, ok 1, error 2).
  const code: number = span.status.code;
  if (code !== 0 || message) {
    w.byte(0x7a);
    const at = w.begin();
    if (message) {
      w.byte(0x12);
      w.string(message);
    }
    if (code !== 0) {
      w.byte(0x18);
      w.varint(code);
    }
    w.end(at);
  }
  // flags: field 16, fixed32 -> tag 0x85 0x01
  w.byte(0x85);
  w.byte(0x01);
  w.fixed32(flags(ctx, parent?.isRemote));
}

/** Resource{attributes 1, dropped_attributes_count 2}, encoded once per resource. */
export function encodeResource(resource: Resource): Buffer {
  const w = new ProtobufWriter(1024);
  attributes(w, 0x0a, resource.attributes);
  return w.finish();
}

/** InstrumentationScope{name 1, version 2}. */
export function encodeScope(scope: InstrumentationScope): Buffer {
  const w = new ProtobufWriter(256);
  w.byte(0x0a);
  w.string(scope.name);
  if (scope.version) {
    w.byte(0x12);
    w.string(scope.version);
  }
  return w.finish();
}

/** Spans of one scope, each already written as ScopeSpans.spans (field 2) entries. */
export interface EncodedScope {
  scope: Buffer;
  schemaUrl: string | undefined;
  spans: Buffer;
}

/**
 * ExportTraceServiceRequest{resource_spans 1: ResourceSpans{resource 1,
 * scope_spans 2: ScopeSpans{scope 1, spans 2, schema_url 3}}}.
 */
export function encodeRequest(
  resource: Buffer,
  schemaUrl: string | undefined,
  scopes: EncodedScope[],
): Buffer {
  const w = new ProtobufWriter(
    scopes.reduce((n, s) => n + s.spans.length + s.scope.length + 16, resource.length + 32),
  );
  w.byte(0x0a);
  const rs = w.begin();
  w.byte(0x0a);
  w.bytes(resource);
  for (const s of scopes) {
    w.byte(0x12);
    const ss = w.begin();
    w.byte(0x0a);
    w.bytes(s.scope);
    w.raw(s.spans);
    if (s.schemaUrl) {
      w.byte(0x1a);
      w.string(s.schemaUrl);
    }
    w.end(ss);
  }
  if (schemaUrl) {
    w.byte(0x1a);
    w.string(schemaUrl);
  }
  w.end(rs);
  return w.finish();
}
