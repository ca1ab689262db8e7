// OTLP severity numbers (logs data model): TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21,
// each followed by three finer steps.
export const BY_TENS: Record<number, number> = { 10: 1, 20: 5, 30: 9, 40: 13, 50: 17, 60: 21 };

/**
 * pino's and bunyan's numeric levels, as their upstream OTel log senders map them: the six
 * standard levels exactly, any other spread over TRACE2..FATAL4 across 10-70.
 */
export function severityOfNumericLevel(level: number): number {
  const exact = BY_TENS[level];
  if (exact !== undefined) return exact;
  const EXTRA = [2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20, 22, 23, 24];
  const i = Math.floor(((level - 10) / 60) * EXTRA.length);
  return EXTRA[Math.min(EXTRA.length - 1, Math.max(0, i))]!;
}
