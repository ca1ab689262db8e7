// The names the dashboards are allowed to query, with their Prometheus type. They come from the
// contract between the SDK, the demo services and the dashboards; test/metrics-scrape.test.ts
// checks every entry against a real /metrics scrape, so a renamed metric fails a test instead of
// silently turning a panel into "No data".

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Where a metric comes from: every instrumented process, or only the demo services' code. */
export type MetricSource = 'sdk' | 'demo';

export interface MetricInfo {
  type: MetricType;
  source: MetricSource;
  /** Services that expose it, when not all of them. */
  only?: readonly string[];
}

export const metrics = {
  // Written by the SDK for every instrumented process.
  http_server_request_duration_seconds: { type: 'histogram', source: 'sdk' },
  http_client_request_duration_seconds: { type: 'histogram', source: 'sdk' },
  process_cpu_seconds_total: { type: 'counter', source: 'sdk' },
  process_resident_memory_bytes: { type: 'gauge', source: 'sdk' },
  process_start_time_seconds: { type: 'gauge', source: 'sdk' },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', source: 'sdk' },
  nodejs_eventloop_lag_mean_seconds: { type: 'gauge', source: 'sdk' },
  nodejs_gc_duration_seconds: { type: 'histogram', source: 'sdk' },
  nodejs_heap_size_used_bytes: { type: 'gauge', source: 'sdk' },
  nodejs_heap_size_total_bytes: { type: 'gauge', source: 'sdk' },
  nodejs_active_handles_total: { type: 'gauge', source: 'sdk' },
  o11y_sdk_spans_dropped_total: { type: 'counter', source: 'sdk' },
  o11y_sdk_log_records_dropped_total: { type: 'counter', source: 'sdk' },
  o11y_sdk_export_failures_total: { type: 'counter', source: 'sdk' },
  // Written by the demo services' own code.
  resilience_circuit_breaker_state: { type: 'gauge', source: 'demo' },
  resilience_retries_total: { type: 'counter', source: 'demo' },
  resilience_rejections_total: { type: 'counter', source: 'demo' },
  rate_limit_rejections_total: { type: 'counter', source: 'demo', only: ['gateway'] },
  saga_outcomes_total: { type: 'counter', source: 'demo', only: ['orders'] },
  saga_compensations_total: { type: 'counter', source: 'demo', only: ['orders'] },
  outbox_pending_events: { type: 'gauge', source: 'demo', only: ['orders'] },
  messages_consumed_total: { type: 'counter', source: 'demo' },
  messaging_dead_letter_messages: { type: 'gauge', source: 'demo', only: ['orders', 'shipping'] },
  payments_fault_error_rate: { type: 'gauge', source: 'demo', only: ['payments'] },
  payments_fault_latency_seconds: { type: 'gauge', source: 'demo', only: ['payments'] },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof metrics;

const histogramSuffixes = ['_bucket', '_count', '_sum'] as const;

/**
 * The catalog entry a series name in a query belongs to (a histogram's `_bucket`, `_count` and
 * `_sum` series belong to the histogram), or undefined when the name is not in the catalog.
 */
export function metricOfSeries(series: string): { name: MetricName; info: MetricInfo } | undefined {
  const table: Record<string, MetricInfo> = metrics;
  const direct = table[series];
  if (direct) return { name: series as MetricName, info: direct };
  for (const suffix of histogramSuffixes) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    const info = table[base];
    if (info?.type === 'histogram') return { name: base as MetricName, info };
  }
  return undefined;
}

/** True for series whose value only grows: they mean something only under rate() or increase(). */
export function isCumulative(series: string): boolean {
  const found = metricOfSeries(series);
  if (!found) return false;
  return (
    found.info.type === 'counter' || (found.info.type === 'histogram' && series !== found.name)
  );
}
