import { keyValues } from '../otlp/common-encoding';
import type { ProtobufWriter } from '../otlp/protobuf-writer';

// Messages of opentelemetry/proto/metrics/v1/metrics.proto, written by hand like spans and log
// records (see ../otlp/protobuf-writer). Tags are bytes: (field number << 3) | wire type.

/** Label values of one series, which become the data point's attributes. */
export type Labels = Record<string, string | number>;

/** An exemplar: a measurement of a sampled trace (trace_id/span_id from the registry). */
export interface ExemplarData {
  /** Epoch milliseconds. */
  time: number;
  value: number;
  traceId: string | undefined;
  spanId: string | undefined;
  /** Exemplar labels other than the trace context. */
  attributes: Labels;
}

interface PointTimes {
  attributes: Labels;
  /** Epoch milliseconds; 0 for none (gauges). */
  start: number;
  time: number;
}

export interface NumberPoint extends PointTimes {
  value: number;
}

export interface HistogramPoint extends PointTimes {
  count: number;
  sum: number;
  /** Upper bounds, without +Inf. */
  bounds: number[];
  /** One more than bounds: the last bucket is (last bound, +Inf). */
  counts: number[];
  exemplars: ExemplarData[];
}

export interface SummaryPoint extends PointTimes {
  count: number;
  sum: number;
  quantiles: [quantile: number, value: number][];
}

export type MetricData = { name: string; description: string } & (
  | { kind: 'sum'; delta: boolean; points: NumberPoint[] }
  | { kind: 'gauge'; points: NumberPoint[] }
  | { kind: 'histogram'; delta: boolean; points: HistogramPoint[] }
  | { kind: 'summary'; points: SummaryPoint[] }
);

const DELTA = 1;
const CUMULATIVE = 2;

/** Epoch milliseconds as fixed64 nanoseconds. */
function millis(w: ProtobufWriter, ms: number): void {
  let s = Math.floor(ms / 1000);
  let n = Math.round((ms - s * 1000) * 1e6);
  if (n >= 1e9) {
    s += 1;
    n -= 1e9;
  }
  w.nanos([s, n]);
}

function times(w: ProtobufWriter, p: PointTimes): void {
  if (p.start > 0) {
    w.byte(0x11); // start_time_unix_nano
    millis(w, p.start);
  }
  w.byte(0x19); // time_unix_nano
  millis(w, p.time);
}

/** Exemplar{time 2, as_double 3, span_id 4, trace_id 5, filtered_attributes 7}. */
function exemplar(w: ProtobufWriter, e: ExemplarData): void {
  w.byte(0x11);
  millis(w, e.time);
  w.byte(0x19);
  w.double(e.value);
  if (e.spanId !== undefined && e.traceId !== undefined) {
    w.byte(0x22);
    w.hex(e.spanId);
    w.byte(0x2a);
    w.hex(e.traceId);
  }
  keyValues(w, 0x3a, e.attributes);
}

/** NumberDataPoint{start 2, time 3, as_double 4, attributes 7}. */
function numberPoint(w: ProtobufWriter, p: NumberPoint): void {
  times(w, p);
  w.byte(0x21);
  w.double(p.value);
  keyValues(w, 0x3a, p.attributes);
}

/**
 * HistogramDataPoint{start 2, time 3, count 4, sum 5, bucket_counts 6 (packed fixed64),
 * explicit_bounds 7 (packed double), exemplars 8, attributes 9}.
 */
function histogramPoint(w: ProtobufWriter, p: HistogramPoint): void {
  times(w, p);
  w.byte(0x21);
  w.fixed64(p.count);
  w.byte(0x29);
  w.double(p.sum);
  w.byte(0x32);
  w.varint(p.counts.length * 8);
  for (const c of p.counts) w.fixed64(c);
  if (p.bounds.length > 0) {
    w.byte(0x3a);
    w.varint(p.bounds.length * 8);
    for (const b of p.bounds) w.double(b);
  }
  for (const e of p.exemplars) {
    w.byte(0x42);
    const at = w.begin();
    exemplar(w, e);
    w.end(at);
  }
  keyValues(w, 0x4a, p.attributes);
}

/** SummaryDataPoint{start 2, time 3, count 4, sum 5, quantile_values 6 {quantile 1, value 2}, attributes 7}. */
function summaryPoint(w: ProtobufWriter, p: SummaryPoint): void {
  times(w, p);
  w.byte(0x21);
  w.fixed64(p.count);
  w.byte(0x29);
  w.double(p.sum);
  for (const [q, v] of p.quantiles) {
    w.byte(0x32);
    w.byte(18); // two tagged doubles
    w.byte(0x09);
    w.double(q);
    w.byte(0x11);
    w.double(v);
  }
  keyValues(w, 0x3a, p.attributes);
}

/** Gauge/Sum/Histogram/Summary{data_points 1} with each point written by `write`. */
function points<P>(w: ProtobufWriter, list: P[], write: (w: ProtobufWriter, p: P) => void): void {
  for (const p of list) {
    w.byte(0x0a);
    const at = w.begin();
    write(w, p);
    w.end(at);
  }
}

/**
 * One Metric{name 1, description 2, gauge 5 | sum 7 | histogram 9 | summary 11}, as a field
 * `tag` entry (ScopeMetrics.metrics is field 2).
 */
export function writeMetric(w: ProtobufWriter, tag: number, m: MetricData): void {
  w.byte(tag);
  const metric = w.begin();
  w.byte(0x0a);
  w.string(m.name);
  w.stringField(0x12, m.description);
  if (m.kind === 'gauge') {
    w.byte(0x2a);
    const at = w.begin();
    points(w, m.points, numberPoint);
    w.end(at);
  } else if (m.kind === 'sum') {
    w.byte(0x3a);
    const at = w.begin();
    points(w, m.points, numberPoint);
    w.byte(0x10); // aggregation_temporality
    w.varint(m.delta ? DELTA : CUMULATIVE);
    w.byte(0x18); // is_monotonic: prom-client counters only go up
    w.byte(1);
    w.end(at);
  } else if (m.kind === 'histogram') {
    w.byte(0x4a);
    const at = w.begin();
    points(w, m.points, histogramPoint);
    w.byte(0x10);
    w.varint(m.delta ? DELTA : CUMULATIVE);
    w.end(at);
  } else {
    w.byte(0x5a);
    const at = w.begin();
    points(w, m.points, summaryPoint);
    w.end(at);
  }
  w.end(metric);
}
