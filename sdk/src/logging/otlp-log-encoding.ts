import { anyValue, keyValues, type AnyValue } from '../otlp/common-encoding';
import type { ProtobufWriter } from '../otlp/protobuf-writer';

/** A pino line as the worker receives it (parsed JSON). */
export interface PinoLine {
  time?: unknown;
  level?: unknown;
  trace_id?: unknown;
  span_id?: unknown;
  trace_flags?: unknown;
  [key: string]: unknown;
}

/** Fields of a pino line that are not attributes: they become the record's own fields. */
const NOT_ATTRIBUTES = new Set([
  'time',
  'level',
  'hostname',
  'pid',
  'trace_id',
  'span_id',
  'trace_flags',
]);

const HEX_ID = /^[0-9a-f]+$/;

/** A line's attributes: every field but the message and the record's own fields. */
export function lineAttributes(
  line: PinoLine,
  messageKey: string,
  notAttributes: ReadonlySet<string> = NOT_ATTRIBUTES,
): Record<string, AnyValue> {
  const attributes: Record<string, AnyValue> = {};
  for (const key in line)
    // An empty key is no valid attribute name (nested ones are left out by the encoder).
    if (key !== messageKey && key !== '' && !notAttributes.has(key))
      attributes[key] = line[key] as AnyValue;
  return attributes;
}

/** How to read one line into a record when it is not the SDK logger's (see read-app-records.ts). */
export interface RecordShape {
  /** Instrumentation scope name. */
  scope: string;
  messageKey: string;
  /** Undefined: when the worker saw it. */
  time: [number, number] | undefined;
  severity: number;
  severityText: string | undefined;
  /** Fields that are neither the body nor attributes. */
  notAttributes: ReadonlySet<string>;
}

/** Epoch milliseconds as OpenTelemetry HrTime. */
export function fromMillis(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * The fields of one OTLP LogRecord (opentelemetry/proto/logs/v1/logs.proto) for a pino line,
 * mapped as pino-opentelemetry-transport maps it (severity by pino level, every other field an
 * attribute) with the trace context from `trace_id`/`span_id`/`trace_flags`. Written straight
 * from the parsed line: no LogRecord object, no intermediate OTLP object.
 */
export function writeLogRecord(
  w: ProtobufWriter,
  line: PinoLine,
  messageKey: string,
  levels: { labels: Record<number, string>; severity: Record<number, number> },
  observed: [number, number],
): void {
  const level = typeof line.level === 'number' ? line.level : 0;
  writeShapedRecord(
    w,
    line,
    {
      scope: '',
      messageKey,
      time: typeof line.time === 'number' ? fromMillis(line.time) : undefined,
      severity: levels.severity[level] ?? 0,
      severityText: levels.labels[level],
      notAttributes: NOT_ATTRIBUTES,
    },
    observed,
  );
}

/** One OTLP LogRecord from a line read as `shape` says (writeLogRecord's fields, any logger's). */
export function writeShapedRecord(
  w: ProtobufWriter,
  line: PinoLine,
  shape: RecordShape,
  observed: [number, number],
): void {
  w.byte(0x09); // time_unix_nano
  w.nanos(shape.time ?? observed);
  w.varintField(0x10, shape.severity);
  w.stringField(0x1a, shape.severityText);
  const body = line[shape.messageKey];
  if (body !== undefined) {
    w.byte(0x2a);
    const at = w.begin();
    anyValue(w, body as AnyValue);
    w.end(at);
  }
  keyValues(w, 0x32, lineAttributes(line, shape.messageKey, shape.notAttributes));
  const { trace_id: traceId, span_id: spanId, trace_flags: flags } = line;
  if (
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    traceId.length === 32 &&
    spanId.length === 16 &&
    HEX_ID.test(traceId) &&
    HEX_ID.test(spanId)
  ) {
    const traceFlags =
      typeof flags === 'string' ? parseInt(flags, 16) : typeof flags === 'number' ? flags : 0;
    if (traceFlags > 0 && traceFlags < 256) {
      w.byte(0x45); // flags, fixed32
      w.fixed32(traceFlags);
    }
    w.byte(0x4a);
    w.hex(traceId);
    w.byte(0x52);
    w.hex(spanId);
  }
  w.byte(0x59); // observed_time_unix_nano
  w.nanos(observed);
}
