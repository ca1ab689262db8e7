import { redactQuery } from './redact-query';

/** `example.com:8080` -> ['example.com', 8080]; `[::1]` -> ['::1', defaultPort]. */
export function hostAndPort(authority: string, defaultPort: number): [string, number] {
  const colon = authority.lastIndexOf(':');
  const bracket = authority.lastIndexOf(']');
  let host = authority;
  let port = defaultPort;
  if (colon > bracket) {
    host = authority.slice(0, colon);
    port = Number(authority.slice(colon + 1)) || defaultPort;
  }
  if (host.startsWith('[')) host = host.slice(1, -1);
  return [host, port];
}

/** `url.full` of an outbound request, credentials in the query redacted like `url.query`. */
export function fullUrl(origin: string, path: string): string {
  const q = path.indexOf('?');
  return q < 0
    ? `${origin}${path}`
    : `${origin}${path.slice(0, q + 1)}${redactQuery(path.slice(q + 1))}`;
}
