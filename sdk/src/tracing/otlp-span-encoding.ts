import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { keyValues } from '../otlp/common-encoding';
import type { ProtobufWriter } from '../otlp/protobuf-writer';

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
  w.stringField(0x1a, ctx.traceState?.serialize());
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
  keyValues(w, 0x4a, span.attributes);
  w.varintField(0x50, span.droppedAttributesCount);
  for (const event of span.events) {
    w.byte(0x5a);
    const at = w.begin();
    w.byte(0x09);
    w.nanos(event.time);
    w.byte(0x12);
    w.string(event.name);
    keyValues(w, 0x1a, event.attributes);
    w.varintField(0x20, event.droppedAttributesCount);
    w.end(at);
  }
  w.varintField(0x60, span.droppedEventsCount);
  for (const link of span.links) {
    w.byte(0x6a);
    const at = w.begin();
    w.byte(0x0a);
    w.hex(link.context.traceId);
    w.byte(0x12);
    w.hex(link.context.spanId);
    w.stringField(0x1a, link.context.traceState?.serialize());
    keyValues(w, 0x22, link.attributes);
    w.varintField(0x28, link.droppedAttributesCount);
    w.byte(0x35);
    w.fixed32(flags(link.context, link.context.isRemote));
    w.end(at);
  }
  w.varintField(0x70, span.droppedLinksCount);
  const { message } = span.status;
  // API and OTLP status codes share their values (unset 0, ok 1, error 2).
  const code: number = span.status.code;
  if (code !== 0 || message) {
    w.byte(0x7a);
    const at = w.begin();
    w.stringField(0x12, message);
    w.varintField(0x18, code);
    w.end(at);
  }
  // flags: field 16, fixed32 -> tag 0x85 0x01
  w.byte(0x85);
  w.byte(0x01);
  w.fixed32(flags(ctx, parent?.isRemote));
}
