import type { IncomingHttpHeaders } from 'node:http';

// What a reverse proxy reports about the request it forwarded, so that a server span describes
// the original request rather than the proxy's (stable HTTP semantic conventions): `Forwarded`
// (RFC 7239) first, then `X-Forwarded-For`/`-Host`/`-Proto`. Only the first entry counts: the
// one the proxy nearest the client wrote. Values are checked by scanning their characters;
// anything malformed is ignored, and the scheme is `http` or `https` only, as it labels a metric
// series that a client must not be able to mint. These headers are whatever the client or its
// proxies sent: an address read from them is reported, never trusted.

/** The original request as the proxies describe it; a field is undefined when none said. */
export interface ForwardedOrigin {
  clientAddress: string | undefined;
  host: string | undefined;
  /** The port of `host`, when it had one. */
  port: number | undefined;
  scheme: 'http' | 'https' | undefined;
}

/** What the proxy headers of a request say, or undefined when it has none (no allocation). */
export function forwardedOrigin(headers: IncomingHttpHeaders): ForwardedOrigin | undefined {
  const forwarded = headers.forwarded;
  const xff = headers['x-forwarded-for'];
  const xfh = headers['x-forwarded-host'];
  const xfp = headers['x-forwarded-proto'];
  if (forwarded === undefined && xff === undefined && xfh === undefined && xfp === undefined)
    return undefined;
  const origin: ForwardedOrigin = {
    clientAddress: undefined,
    host: undefined,
    port: undefined,
    scheme: undefined,
  };
  if (typeof forwarded === 'string') readForwarded(forwarded, origin);
  if (origin.clientAddress === undefined && typeof xff === 'string')
    origin.clientAddress = ipAddress(firstEntry(xff));
  if (origin.host === undefined && typeof xfh === 'string') {
    setAuthority(origin, firstEntry(xfh));
  }
  if (origin.scheme === undefined && typeof xfp === 'string')
    origin.scheme = scheme(firstEntry(xfp));
  return origin;
}

/** The first of a comma-separated list, without surrounding whitespace. */
function firstEntry(list: string): string {
  const comma = list.indexOf(',');
  return (comma < 0 ? list : list.slice(0, comma)).trim();
}

function scheme(value: string): 'http' | 'https' | undefined {
  const v = value.toLowerCase();
  return v === 'http' || v === 'https' ? v : undefined;
}

// Character codes.
const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const OPEN = 0x5b;
const BACKSLASH = 0x5c;

/**
 * The `for`, `host` and `proto` of the first element of a `Forwarded` header
 * (`for=192.0.2.60;proto=https;host=example.com, for=10.0.0.1`), into `out`. An element that is
 * not `name=value` pairs separated by `;`, has an unterminated quoted string or names a
 * parameter twice is ignored as a whole.
 */
function readForwarded(value: string, out: ForwardedOrigin): void {
  let forValue: string | undefined;
  let hostValue: string | undefined;
  let protoValue: string | undefined;
  const n = value.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    if (i === nameStart || i >= n || value.charCodeAt(i) !== EQUALS) return;
    const name = value.slice(nameStart, i).toLowerCase();
    i++;
    let v: string;
    if (i < n && value.charCodeAt(i) === QUOTE) {
      let s = '';
      let closed = false;
      for (i++; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c === QUOTE) {
          closed = true;
          i++;
          break;
        }
        if (c === BACKSLASH) i++;
        if (i < n) s += value[i];
      }
      if (!closed) return;
      v = s;
    } else {
      const start = i;
      while (i < n && isTokenChar(value.charCodeAt(i))) i++;
      if (i === start) return;
      v = value.slice(start, i);
    }
    if (name === 'for') {
      if (forValue !== undefined) return;
      forValue = v;
    } else if (name === 'host') {
      if (hostValue !== undefined) return;
      hostValue = v;
    } else if (name === 'proto') {
      if (protoValue !== undefined) return;
      protoValue = v;
    }
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    if (i >= n || value.charCodeAt(i) === COMMA) break;
    if (value.charCodeAt(i) !== SEMICOLON) return;
    i++;
  }
  if (forValue !== undefined) out.clientAddress = nodeAddress(forValue);
  if (hostValue !== undefined) setAuthority(out, hostValue);
  if (protoValue !== undefined) out.scheme = scheme(protoValue);
}

/** RFC 7230 tchar, by character code. */
const TCHAR = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++)
  TCHAR[c] = /[0-9A-Za-z!#$%&'*+\-.^_`|~]/.test(String.fromCharCode(c)) ? 1 : 0;

function isTokenChar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** A Forwarded `for` node (`192.0.2.60`, `"[2001:db8::1]:4711"`): its IP, or undefined for `unknown`, an obfuscated name or a malformed value. */
function nodeAddress(node: string): string | undefined {
  if (node.charCodeAt(0) === OPEN) {
    const close = node.indexOf(']');
    if (close < 0) return undefined;
    const ip = node.slice(1, close);
    return isIPv6(ip) ? ip : undefined;
  }
  const colon = node.indexOf(':');
  const ip = colon < 0 ? node : node.slice(0, colon);
  return isIPv4(ip) ? ip : undefined;
}

/** An X-Forwarded-For entry (`203.0.113.7`, `2001:db8::1`, `203.0.113.7:41234`, `[2001:db8::1]:41234`). */
function ipAddress(entry: string): string | undefined {
  if (entry.charCodeAt(0) === OPEN) return nodeAddress(entry);
  if (isIPv6(entry)) return entry;
  return nodeAddress(entry);
}

function isIPv4(s: string): boolean {
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) digits++;
    else return false;
  }
  return dots === 3 && digits > 0;
}

function isIPv6(s: string): boolean {
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COLON) colons++;
    else if (!isHex(c) && c !== DOT) return false;
  }
  return colons >= 2;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Where the host of an authority (`example.com:8080`, `[::1]:80`) ends, or -1 if it is malformed. */
export function hostEnd(authority: string): number {
  if (authority.charCodeAt(0) === OPEN) {
    const close = authority.indexOf(']');
    return close > 1 && isIPv6(authority.slice(1, close)) ? close + 1 : -1;
  }
  let i = 0;
  for (; i < authority.length; i++) {
    const c = authority.charCodeAt(i);
    if (c === COLON) break;
    // reg-name and IPv4 characters, as Host headers carry them
    if (!(isAlnum(c) || c === 0x2d || c === DOT || c === 0x5f || c === 0x7e)) return -1;
  }
  return i === 0 ? -1 : i;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The host of an authority whose host ends at `end` (brackets of an IPv6 literal removed). */
export function hostAt(authority: string, end: number): string {
  if (authority.charCodeAt(0) === OPEN) return authority.slice(1, end - 1);
  return end === authority.length ? authority : authority.slice(0, end);
}

/** The port after the host ending at `end`: undefined when there is none, -1 when malformed. */
export function portAfter(authority: string, end: number): number | undefined {
  if (end === authority.length) return undefined;
  if (authority.charCodeAt(end) !== COLON) return -1;
  if (end + 1 === authority.length) return undefined; // `host:` means the default port (RFC 3986)
  let port = 0;
  for (let i = end + 1; i < authority.length; i++) {
    const c = authority.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    port = port * 10 + (c - 0x30);
    if (port > 65535) return -1;
  }
  return port === 0 ? -1 : port;
}

/** Sets `out.host`/`out.port` from an authority, unless it is malformed. */
function setAuthority(out: ForwardedOrigin, authority: string): void {
  const end = hostEnd(authority);
  if (end < 0) return;
  const port = portAfter(authority, end);
  if (port === -1) return;
  out.host = hostAt(authority, end);
  out.port = port;
}
