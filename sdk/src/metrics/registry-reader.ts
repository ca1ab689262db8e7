import type {
  ExemplarData,
  HistogramPoint,
  Labels,
  MetricData,
  NumberPoint,
  SummaryPoint,
} from './otlp-metrics-encoding';

/** One value of prom-client's `metric.get()` (histograms and summaries come splayed). */
interface PromValue {
  labels: Labels;
  value: number;
  metricName?: string;
  exemplar?: { labelSet?: Labels; value?: number | null; timestamp?: number | null } | null;
}
/** The part of prom-client's Registry read here (its declared types omit `get()`). */
interface MetricSource {
  getMetricsAsArray(): object[];
}
interface PromMetric {
  name: string;
  help: string;
  type: string;
  values: PromValue[];
}

/** What a delta is taken from: the last collection's value of a series. */
interface Previous {
  at: number;
  value: number;
  count: number;
  counts: number[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** A series' identity: its label values in label-name order (prom-client's own labels excluded). */
function seriesKey(labels: Labels, skip: string): string {
  let key = '';
  for (const name of Object.keys(labels).sort())
    if (name !== skip) key += `${name}\u0000${String(labels[name])}\u0001`;
  return key;
}

function without(labels: Labels, skip: string): Labels {
  const out: Labels = {};
  for (const name in labels) if (name !== skip) out[name] = labels[name]!;
  return out;
}

/**
 * Reads prom-client's registry as OTLP metric data: counters as monotonic Sums, gauges as
 * Gauges, histograms as explicit-bucket Histograms (with the exemplars recorded since the last
 * collection), summaries as Summaries. Cumulative values start at the process's start (when
 * every prom-client metric was zero); with `delta`, counters and histograms are the change since
 * the previous collection, computed here (a series that went down was reset: its value is the
 * delta). The registry's default labels are left out: the resource carries the service identity.
 */
export class RegistryReader {
  private readonly origin = Math.round(performance.timeOrigin);
  private readonly previous = new Map<string, Previous>();
  private lastCollection = 0;

  constructor(
    private readonly registry: MetricSource,
    private readonly delta: boolean,
  ) {}

  async collect(): Promise<MetricData[]> {
    const now = Date.now();
    const since = this.lastCollection;
    this.lastCollection = now;
    const out: MetricData[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      let data: PromMetric;
      try {
        data = (await (metric as { get(): Promise<unknown> }).get()) as PromMetric;
      } catch {
        continue; // an app's collect() that throws costs its own metric only
      }
      const m = this.convert(data, now, since);
      if (m !== undefined && m.points.length > 0) out.push(m);
    }
    return out;
  }

  private convert(m: PromMetric, now: number, since: number): MetricData | undefined {
    const description = m.help;
    if (m.type === 'gauge')
      return {
        name: m.name,
        description,
        kind: 'gauge',
        points: m.values.map((v) => ({
          attributes: v.labels,
          start: 0,
          time: now,
          value: v.value,
        })),
      };
    if (m.type === 'counter') {
      // OTel names a monotonic sum without `_total`; Prometheus-side translation adds it back.
      const name = m.name.endsWith('_total') ? m.name.slice(0, -6) : m.name;
      const points: NumberPoint[] = m.values.map((v) => {
        const key = `${name}\u0002${seriesKey(v.labels, '')}`;
        const [start, value] = this.since(key, now, v.value, v.value, []);
        return { attributes: v.labels, start, time: now, value };
      });
      return { name, description, kind: 'sum', delta: this.delta, points };
    }
    if (m.type === 'histogram')
      return {
        name: m.name,
        description,
        kind: 'histogram',
        delta: this.delta,
        points: this.histogramPoints(m, now, since),
      };
    if (m.type === 'summary')
      return {
        name: m.name,
        description,
        kind: 'summary',
        points: summaryPoints(m, this.origin, now),
      };
    return undefined;
  }

  /**
   * [start, value, count, counts] of a series: as they are (cumulative), or minus the previous
   * collection's (delta), remembering this collection's. A count that went down means the
   * series was reset (a histogram's sum may go down with negative values, so counts decide).
   */
  private since(
    key: string,
    now: number,
    value: number,
    count: number,
    counts: number[],
  ): [number, number, number, number[]] {
    if (!this.delta) return [this.origin, value, count, counts];
    const prev = this.previous.get(key);
    this.previous.set(key, { at: now, value, count, counts });
    // A series seen for the first time, or reset (it went down), counts from its start.
    if (prev === undefined || count < prev.count)
      return [prev?.at ?? this.origin, value, count, counts];
    return [
      prev.at,
      value - prev.value,
      count - prev.count,
      counts.map((c, i) => c - (prev.counts[i] ?? 0)),
    ];
  }

  private histogramPoints(m: PromMetric, now: number, since: number): HistogramPoint[] {
    const bucket = `${m.name}_bucket`;
    const series = new Map<
      string,
      {
        labels: Labels;
        bounds: number[];
        cumulative: number[];
        sum: number;
        count: number;
        exemplars: ExemplarData[];
      }
    >();
    for (const v of m.values) {
      const key = seriesKey(v.labels, 'le');
      let s = series.get(key);
      if (s === undefined) {
        s = {
          labels: without(v.labels, 'le'),
          bounds: [],
          cumulative: [],
          sum: 0,
          count: 0,
          exemplars: [],
        };
        series.set(key, s);
      }
      if (v.metricName === bucket) {
        const le = v.labels.le;
        if (le !== '+Inf') {
          s.bounds.push(Number(le));
          s.cumulative.push(v.value);
        }
        const e = exemplarOf(v, since);
        if (e !== undefined) s.exemplars.push(e);
      } else if (v.metricName === `${m.name}_sum`) s.sum = v.value;
      else if (v.metricName === `${m.name}_count`) s.count = v.value;
    }
    const out: HistogramPoint[] = [];
    for (const [key, s] of series) {
      // prom-client's buckets are cumulative; OTLP's are per bucket, +Inf last.
      const counts = s.cumulative.map((c, i) => c - (i > 0 ? s.cumulative[i - 1]! : 0));
      counts.push(s.count - (s.cumulative[s.cumulative.length - 1] ?? 0));
      const [start, sum, count, delta] = this.since(
        `${m.name}\u0002${key}`,
        now,
        s.sum,
        s.count,
        counts,
      );
      out.push({
        attributes: s.labels,
        start,
        time: now,
        count,
        sum,
        bounds: s.bounds,
        counts: delta,
        exemplars: s.exemplars,
      });
    }
    return out;
  }
}

/** A bucket's exemplar, if it was recorded since the last collection. */
function exemplarOf(v: PromValue, since: number): ExemplarData | undefined {
  const e = v.exemplar;
  if (!e || typeof e.value !== 'number' || typeof e.timestamp !== 'number') return undefined;
  const time = e.timestamp * 1000; // prom-client keeps seconds
  if (time <= since) return undefined;
  const { trace_id: traceId, span_id: spanId, ...rest } = e.labelSet ?? {};
  const valid =
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    TRACE_ID.test(traceId) &&
    SPAN_ID.test(spanId);
  return {
    time,
    value: e.value,
    traceId: valid ? traceId : undefined,
    spanId: valid ? spanId : undefined,
    attributes: valid ? rest : (e.labelSet ?? {}),
  };
}

function summaryPoints(m: PromMetric, origin: number, now: number): SummaryPoint[] {
  const series = new Map<string, SummaryPoint>();
  for (const v of m.values) {
    const key = seriesKey(v.labels, 'quantile');
    let p = series.get(key);
    if (p === undefined) {
      p = {
        attributes: without(v.labels, 'quantile'),
        start: origin,
        time: now,
        count: 0,
        sum: 0,
        quantiles: [],
      };
      series.set(key, p);
    }
    if (v.metricName === `${m.name}_sum`) p.sum = v.value;
    else if (v.metricName === `${m.name}_count`) p.count = v.value;
    else if (v.labels.quantile !== undefined)
      p.quantiles.push([Number(v.labels.quantile), v.value]);
  }
  return [...series.values()];
}
