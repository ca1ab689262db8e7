import type { Config } from './options';
import { bad, intEnv, raw, type Env } from './env-values';
import { warnOnce } from './warn';

/** OTEL_METRICS_EXPORTER: a list of prometheus, otlp, none; unset means prometheus. */
export function metricsExporters(value: string | undefined): Set<'prometheus' | 'otlp'> {
  const out = new Set<'prometheus' | 'otlp'>();
  if (value === undefined) return out.add('prometheus');
  let none = false;
  for (const name of value.split(',').map((n) => n.trim().toLowerCase())) {
    if (name === 'prometheus' || name === 'otlp') out.add(name);
    else if (name === 'none') none = true;
    else if (name !== '')
      warnOnce(
        `env:OTEL_METRICS_EXPORTER:${name}`,
        `OTEL_METRICS_EXPORTER names unsupported exporter ${JSON.stringify(name)} (supported: prometheus, otlp, none); ignoring it`,
      );
  }
  // `none` with nothing else turns metrics export off; an unusable list keeps the default.
  if (out.size === 0 && !none) out.add('prometheus');
  return out;
}

const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;

/** The OTLP metrics push's settings (OTEL_METRIC_EXPORT_*, OTEL_EXPORTER_OTLP_METRICS_*). */
export function metricsPushConfig(env: Env, url: string): Config['metricsPush'] {
  const intervalMillis = intEnv(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60000, 1, 86_400_000);
  let timeoutMillis = intEnv(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30000, 1, 86_400_000);
  if (timeoutMillis > intervalMillis) {
    // An export must end before the next one starts (upstream's reader refuses such a pair).
    bad(
      'OTEL_METRIC_EXPORT_TIMEOUT',
      String(timeoutMillis),
      intervalMillis,
      'longer than OTEL_METRIC_EXPORT_INTERVAL',
    );
    timeoutMillis = intervalMillis;
  }
  let temporality: (typeof TEMPORALITIES)[number] = 'cumulative';
  const t = raw(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (t !== undefined) {
    const l = t.toLowerCase();
    if ((TEMPORALITIES as readonly string[]).includes(l)) temporality = l as typeof temporality;
    else
      bad(
        'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
        t,
        temporality,
        `supported: ${TEMPORALITIES.join(', ')}`,
      );
  }
  const p =
    raw(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ?? raw(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (p !== undefined && p !== 'http/protobuf')
    bad(
      raw(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') !== undefined
        ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'
        : 'OTEL_EXPORTER_OTLP_PROTOCOL',
      p,
      'http/protobuf for metrics',
      'metrics are pushed in http/protobuf only',
    );
  // lowmemory: delta for synchronous counters and histograms, which are all prom-client has.
  return { url, intervalMillis, timeoutMillis, delta: temporality !== 'cumulative' };
}
