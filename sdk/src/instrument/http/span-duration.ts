import type { Span } from '@opentelemetry/api';

/**
 * The duration, in seconds, of a span that has just ended, read from the span itself (the
 * difference of the end and start times it exports), so that a histogram observation and the
 * span its exemplar points to show the same time. A span that records nothing (not sampled)
 * has none: then the time since `start` (performance.now() at the span's start).
 */
export function spanSeconds(span: Span, start: number): number {
  const d = (span as { duration?: [number, number] }).duration;
  if (d !== undefined && d[0] >= 0) return d[0] + d[1] / 1e9;
  return (performance.now() - start) / 1000;
}
