import { rateLimitedWarner } from '../config/warn';
import { selfMetrics } from '../metrics/registry';

/** One warning per minute at most while a backend stays unreachable. */
export const exportWarning = rateLimitedWarner(60_000);
let lastFailureAt = 0;

/** Whether an export failed in the last few seconds (its error was already reported). */
export function exportFailedRecently(): boolean {
  return Date.now() - lastFailureAt < 10_000;
}

/** Records a failed export in the self-metrics and warns at a bounded rate. */
export function reportExportFailure(
  signal: 'traces' | 'logs' | 'metrics',
  url: string,
  error: unknown,
): void {
  lastFailureAt = Date.now();
  selfMetrics.exportFailures.inc({ signal });
  const why =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  exportWarning(
    `export:${signal}`,
    `${signal} export to ${url} failed (${why}); the app is unaffected, telemetry is dropped while this lasts (repeated at most once a minute)`,
  );
}
