// HTTP methods the SDK reports as they are; any other becomes `_OTHER` (stable HTTP semantic
// conventions), so that a client cannot mint metric series or span names with made-up methods.
// The default set is semconv 1.38's: RFC 9110's methods, PATCH (RFC 5789) and QUERY.
// OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces it entirely (a comma-separated,
// case-sensitive list), read once when the SDK loads.

const DEFAULT_METHODS = 'GET,HEAD,POST,PUT,DELETE,CONNECT,OPTIONS,TRACE,PATCH,QUERY';

/** The known methods from `value` (the variable's text); empty or unset means the default set. */
export function parseKnownMethods(value: string | undefined): Set<string> {
  const list = value === undefined || value.trim() === '' ? DEFAULT_METHODS : value;
  const methods = new Set<string>();
  for (const part of list.split(',')) {
    const method = part.trim();
    if (method !== '') methods.add(method);
  }
  return methods;
}

const KNOWN = parseKnownMethods(process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS);

/** `http.request.method`: a known method as it is (case-sensitive), anything else `_OTHER`. */
export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'GET';
  return KNOWN.has(method) ? method : '_OTHER';
}

/** The `{method}` part of a span name: `HTTP` for a method reported as `_OTHER`. */
export function spanMethod(label: string): string {
  return label === '_OTHER' ? 'HTTP' : label;
}
