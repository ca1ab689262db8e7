import { createRequire } from 'node:module';

/**
 * A minimal protobuf wire-format reader, enough to decode OTLP trace and log requests in tests
 * without generated code. Schemas list only the fields the tests look at.
 */
type FieldType = 'string' | 'bytes' | 'varint' | 'fixed64' | 'fixed32' | 'double' | 'bool' | Schema;
export interface Schema {
  [fieldNumber: number]: { name: string; type: FieldType; repeated?: boolean };
}
export type Decoded = Record<string, unknown>;

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

/** One field as it is on the wire: a varint's value, or the bytes of any other wire type. */
interface WireField {
  field: number;
  wire: number;
  varint?: bigint;
  raw?: Buffer;
}

/** The fields of a message in order; throws on a truncated buffer or an unknown wire type. */
function* wireFields(buf: Buffer): Generator<WireField> {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    pos = afterTag;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [varint, p] = readVarint(buf, pos);
      pos = p;
      yield { field, wire, varint };
      continue;
    }
    let start = pos;
    let len: number;
    if (wire === 1 || wire === 5) len = wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const [l, p] = readVarint(buf, pos);
      start = p;
      len = Number(l);
    } else throw new Error(`unsupported wire type ${wire}`);
    if (start + len > buf.length) throw new Error('truncated');
    pos = start + len;
    yield { field, wire, raw: buf.subarray(start, pos) };
  }
}

export function decode(buf: Buffer, schema: Schema): Decoded {
  const out: Decoded = {};
  for (const { field, varint, raw } of wireFields(buf)) {
    let value: unknown = varint;
    const def = schema[field];
    if (def === undefined) continue;
    const t = def.type;
    if (typeof t === 'object') value = decode(raw!, t);
    else if (t === 'string') value = raw!.toString('utf8');
    else if (t === 'bytes') value = raw!.toString('hex');
    else if (t === 'fixed64') value = raw!.readBigUInt64LE(0);
    else if (t === 'fixed32') value = raw!.readUInt32LE(0);
    else if (t === 'double') value = raw!.readDoubleLE(0);
    else if (t === 'bool') value = value === 1n;
    else if (t === 'varint') value = Number(value);
    if (def.repeated)
      ((out[def.name] as unknown[] | undefined) ?? (out[def.name] = [])).push(value);
    else out[def.name] = value;
  }
  return out;
}

const AnyValue: Schema = {};
const KeyValue: Schema = {
  1: { name: 'key', type: 'string' },
  2: { name: 'value', type: AnyValue },
};
Object.assign(AnyValue, {
  1: { name: 'stringValue', type: 'string' },
  2: { name: 'boolValue', type: 'bool' },
  3: { name: 'intValue', type: 'varint' },
  4: { name: 'doubleValue', type: 'double' },
  5: { name: 'arrayValue', type: { 1: { name: 'values', type: AnyValue, repeated: true } } },
  6: { name: 'kvlistValue', type: { 1: { name: 'values', type: KeyValue, repeated: true } } },
  7: { name: 'bytesValue', type: 'bytes' },
} satisfies Schema);
const Resource: Schema = { 1: { name: 'attributes', type: KeyValue, repeated: true } };
const Scope: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'version', type: 'string' },
};
const Span: Schema = {
  1: { name: 'traceId', type: 'bytes' },
  2: { name: 'spanId', type: 'bytes' },
  4: { name: 'parentSpanId', type: 'bytes' },
  5: { name: 'name', type: 'string' },
  6: { name: 'kind', type: 'varint' },
  7: { name: 'startTimeUnixNano', type: 'fixed64' },
  8: { name: 'endTimeUnixNano', type: 'fixed64' },
  9: { name: 'attributes', type: KeyValue, repeated: true },
  15: {
    name: 'status',
    type: { 2: { name: 'message', type: 'string' }, 3: { name: 'code', type: 'varint' } },
  },
};
const LogRecord: Schema = {
  1: { name: 'timeUnixNano', type: 'fixed64' },
  2: { name: 'severityNumber', type: 'varint' },
  3: { name: 'severityText', type: 'string' },
  5: { name: 'body', type: AnyValue },
  6: { name: 'attributes', type: KeyValue, repeated: true },
  8: { name: 'flags', type: 'fixed32' },
  9: { name: 'traceId', type: 'bytes' },
  10: { name: 'spanId', type: 'bytes' },
};
export const TraceRequest: Schema = {
  1: {
    name: 'resourceSpans',
    repeated: true,
    type: {
      1: { name: 'resource', type: Resource },
      2: {
        name: 'scopeSpans',
        repeated: true,
        type: {
          1: { name: 'scope', type: Scope },
          2: { name: 'spans', type: Span, repeated: true },
        },
      },
    },
  },
};
export const LogsRequest: Schema = {
  1: {
    name: 'resourceLogs',
    repeated: true,
    type: {
      1: { name: 'resource', type: Resource },
      2: {
        name: 'scopeLogs',
        repeated: true,
        type: {
          1: { name: 'scope', type: Scope },
          2: { name: 'logRecords', type: LogRecord, repeated: true },
        },
      },
    },
  },
};

/** One protobuf field: its number and its value (nested messages decoded, leaves as hex). */
export type Field = [number, unknown];

/**
 * Schema-less decoding of a whole message, for comparing two encodings field for field; zero
 * varints and empty messages are dropped (proto3 defaults, which encoders may or may not write).
 */
export function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  for (const { field, varint, raw, wire } of wireFields(buf)) {
    if (varint !== undefined) {
      if (varint !== 0n) out.push([field, varint]);
    } else if (wire !== 2) {
      out.push([field, raw!.toString('hex')]);
    } else {
      let nested: Field[] | undefined;
      try {
        nested = fields(raw!);
      } catch {
        nested = undefined; // not a message: a string or bytes
      }
      if (nested === undefined) out.push([field, raw!.toString('hex')]);
      else if (nested.length > 0) out.push([field, nested]);
    }
  }
  return out;
}

/**
 * The serializer an OTLP/protobuf exporter package ships (from its own otlp-transformer): the
 * reference the SDK's hand-written encoders are compared with.
 */
export function referenceSerializer<T>(
  exporterPackage: string,
  modulePath: string,
  name: string,
): T {
  const exporterRequire = createRequire(require.resolve(exporterPackage));
  const transformer = createRequire(exporterRequire.resolve('@opentelemetry/otlp-transformer'));
  return (transformer(modulePath) as Record<string, T>)[name] as T;
}
