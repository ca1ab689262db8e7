import type { SpanContext } from '@opentelemetry/api';

// W3C Trace Context Level 2 `traceparent`, parsed with one pass over char codes: it runs on every
// request the app serves, and a regular expression plus its match array cost more than the scan.

/** The flags this version knows (sampled 0x01, random trace id 0x02); others are sent as zero. */
export const KNOWN_FLAGS = 0x03;
/** `00-<32 hex>-<16 hex>-<2 hex>`: the exact length of a version 00 header. */
const V00_LENGTH = 55;

/** 0-15 for a lowercase hex digit, -1 otherwise (the spec's HEXDIGLC: no uppercase). */
function hex(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Whether `s[from, from + n)` is lowercase hex and not all zeros (ids must not be zero). */
function nonZeroHex(s: string, from: number, n: number): boolean {
  let any = 0;
  for (let i = from; i < from + n; i++) {
    const d = hex(s.charCodeAt(i));
    if (d < 0) return false;
    any |= d;
  }
  return any !== 0;
}

function isOws(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The remote span context in a `traceparent` value, or undefined when the header must be ignored
 * (the trace restarts). Future versions are read as far as version 00 defines them.
 */
export function parseTraceParent(header: string): SpanContext | undefined {
  let start = 0;
  let end = header.length;
  // Leading and trailing OWS around a header value are not part of it (RFC 9110).
  while (start < end && isOws(header.charCodeAt(start))) start++;
  while (end > start && isOws(header.charCodeAt(end - 1))) end--;
  const length = end - start;
  if (length < V00_LENGTH) return undefined;
  const v1 = hex(header.charCodeAt(start));
  const v2 = hex(header.charCodeAt(start + 1));
  if (v1 < 0 || v2 < 0) return undefined;
  const version = v1 * 16 + v2;
  if (version === 0xff) return undefined; // forbidden
  // Version 00 has exactly four fields; a later version may append `-<more>`.
  if (
    version === 0
      ? length !== V00_LENGTH
      : length > V00_LENGTH && header.charCodeAt(start + V00_LENGTH) !== 45
  )
    return undefined;
  if (
    header.charCodeAt(start + 2) !== 45 ||
    header.charCodeAt(start + 35) !== 45 ||
    header.charCodeAt(start + 52) !== 45
  )
    return undefined;
  if (!nonZeroHex(header, start + 3, 32) || !nonZeroHex(header, start + 36, 16)) return undefined;
  const f1 = hex(header.charCodeAt(start + 53));
  const f2 = hex(header.charCodeAt(start + 54));
  if (f1 < 0 || f2 < 0) return undefined;
  return {
    traceId: header.slice(start + 3, start + 35),
    spanId: header.slice(start + 36, start + 52),
    traceFlags: (f1 * 16 + f2) & KNOWN_FLAGS,
    isRemote: true,
  };
}

const FLAGS = ['00', '01', '02', '03'];

/** The version 00 `traceparent` of a valid span context, unknown flags zeroed. */
export function formatTraceParent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${FLAGS[traceFlags & KNOWN_FLAGS]!}`;
}
