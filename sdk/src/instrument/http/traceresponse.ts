import type { Span } from '@opentelemetry/api';

const HEX = ['00', '01'];

function flagsHex(flags: number): string {
  return HEX[flags] ?? flags.toString(16).padStart(2, '0');
}

/** `traceresponse` value (W3C Trace Context level 2) for a span. */
export function traceresponse(span: Span): string {
  const sc = span.spanContext();
  return `00-${sc.traceId}-${sc.spanId}-${flagsHex(sc.traceFlags)}`;
}
