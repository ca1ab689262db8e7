// Forwarding a public request to the service that owns it, through that service's policies, and
// turning a dependency failure into a clear 503/504 instead of a hang. The upstream URL is the
// owner's own origin plus the request's (already normalised) path: never the client's authority.
import type { Request, Response } from 'express';
import {
  UpstreamFailure,
  type ServiceClient,
  type UpstreamResponse,
} from '../platform/resilience/client.js';
import { HttpError } from '../platform/http/errors.js';
import { sendError } from '../platform/http/app.js';

const FORWARDED_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'accept-language',
];
const FORWARDED_RESPONSE_HEADERS = [
  'location',
  'retry-after',
  'idempotent-replayed',
  'www-authenticate',
];

/** The client's answer for a failure of `client`'s dependency; anything else is rethrown. */
export function upstreamFailure(client: ServiceClient, err: unknown): HttpError {
  if (!(err instanceof UpstreamFailure)) throw err;
  const name = client.dependency;
  switch (err.reason) {
    case 'breaker_open':
      return new HttpError(
        503,
        'service_unavailable',
        `${name} is unavailable (circuit open)`,
        undefined,
        { 'Retry-After': '2' },
      );
    case 'bulkhead_full':
      return new HttpError(503, 'service_overloaded', `${name} is overloaded`, undefined, {
        'Retry-After': '1',
      });
    case 'timeout':
      return new HttpError(504, 'upstream_timeout', `${name} did not answer in time`);
    case 'unreachable':
      return new HttpError(503, 'service_unavailable', `${name} is unreachable`, undefined, {
        'Retry-After': '2',
      });
    case 'unavailable': {
      const answer = err.answer!;
      const body = answer.body as { error?: string; message?: string } | undefined;
      return new HttpError(
        answer.status,
        body?.error ?? 'upstream_error',
        body?.message ?? `${name} failed`,
        undefined,
        { 'Retry-After': answer.headers.get('retry-after') ?? '2' },
      );
    }
  }
}

export async function forward(
  client: ServiceClient,
  req: Request,
  res: Response,
  path: string = req.originalUrl,
): Promise<void> {
  const headers: Record<string, string | undefined> = {};
  for (const h of FORWARDED_REQUEST_HEADERS) headers[h] = req.header(h);
  const raw = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
  let upstream: UpstreamResponse;
  try {
    upstream = await client.request(req.method, path, {
      rawBody: raw,
      headers,
      // a POST with an Idempotency-Key may be repeated safely
      idempotent:
        req.method === 'GET' ||
        req.method === 'PUT' ||
        req.method === 'DELETE' ||
        Boolean(req.header('idempotency-key')),
    });
  } catch (err) {
    sendError(res, upstreamFailure(client, err));
    return;
  }
  send(res, upstream);
}

export function send(
  res: Response,
  upstream: UpstreamResponse,
  extraHeaders: Record<string, string> = {},
): void {
  for (const h of FORWARDED_RESPONSE_HEADERS) {
    const v = upstream.headers.get(h);
    if (v) res.setHeader(h, v);
  }
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  if (typeof upstream.body === 'string' && upstream.body === '') res.status(upstream.status).end();
  else if (typeof upstream.body === 'string')
    res.status(upstream.status).type('text/plain').send(upstream.body);
  else res.status(upstream.status).json(upstream.body);
}
