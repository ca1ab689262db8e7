import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { gzip } from 'node:zlib';

// The OTLP/HTTP exporters' own transport (otlp-exporter-base's retrying HTTP transport) keeps a
// finished process alive: its request sockets and its retry timers are referenced, a collector
// that never answers holds each export for OTEL_EXPORTER_OTLP_TIMEOUT (10 s), and none of it can
// be cancelled. That is what made an app's exit wait tens of seconds after shutdown() had given
// up. This transport keeps the same contract (same retry policy, status codes, timeouts,
// compression and headers) but its sockets and timers never hold the process, and a shutdown
// cancels every export still in flight.

/** What the export delegate expects back (otlp-exporter-base's ExportResponse). */
export type ExportResponse =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: Error }
  | { status: 'retryable'; retryInMillis?: number; error?: Error };

/** The settings otlp-exporter-base resolves from options, OTEL_EXPORTER_OTLP_* and defaults. */
export interface HttpExportSettings {
  url: string;
  headers: () => Promise<Record<string, string>> | Record<string, string>;
  compression?: string;
  agentFactory: (protocol: string) => Promise<Agent> | Agent;
  userAgent?: string;
}

type RequestFn = (
  url: URL,
  options: RequestOptions,
  cb: (res: IncomingMessage) => void,
) => ClientRequest;

// Upstream's retry policy: five retries, exponential backoff with jitter, within the timeout.
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const USER_AGENT = 'OTel-OTLP-Exporter-JavaScript (@o11y/sdk)';

// Shared by every transport of this thread: shutdown cancels them all at once.
let closed = false;
const pending = new Set<() => void>();
const CANCELLED: ExportResponse = {
  status: 'failure',
  error: new Error('no answer from the collector within the shutdown deadline'),
};

/**
 * Ends every export in flight or waiting to retry (they fail, their records are dropped).
 * `permanently` (shutdown): any later export fails at once too.
 */
export function cancelExports(permanently = false): void {
  if (permanently) closed = true;
  for (const cancel of [...pending]) cancel();
}

/** `Retry-After` as milliseconds: seconds or an HTTP date (upstream's reading). */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : 0;
  const delay = new Date(value).getTime() - Date.now();
  return Number.isNaN(delay) ? undefined : Math.max(delay, 0);
}

/** Resolves true after `ms`, or false as soon as exports are cancelled; never holds the process. */
function pause(ms: number): Promise<boolean> {
  if (closed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const cancel = () => {
      clearTimeout(timer);
      pending.delete(cancel);
      resolve(false);
    };
    const timer = setTimeout(() => {
      pending.delete(cancel);
      resolve(true);
    }, ms).unref();
    pending.add(cancel);
  });
}

/** Sends OTLP request bodies over HTTP(S) for one endpoint. */
export class HttpExportTransport {
  private readonly url: URL;
  private client: Promise<{ agent: Agent; request: RequestFn }> | undefined;

  constructor(private readonly settings: HttpExportSettings) {
    this.url = new URL(settings.url);
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let client: { agent: Agent; request: RequestFn };
    let headers: Record<string, string>;
    let body: Uint8Array;
    try {
      [client, headers, body] = await Promise.all([
        (this.client ??= this.loadClient()),
        Promise.resolve(this.settings.headers()),
        this.settings.compression === 'gzip' ? gzipped(data) : data,
      ]);
    } catch (error) {
      return { status: 'failure', error: error as Error };
    }
    headers = { ...headers, 'Content-Length': String(body.byteLength) };
    if (this.settings.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    headers['User-Agent'] = this.settings.userAgent
      ? `${this.settings.userAgent} ${USER_AGENT}`
      : USER_AGENT;
    let result = await this.attempt(client, headers, body, timeoutMillis);
    let backoff = INITIAL_BACKOFF_MS;
    for (let retries = MAX_RETRIES; result.status === 'retryable' && retries > 0; retries--) {
      const jitter = Math.random() * 2 * JITTER - JITTER;
      const wait = result.retryInMillis ?? Math.min(backoff * (1 + jitter), MAX_BACKOFF_MS);
      backoff *= BACKOFF_MULTIPLIER;
      if (wait > deadline - Date.now()) break;
      if (!(await pause(wait))) return CANCELLED;
      result = await this.attempt(client, headers, body, deadline - Date.now());
    }
    return result;
  }

  shutdown(): void {
    // Nothing to release: sockets are the agent's, and unreferenced.
  }

  private async loadClient(): Promise<{ agent: Agent; request: RequestFn }> {
    const https = this.url.protocol === 'https:';
    const [agent, mod] = await Promise.all([
      this.settings.agentFactory(this.url.protocol),
      https ? import('node:https') : import('node:http'),
    ]);
    return { agent, request: mod.request };
  }

  /** One HTTP request; resolves with its outcome, never rejects. */
  private attempt(
    client: { agent: Agent; request: RequestFn },
    headers: Record<string, string>,
    body: Uint8Array,
    timeoutMillis: number,
  ): Promise<ExportResponse> {
    if (closed) return Promise.resolve(CANCELLED);
    return new Promise<ExportResponse>((resolve) => {
      let req: ClientRequest | undefined;
      const settle = (result: ExportResponse) => {
        pending.delete(cancel);
        resolve(result); // later calls are no-ops
      };
      const cancel = () => {
        req?.destroy();
        settle(CANCELLED);
      };
      pending.add(cancel);
      try {
        req = client.request(this.url, { method: 'POST', headers, agent: client.agent }, (res) =>
          readResponse(res, settle),
        );
      } catch (error) {
        settle({ status: 'failure', error: error as Error });
        return;
      }
      // A socket of an export never keeps the process alive; the exit flush's deadline does.
      req.on('socket', (socket) => socket.unref());
      req.setTimeout(Math.max(timeoutMillis, 1), () => {
        req?.destroy();
        settle({ status: 'retryable', error: new Error('Request timed out') });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle(
          RETRYABLE_CODES.has(error.code ?? '')
            ? { status: 'retryable', error }
            : { status: 'failure', error },
        ),
      );
      req.end(body);
    });
  }
}

function gzipped(data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    gzip(data, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

function readResponse(res: IncomingMessage, settle: (r: ExportResponse) => void): void {
  const status = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      settle({ status: 'failure', error: new Error('OTLP export response body too large') });
      res.destroy();
      return;
    }
    chunks.push(chunk);
  });
  const outcome = (error?: Error): ExportResponse => {
    if (status >= 200 && status <= 299) return { status: 'success', data: Buffer.concat(chunks) };
    if (RETRYABLE_STATUS.has(status)) {
      const after = res.headers['retry-after'];
      return { status: 'retryable', retryInMillis: retryAfterMs(after), error };
    }
    return {
      status: 'failure',
      error: error ?? new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()),
    };
  };
  res.on('end', () => settle(outcome()));
  res.on('error', (error) => settle(outcome(error)));
}
