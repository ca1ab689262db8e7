import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RedHistogram } from './red-histogram';
import type {
  LabelValues,
  OpenMetricsContentType,
  CounterConfiguration,
  GaugeConfiguration,
  HistogramConfiguration,
  Metric,
} from 'prom-client';

/** OTel HTTP semantic-convention buckets, in seconds. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

// One registry per process even if two copies of the SDK are loaded (a preloaded one and an
// app's own), so that every metric is served by whichever copy started.
const REGISTRY = Symbol.for('@o11y/sdk.registry');
const shared = globalThis as { [REGISTRY]?: Registry<OpenMetricsContentType> };

function createRegistry(): Registry<OpenMetricsContentType> {
  const r = new Registry<OpenMetricsContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return r;
}

/** The SDK's prom-client registry; OpenMetrics so that exemplars are served. */
export const registry: Registry<OpenMetricsContentType> = (shared[REGISTRY] ??= createRegistry());

let runtimeStarted = false;

/** Labels every series with the service identity and starts prom-client's runtime metrics once. */
/** The service's labels on every series; one left out is absent (prom-client would print `undefined`). */
export function initRegistry(labels: {
  service_name: string;
  service_version?: string;
  deployment_environment?: string;
}): void {
  registry.setDefaultLabels(labels);
  if (!runtimeStarted) {
    runtimeStarted = true;
    collectDefaultMetrics({ register: registry });
  }
}

function existing<T extends Metric>(
  name: string,
  kind: new (...args: never[]) => T,
): T | undefined {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return undefined;
  // Another copy of prom-client makes instanceof fail for the same kind of metric.
  if (m instanceof kind || m.constructor.name === kind.name) return m as T;
  throw new TypeError(`metric ${name} already exists with another type`);
}

/** Options for {@link metrics}.counter. */
export type CounterOptions<L extends string> = Omit<CounterConfiguration<L>, 'registers'>;
/** Options for {@link metrics}.histogram. */
export type HistogramOptions<L extends string> = Omit<HistogramConfiguration<L>, 'registers'>;
/** Options for {@link metrics}.gauge. */
export type GaugeOptions<L extends string> = Omit<GaugeConfiguration<L>, 'registers'>;

/**
 * Creates metrics in the SDK's registry, so they carry `service_name`, `service_version` and
 * `deployment_environment` and are served with everything else. Asking twice for the same
 * name returns the metric created first.
 */
export const metrics = {
  /** A prom-client Counter (name should end in `_total`). */
  counter<L extends string = string>(options: CounterOptions<L>): Counter<L> {
    return (
      existing(options.name, Counter<L>) ?? new Counter<L>({ ...options, registers: [registry] })
    );
  },
  /** A prom-client Histogram; exemplars are enabled when `enableExemplars` is set. */
  histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L> {
    return (
      existing(options.name, Histogram<L>) ??
      new Histogram<L>({ ...options, registers: [registry] })
    );
  },
  /** A prom-client Gauge; `collect` runs on every scrape. */
  gauge<L extends string = string>(options: GaugeOptions<L>): Gauge<L> {
    return existing(options.name, Gauge<L>) ?? new Gauge<L>({ ...options, registers: [registry] });
  },
  /** The registry itself, for anything the helpers above do not cover. */
  registry,
  /** Express/Node handler serving the registry in OpenMetrics format; mount it at `/metrics`. */
  handler: metricsHandler,
};

/** A `(req, res)` handler serving the SDK's registry; works as an express route or a plain http handler. */
export function metricsHandler(_req: unknown, res: import('node:http').ServerResponse): void {
  registry
    .metrics()
    .then((body) => {
      res.statusCode = 200;
      res.setHeader('Content-Type', registry.contentType);
      res.end(body);
    })
    .catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
}

/** The SDK's own health counters (read by the benchmark and by dashboards). */
export const selfMetrics = {
  spansDropped: metrics.counter({
    name: 'o11y_sdk_spans_dropped_total',
    help: 'Spans dropped by the SDK because the export queue was full.',
  }),
  logRecordsDropped: metrics.counter({
    name: 'o11y_sdk_log_records_dropped_total',
    help: 'Log records dropped before export.',
  }),
  exportFailures: metrics.counter({
    name: 'o11y_sdk_export_failures_total',
    help: 'Failed export attempts by signal.',
    labelNames: ['signal'] as const,
  }),
};
selfMetrics.exportFailures.inc({ signal: 'traces' }, 0);
selfMetrics.exportFailures.inc({ signal: 'logs' }, 0);

/** What the SDK's own request histograms are recorded through. */
export interface RequestHistogram<L extends string> {
  /** `key` names the series (the label values joined); `exemplar` only for sampled traces. */
  record(
    key: string,
    labels: LabelValues<L>,
    value: number,
    exemplar: Record<string, string> | undefined,
  ): void;
}

/**
 * A {@link RedHistogram} in the registry, or, when another copy of the SDK registered the
 * metric first, that copy's histogram recorded through its standard observe().
 */
function requestHistogram<L extends string>(options: HistogramOptions<L>): RequestHistogram<L> {
  const found = registry.getSingleMetric(options.name) as Partial<RequestHistogram<L>> | undefined;
  if (found === undefined) return new RedHistogram<L>({ ...options, registers: [registry] });
  if (typeof found.record === 'function') return found as RequestHistogram<L>;
  const h = existing(options.name, Histogram<L>) as Histogram<L>;
  return {
    record: (_key, labels, value, exemplar) =>
      options.enableExemplars
        ? h.observe({ labels, value, exemplarLabels: (exemplar ?? {}) as never })
        : h.observe(labels, value),
  };
}

// Labels: the stable HTTP semantic conventions' required and conditionally required attributes
// of http.server.request.duration and http.client.request.duration. A label a request does not
// have (no status code for a response never sent, no error type for a success) is left out of
// its series rather than given an invented value.

/** Inbound request duration: the R, E and D of RED. */
export const serverDuration = requestHistogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of inbound HTTP requests.',
  labelNames: [
    'http_request_method',
    'http_route',
    'http_response_status_code',
    'url_scheme',
    'error_type',
  ] as const,
  buckets: HTTP_DURATION_BUCKETS,
  enableExemplars: true,
});

/** Outbound request duration, per remote host and port. */
export const clientDuration = requestHistogram({
  name: 'http_client_request_duration_seconds',
  help: 'Duration of outbound HTTP requests.',
  labelNames: [
    'http_request_method',
    'server_address',
    'server_port',
    'http_response_status_code',
    'error_type',
  ] as const,
  buckets: HTTP_DURATION_BUCKETS,
});
