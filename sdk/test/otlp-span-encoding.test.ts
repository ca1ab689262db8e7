import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeRequest, encodeResource, encodeScope } from '../src/otlp/common-encoding';
import { writeSpan } from '../src/tracing/otlp-span-encoding';
import { ProtobufWriter } from '../src/otlp/protobuf-writer';
import { fields, referenceSerializer } from './support/protobuf';

// The reference: the serializer of the OTLP exporter the SDK ships with.
const ProtobufTraceSerializer = referenceSerializer<{
  serializeRequest(spans: ReadableSpan[]): Uint8Array;
}>('@opentelemetry/exporter-trace-otlp-proto', './trace/protobuf', 'ProtobufTraceSerializer');

function encodeOurs(spans: ReadableSpan[]): Buffer {
  const byScope = new Map<ReadableSpan['instrumentationScope'], ProtobufWriter>();
  for (const span of spans) {
    let w = byScope.get(span.instrumentationScope);
    if (w === undefined) byScope.set(span.instrumentationScope, (w = new ProtobufWriter(64)));
    w.byte(0x12);
    const at = w.begin();
    writeSpan(w, span);
    w.end(at);
  }
  const resource = spans[0]!.resource;
  return encodeRequest(
    encodeResource(resource.attributes),
    resource.schemaUrl,
    [...byScope].map(([scope, w]) => ({
      scope: encodeScope(scope),
      schemaUrl: scope.schemaUrl,
      records: w.buf.subarray(0, w.pos),
    })),
  );
}

describe('OTLP span encoding', () => {
  it('encodes spans as the OTLP exporter does, field for field', () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'encoding', 'host.cores': 2 }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
      traceState: new TraceState('vendor=1,other=2'),
    });
    const span = provider.getTracer('scope-a', '1.2.3').startSpan(
      // long enough that the span and its name need multi-byte lengths
      `GET ${'/segment'.repeat(40)}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          text: 'é ☃ 𝄞',
          int: 42,
          negative: -7,
          big: 2 ** 40,
          double: 1.5,
          yes: true,
          no: false,
          strings: ['a', 'b'],
          numbers: [1, 2.5],
          long: 'x'.repeat(300),
        },
        links: [
          {
            context: {
              traceId: '1af7651916cd43dd8448eb211c80319c',
              spanId: 'c7ad6b7169203331',
              traceFlags: 0,
            },
            attributes: { weight: 1 },
          },
        ],
      },
      remoteParent,
    );
    span.addEvent('retry', { attempt: 2 });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    span.end();
    const child = provider.getTracer('scope-b').startSpan('child', { kind: SpanKind.CLIENT });
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
    provider.getTracer('scope-b').startSpan('plain').end();

    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(3);
    const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
    const ours = encodeOurs(spans);
    expect(fields(ours)).toEqual(fields(reference));
    // Not vacuous: the decoded tree holds the span's attributes and ids.
    expect(
      JSON.stringify(fields(ours), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).toContain(Buffer.from('upstream failed').toString('hex'));
  });

  it('writes nanosecond timestamps exactly', () => {
    const w = new ProtobufWriter(8);
    w.nanos([1_795_752_328, 999_999_999]);
    w.nanos([4_102_444_800, 1]);
    expect(w.buf.readBigUInt64LE(0)).toBe(1_795_752_328_999_999_999n);
    expect(w.buf.readBigUInt64LE(8)).toBe(4_102_444_800_000_000_001n);
  });
});
