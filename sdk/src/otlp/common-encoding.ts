import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { ProtobufWriter } from './protobuf-writer';

// Messages of opentelemetry/proto/common/v1/common.proto and resource.proto, written by hand
// (see ./protobuf-writer). Tags are bytes: (field number << 3) | wire type.

/** A value of a log line's field: JSON, so objects and arrays nest. */
export type AnyValue = AttributeValue | null | undefined | { [key: string]: AnyValue } | AnyValue[];

// int64's range: an integer outside it stays a double (upstream's encoder would saturate it).
const INT64_MIN = -(2 ** 63);
const INT64_END = 2 ** 63;
const BIGINT64_MIN = -(2n ** 63n);
const BIGINT64_MAX = 2n ** 63n - 1n;

/** AnyValue (fields: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7). */
export function anyValue(w: ProtobufWriter, v: AnyValue): void {
  if (typeof v === 'string') {
    w.byte(0x0a);
    w.string(v);
  } else if (typeof v === 'number') {
    // Every integral number is an int_value, as upstream encodes it: also those of 2^53 and
    // above, which JSON.parse already rounded to the nearest double (that value is sent exactly).
    if (Number.isInteger(v) && v >= INT64_MIN && v < INT64_END) {
      w.byte(0x18);
      w.int64(v);
    } else {
      w.byte(0x21);
      w.double(v);
    }
  } else if (typeof v === 'boolean') {
    w.byte(0x10);
    w.byte(v ? 1 : 0);
  } else if (typeof (v as unknown) === 'bigint') {
    // A big integer read back exactly from a log line (logging/parse-line.ts); beyond int64 it
    // is a double like any other number there, so a field keeps one type.
    const b = v as unknown as bigint;
    if (b >= BIGINT64_MIN && b <= BIGINT64_MAX) {
      w.byte(0x18);
      w.bigint64(b);
    } else {
      w.byte(0x21);
      w.double(Number(b));
    }
  } else if (v instanceof Uint8Array) {
    w.byte(0x3a);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.byte(0x2a);
    const array = w.begin();
    for (const item of v) {
      w.byte(0x0a);
      const at = w.begin();
      anyValue(w, item);
      w.end(at);
    }
    w.end(array);
  } else if (typeof v === 'object' && v !== null) {
    w.byte(0x32);
    const list = w.begin();
    keyValues(w, 0x0a, v);
    w.end(list);
  }
  // null and undefined: an empty AnyValue
}

/** Repeated KeyValue{key 1, value 2} under field `tag`; an empty key is invalid OTLP: left out. */
export function keyValues(
  w: ProtobufWriter,
  tag: number,
  values: Attributes | Record<string, AnyValue> | undefined,
): void {
  if (values === undefined) return;
  for (const key in values) {
    if (key === '') continue;
    w.byte(tag);
    const kv = w.begin();
    w.byte(0x0a);
    w.string(key);
    w.byte(0x12);
    const value = w.begin();
    anyValue(w, values[key]);
    w.end(value);
    w.end(kv);
  }
}

/** Resource{attributes 1}, encoded once per resource. */
export function encodeResource(attributes: Attributes): Buffer {
  const w = new ProtobufWriter(1024);
  keyValues(w, 0x0a, attributes);
  return w.finish();
}

/** InstrumentationScope{name 1, version 2}. */
export function encodeScope(scope: InstrumentationScope): Buffer {
  const w = new ProtobufWriter(256);
  w.byte(0x0a);
  w.string(scope.name);
  w.stringField(0x12, scope.version);
  return w.finish();
}

/** Records of one scope, each already written as a field-2 entry of ScopeSpans/ScopeLogs. */
export interface EncodedScope {
  scope: Buffer;
  schemaUrl: string | undefined;
  records: Buffer;
}

/**
 * Export{Trace,Logs}ServiceRequest{resource_* 1: Resource*{resource 1, scope_* 2:
 * Scope*{scope 1, records 2, schema_url 3}, schema_url 3}}: the same shape for both signals.
 */
export function encodeRequest(
  resource: Buffer,
  schemaUrl: string | undefined,
  scopes: EncodedScope[],
): Buffer {
  const w = new ProtobufWriter(
    scopes.reduce((n, s) => n + s.records.length + s.scope.length + 16, resource.length + 32),
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
    w.raw(s.records);
    w.stringField(0x1a, s.schemaUrl);
    w.end(ss);
  }
  w.stringField(0x1a, schemaUrl);
  w.end(rs);
  return w.finish();
}
