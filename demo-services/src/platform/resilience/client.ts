// JSON over HTTP to another service, always through that dependency's policies, only ever to that
// dependency's own origin.
import { BrokenCircuitError } from 'cockatiel';
import {
  certainlyNotSent,
  createPolicies,
  failureReason,
  isTransient,
  UpstreamStatusError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  type DependencyPolicies,
  type FailureReason,
  type PolicySettings,
} from './policy.js';

export interface UpstreamResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body forwarded as-is (gateway). */
  rawBody?: Buffer;
  headers?: Record<string, string | undefined>;
  /** Idempotent calls are retried; the others go through once (unless never sent). */
  idempotent?: boolean;
  /** Compensating call: retried, never short-circuited by the breaker. */
  compensation?: boolean;
}

/**
 * A call that got no usable answer. `outcomeUnknown` is true when at least one attempt may have
 * reached the dependency (a reset, a timeout, a 5xx): the call may have had its effect, and only
 * the dependency can say whether it did.
 */
export class UpstreamFailure extends Error {
  constructor(
    readonly dependency: string,
    readonly reason: FailureReason,
    readonly outcomeUnknown: boolean,
    override readonly cause: unknown,
  ) {
    super(`${dependency}: ${reason}${cause instanceof Error ? ` (${cause.message})` : ''}`);
  }

  /** The 502/503/504 answer behind a failure, if the dependency gave one. */
  get answer(): UpstreamStatusError | undefined {
    return this.cause instanceof UpstreamStatusError ? this.cause : undefined;
  }
}

const UNAVAILABLE = new Set([502, 503, 504]);

export class ServiceClient {
  readonly policies: DependencyPolicies;
  private readonly origin: string;

  constructor(
    readonly dependency: string,
    baseUrl: string,
    private readonly settings: PolicySettings,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {
    this.origin = new URL(baseUrl).origin;
    this.policies = createPolicies(dependency, settings);
  }

  /** The URL of `path` on this dependency; never anywhere else, whatever `path` holds. */
  urlOf(path: string): URL {
    if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\'))
      throw new Error(`not an origin-form path: ${JSON.stringify(path.slice(0, 100))}`);
    const url = new URL(this.origin + path);
    if (url.origin !== this.origin) throw new Error(`path leaves ${this.dependency}'s origin`);
    return url;
  }

  /**
   * Resolves with any answer other than 502/503/504 (the caller decides what a 4xx or a 500 means);
   * rejects with an UpstreamFailure when the dependency is unavailable.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<UpstreamResponse<T>> {
    const url = this.urlOf(path);
    const idempotent = options.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    const policy = options.compensation
      ? this.policies.compensation
      : idempotent
        ? this.policies.idempotent
        : this.policies.once;
    const headers: Record<string, string> = { accept: 'application/json', ...this.defaultHeaders };
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k] = v;
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    let mayHaveArrived = false;
    // What the dependency last did wrong in this call: when a retry then meets the breaker this
    // very call opened, the call failed because of that, not because of the breaker.
    let cause: Error | undefined;
    try {
      return await policy.execute(async ({ signal }: { signal: AbortSignal }) => {
        try {
          const res = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
          const text = await res.text();
          const parsed = parseBody(text, res.headers);
          if (UNAVAILABLE.has(res.status)) {
            mayHaveArrived = true;
            throw (cause = new UpstreamStatusError(
              this.dependency,
              res.status,
              parsed,
              res.headers,
            ));
          }
          return { status: res.status, body: parsed as T, headers: res.headers };
        } catch (err) {
          if (err instanceof UpstreamStatusError) throw err;
          const failure = signal.aborted
            ? new UpstreamTimeoutError(this.dependency, this.settings.timeoutMs)
            : unreachable(this.dependency, err);
          // Not a network failure (a request fetch refuses to build): the caller's problem.
          if (!failure) throw err;
          if (!certainlyNotSent(failure)) mayHaveArrived = true;
          throw (cause = failure);
        }
        // A signal per call: without one cockatiel hangs every call's listener on one shared signal.
      }, new AbortController().signal);
    } catch (err) {
      if (!isTransient(err) && !certainlyNotSent(err)) throw err;
      const why = err instanceof BrokenCircuitError && cause ? cause : err;
      throw new UpstreamFailure(this.dependency, failureReason(why), mayHaveArrived, why);
    }
  }
}

function parseBody(text: string, headers: Headers): unknown {
  if (!text || !(headers.get('content-type') ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** fetch rejects with a TypeError whose cause holds the socket error (or several, one per address). */
function unreachable(dependency: string, err: unknown): UpstreamUnreachableError | undefined {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
  const codes = cause?.errors?.map((e) => e.code) ?? [cause?.code];
  const code = codes.find(Boolean);
  if (!(err instanceof TypeError) || code === undefined) return undefined;
  const neverConnected = codes.every(
    (c) => c === 'ECONNREFUSED' || c === 'ENOTFOUND' || c === 'EAI_AGAIN',
  );
  return new UpstreamUnreachableError(dependency, code, neverConnected);
}
