import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Plays the W3C Trace Context test suite's harness (w3c/trace-context test/): sends a request
// with chosen headers to the service under test, asking it to call back here, and returns the
// headers of each callback exactly as they arrived (names, order, duplicates).

/** Raw header pairs, as sent or received: [name, value][]. */
export type Headers = [string, string][];

export class TraceContextHarness {
  private server: Server | undefined;
  private port = 0;
  private readonly callbacks = new Map<string, Headers>();
  /** The headers of the service's answer to the last `send`. */
  response: Record<string, string | string[] | undefined> = {};

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.callbacks.set(req.url ?? '', pairs(req));
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('null'));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /**
   * POSTs `headers` (sent as separate fields, in order, names as given) to `service`, asking
   * for `count` callbacks; returns the headers of each callback, in order.
   */
  async send(service: string, headers: Headers, count = 1): Promise<Headers[]> {
    const scope = randomUUID();
    const urls = Array.from(
      { length: count },
      (_, i) => `http://127.0.0.1:${this.port}/${scope}.${i}`,
    );
    const body = JSON.stringify(urls.map((url) => ({ url, arguments: [] })));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        service,
        {
          method: 'POST',
          headers: {
            ...fields(headers),
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          this.response = res.headers;
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 200) throw new Error(`service answered ${status}`);
    return urls.map((url) => {
      const path = new URL(url).pathname;
      const got = this.callbacks.get(path);
      this.callbacks.delete(path);
      if (got === undefined) throw new Error(`the service made no callback to ${path}`);
      return got;
    });
  }
}

/** Names as given; a repeated name becomes an array, which Node sends as separate fields in order. */
function fields(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers) (out[name] ??= []).push(value);
  return out;
}

function pairs(req: IncomingMessage): Headers {
  const out: Headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    out.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return out;
}

export interface Traceparent {
  traceId: string;
  parentId: string;
  flags: number;
}

/** The one traceparent of a callback, version 00 with valid ids; throws otherwise, as the suite does. */
export function traceparentOf(headers: Headers): Traceparent {
  const values = headers.filter(([k]) => k.toLowerCase() === 'traceparent').map(([, v]) => v);
  if (values.length !== 1) throw new Error(`expected one traceparent, got ${values.length}`);
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(values[0]!);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!))
    throw new Error(`invalid traceparent ${values[0]}`);
  return { traceId: m[1]!, parentId: m[2]!, flags: parseInt(m[3]!, 16) };
}

const MEMBER =
  /^([0-9a-z][_0-9a-z\-*/@]{0,255})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$/;

/**
 * Every tracestate field of a callback combined into key -> value (first occurrence wins), in
 * order; a member outside the grammar throws, since sending one on is a failure in itself.
 */
export function tracestateOf(headers: Headers): Map<string, string> {
  const state = new Map<string, string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'tracestate') continue;
    for (const member of value.split(/[ \t]*,[ \t]*/)) {
      if (member === '') continue;
      const m = MEMBER.exec(member);
      if (!m) throw new Error(`illegal tracestate member ${JSON.stringify(member)}`);
      if (!state.has(m[1]!)) state.set(m[1]!, m[2]!);
    }
  }
  return state;
}

/** The raw tracestate fields of a callback (to check that no empty one is sent). */
export function tracestateFields(headers: Headers): string[] {
  return headers.filter(([k]) => k.toLowerCase() === 'tracestate').map(([, v]) => v);
}

/** The fixture service needs no exporter: what is under test is what it sends downstream. */
export const SERVICE_ENV = {
  OTEL_TRACES_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_METRICS_EXPORTER: 'none',
};

/** Both ways the fixture forwards: fetch (undici) and http.request. */
export const CLIENTS = ['fetch', 'http'] as const;
