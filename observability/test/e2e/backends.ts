// Small clients for the native backends and the gateway, as the end-to-end tests use them.
import { readFileSync } from 'node:fs';
import { BACKENDS } from '../../native/backends.mjs';
import { GATEWAY_URL } from '../../native/services.mjs';

export const PROMETHEUS = BACKENDS.prometheus.url;
export const JAEGER = BACKENDS.jaeger.url;
export const VICTORIA_LOGS = BACKENDS.victoriaLogs.url;
export const GATEWAY = GATEWAY_URL;
/** The admin token demo-services/scripts/demo.mjs generates at first start, unless ADMIN_TOKEN is set. */
export function adminToken(): string {
  return (
    process.env.ADMIN_TOKEN ??
    readFileSync(
      new URL('../../../demo-services/.cache/secrets/admin-token', import.meta.url),
      'utf8',
    ).trim()
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `probe` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not true after ${timeoutMs / 1000}s${last ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(query: string): Promise<PromSample[]> {
  const url = `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`;
  const res = await fetch(url);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: PromSample[] };
  };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

export async function promValue(
  query: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const r = await promQuery(query);
  const hit = r.find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
  return hit ? Number(hit.value[1]) : undefined;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number | string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}
export interface TraceSpan extends OtlpSpan {
  service: string;
}

/** GET /api/v3/traces/{id}: OTLP JSON, flattened to spans with their service name. */
export async function jaegerTrace(traceId: string): Promise<TraceSpan[] | undefined> {
  const res = await fetch(`${JAEGER}/api/v3/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`jaeger ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as {
    result?: {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: OtlpSpan[] }[];
      }[];
    };
  };
  const spans: TraceSpan[] = [];
  for (const rs of body.result?.resourceSpans ?? []) {
    const service =
      rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown';
    for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
  }
  return spans;
}

export function attr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
}

/** LogsQL query over the last hour; returns one object per log entry. */
export async function logsQuery(query: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${VICTORIA_LOGS}/select/logsql/query`, {
    method: 'POST',
    body: new URLSearchParams({ query, start: '1h' }),
  });
  if (!res.ok) throw new Error(`victoria-logs ${res.status}: ${await res.text()}`);
  const text = await res.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>);
}

export interface Session {
  token: string;
  userId: string;
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Registers a fresh user through the gateway and logs in. */
export async function newSession(): Promise<Session> {
  const email = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const password = 'correct-horse-battery';
  await json<unknown>(
    await fetch(`${GATEWAY}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, name: 'E2E' }),
    }),
    'register',
  );
  const { token, user } = await json<{ token: string; user: { id: string } }>(
    await fetch(`${GATEWAY}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }),
    'login',
  );
  return { token, userId: user.id };
}

export async function productInStock(s: Session): Promise<string> {
  const { items } = await json<{ items: { id: string; stock: number }[] }>(
    await fetch(`${GATEWAY}/api/v1/products`, { headers: { authorization: `Bearer ${s.token}` } }),
    'products',
  );
  const p = items.sort((a, b) => b.stock - a.stock)[0];
  if (!p || p.stock < 1) throw new Error('no product in stock');
  return p.id;
}

/** POST /api/v1/orders; returns the response and the trace id from `traceresponse`. */
export async function placeOrder(
  s: Session,
  productId: string,
): Promise<{ status: number; body: { id?: string; status?: string }; traceId: string }> {
  const res = await fetch(`${GATEWAY}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
  });
  const header = res.headers.get('traceresponse') ?? '';
  const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header)?.[1];
  if (!traceId) throw new Error(`no valid traceresponse header: "${header}"`);
  return {
    status: res.status,
    body: (await res.json()) as { id?: string; status?: string },
    traceId,
  };
}

export async function setPaymentsFaults(faults: { errorRate?: number; latencyMs?: number }) {
  const res = await fetch(`${GATEWAY}/admin/payments/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  return json<{ errorRate: number; latencyMs: number }>(res, 'PUT /admin/faults');
}
