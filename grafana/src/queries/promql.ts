// PromQL composition for the dashboards. Everything here queries the raw metrics (not the
// recording rules) so the dashboards work against a Prometheus without the rules loaded, and
// every expression ends in a fallback so a healthy but idle service shows 0 instead of "No data".

export const RATE = '$__rate_interval';

/** `name{matchers}`; matchers are written as PromQL, e.g. `service_name="$service"`. */
export function series(name: string, ...matchers: string[]): string {
  const present = matchers.filter((m) => m.length > 0);
  return present.length > 0 ? `${name}{${present.join(', ')}}` : name;
}

export function rate(selector: string, window = RATE): string {
  return `rate(${selector}[${window}])`;
}

export function increase(selector: string, window: string): string {
  return `increase(${selector}[${window}])`;
}

function by(labels: readonly string[]): string {
  return labels.length > 0 ? ` by (${labels.join(', ')})` : '';
}

export function sum(expr: string, labels: readonly string[] = []): string {
  return `sum${by(labels)} (${expr})`;
}

/**
 * The fallback that turns "no series" into 0. Without grouping labels a plain `vector(0)` is
 * enough. With them, `0 * <reference>` first gives a zero to each label set the reference knows
 * (e.g. a route that served requests earlier but none now), then `or on() vector(0)` adds one
 * unlabelled zero only when nothing at all matched: `on()` makes it match any left-hand series,
 * where a bare `or vector(0)` would add a stray zero series next to real ones.
 */
export function orZero(expr: string, labels: readonly string[] = [], reference?: string): string {
  if (labels.length === 0) return `${expr} or vector(0)`;
  const known = reference === undefined ? '' : ` or (0 * ${reference})`;
  return `${expr}${known} or on() vector(0)`;
}

/** Requests (or calls) per second of a histogram, summed by `labels`. */
export function requestRate(
  histogram: string,
  matchers: string[],
  labels: readonly string[] = [],
): string {
  const total = sum(rate(series(`${histogram}_count`, ...matchers)), labels);
  return orZero(total, labels);
}

/**
 * Share of requests that failed with a 5xx, 0..1, summed by `labels`. The denominator is kept
 * only where it is above 0, so an idle service gives 0 (the fallback) rather than NaN (0/0).
 */
export function errorRatio(
  histogram: string,
  matchers: string[],
  labels: readonly string[] = [],
): string {
  const failed = sum(
    rate(series(`${histogram}_count`, ...matchers, 'http_response_status_code=~"5.."')),
    labels,
  );
  const total = sum(rate(series(`${histogram}_count`, ...matchers)), labels);
  const numerator =
    labels.length === 0 ? `(${failed} or vector(0))` : `(${failed} or (0 * ${total}))`;
  return orZero(`${numerator} / (${total} > 0)`, labels, total);
}

/**
 * A latency quantile from a classic histogram. `le` stays in the grouping (the quantile needs it);
 * `>= 0` drops the NaN an idle histogram yields, so the fallback applies.
 */
export function quantile(
  q: number,
  histogram: string,
  matchers: string[],
  labels: readonly string[] = [],
): string {
  const buckets = sum(rate(series(`${histogram}_bucket`, ...matchers)), ['le', ...labels]);
  const total = sum(rate(series(`${histogram}_count`, ...matchers)), labels);
  return orZero(`histogram_quantile(${q}, ${buckets}) >= 0`, labels, total);
}

/** A gauge aggregated with `op` by `labels`, 0 when no process reports it. */
export function gauge(
  op: 'max' | 'min' | 'sum' | 'avg',
  selector: string,
  labels: readonly string[] = [],
): string {
  return orZero(`${op}${by(labels)} (${selector})`, labels);
}

/** A counter's per-second rate summed by `labels`, with the zero fallback. */
export function counterRate(selector: string, labels: readonly string[] = []): string {
  return orZero(sum(rate(selector), labels), labels);
}
