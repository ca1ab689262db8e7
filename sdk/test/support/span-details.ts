import { decode, type Decoded, type Schema } from './protobuf';
import type { OtlpReceiver } from './otlp-receiver';

// What the shared receiver does not keep of a span: its events and its status description, read
// again from the protobuf bodies it stored.

const AnyValue: Schema = {
  1: { name: 'stringValue', type: 'string' },
  3: { name: 'intValue', type: 'varint' },
};
const KeyValue: Schema = {
  1: { name: 'key', type: 'string' },
  2: { name: 'value', type: AnyValue },
};
const Span: Schema = {
  2: { name: 'spanId', type: 'bytes' },
  11: {
    name: 'events',
    repeated: true,
    type: {
      2: { name: 'name', type: 'string' },
      3: { name: 'attributes', type: KeyValue, repeated: true },
    },
  },
  15: { name: 'status', type: { 2: { name: 'message', type: 'string' } } },
};
const Traces: Schema = {
  1: {
    name: 'resourceSpans',
    repeated: true,
    type: {
      2: {
        name: 'scopeSpans',
        repeated: true,
        type: { 2: { name: 'spans', type: Span, repeated: true } },
      },
    },
  },
};

export interface SpanEvent {
  name: string;
  attributes: Record<string, unknown>;
}
export interface SpanDetails {
  statusMessage: string;
  events: SpanEvent[];
}

type List = Decoded[] | undefined;

/** The events and status description of the span `spanId`, if a protobuf body carried it. */
export function spanDetails(receiver: OtlpReceiver, spanId: string): SpanDetails | undefined {
  for (const body of receiver.bodies) {
    let request: Decoded;
    try {
      request = decode(body, Traces);
    } catch {
      continue; // a logs body, or JSON
    }
    for (const rs of (request.resourceSpans as List) ?? [])
      for (const ss of (rs.scopeSpans as List) ?? [])
        for (const s of (ss.spans as List) ?? []) {
          if (s.spanId !== spanId) continue;
          const events = ((s.events as List) ?? []).map((e) => ({
            name: String(e.name),
            attributes: Object.fromEntries(
              ((e.attributes as List) ?? []).map((kv) => {
                const v = kv.value as { stringValue?: string; intValue?: number } | undefined;
                return [String(kv.key), v?.stringValue ?? v?.intValue];
              }),
            ),
          }));
          const status = s.status as { message?: string } | undefined;
          return { statusMessage: status?.message ?? '', events };
        }
  }
  return undefined;
}
