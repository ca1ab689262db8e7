/**
 * Query parameters whose values are replaced by `REDACTED` in `url.query` and `url.full`
 * (signed-URL credentials; the same list as OpenTelemetry's HTTP instrumentation).
 */
export const REDACTED_QUERY_PARAMS = [
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];
const SENSITIVE = new Set(REDACTED_QUERY_PARAMS);

/** `a=1&sig=abc` -> `a=1&sig=REDACTED`; the string itself when nothing is sensitive. */
export function redactQuery(query: string): string {
  const parts = query.split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (SENSITIVE.has(key)) {
      parts[i] = `${key}=REDACTED`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}
