// JSON over HTTP to another service, always through that dependency's policies.
import {
  createPolicies,
  UpstreamStatusError,
  type DependencyPolicies,
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
  /** Idempotent calls are retried; the others go through once. */
  idempotent?: boolean;
  /** Compensating call: retried, never short-circuited by the breaker. */
  compensation?: boolean;
}

export class ServiceClient {
  readonly policies: DependencyPolicies;

  constructor(
    readonly dependency: string,
    readonly baseUrl: string,
    settings: PolicySettings,
  ) {
    this.policies = createPolicies(dependency, settings);
  }

  /**
   * Resolves with any 2xx-4xx answer; rejects with UpstreamStatusError for a 5xx that survived the
   * policies, or with the policy/network error.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<UpstreamResponse<T>> {
    const idempotent = options.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    const policy = options.compensation
      ? this.policies.compensation
      : idempotent
        ? this.policies.idempotent
        : this.policies.once;
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k] = v;
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    return policy.execute(async ({ signal }: { signal: AbortSignal }) => {
      const res = await fetch(new URL(path, this.baseUrl), { method, headers, body, signal });
      const text = await res.text();
      let parsed: unknown = text;
      if (text && (res.headers.get('content-type') ?? '').includes('json')) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.status >= 500)
        throw new UpstreamStatusError(this.dependency, res.status, parsed, res.headers);
      return { status: res.status, body: parsed as T, headers: res.headers };
      // A signal per call: without one cockatiel hangs every call's listener on one shared signal.
    }, new AbortController().signal);
  }
}
