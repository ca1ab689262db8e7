import { context, type Span } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { clientDuration } from '../metrics/registry';
import { REDACTED_QUERY_PARAMS } from './redact-query';
import { methodLabel } from './route';

// Start times ride on the request object itself: one numeric property per request is the
// cheapest place to keep them (no map, no closure).
const START = Symbol('o11y.start');
type Timed = { [START]?: number };

function recordClient(method: string | undefined, host: string, status: number, start: number) {
  const m = methodLabel(method);
  clientDuration.record(
    `${m} ${status} ${host}`,
    { http_request_method: m, server_address: host, http_response_status_code: status },
    (performance.now() - start) / 1000,
    undefined,
  );
}

function onRequest(_span: Span, req: ClientRequest | IncomingMessage): void {
  (req as Timed)[START] = performance.now();
}

function onFinish(
  _span: Span,
  req: ClientRequest | IncomingMessage,
  res: IncomingMessage | ServerResponse,
): void {
  const start = (req as Timed)[START];
  if (start === undefined || !(req instanceof ClientRequest) || res instanceof ServerResponse)
    return;
  // The SDK's own exports run with tracing suppressed; they are not the app's traffic.
  if (isTracingSuppressed(context.active())) return;
  recordClient(req.method, req.host, res.statusCode ?? 0, start);
}

/**
 * Configuration for `@opentelemetry/instrumentation-http`: outbound requests only (inbound ones
 * are traced by ./server-spans), with their durations recorded.
 */
export function httpInstrumentationConfig() {
  return {
    disableIncomingRequestInstrumentation: true,
    // Given once: left unset, the instrumentation copies its default list on every call.
    redactedQueryParams: REDACTED_QUERY_PARAMS,
    requestHook: onRequest,
    applyCustomAttributesOnSpan: onFinish,
  };
}

/** Undici (fetch) request shape used by the hooks below. */
interface UndiciRequestLike {
  method: string;
  origin: string;
}

/** Configuration for `@opentelemetry/instrumentation-undici`: records outbound fetch durations. */
export function undiciInstrumentationConfig() {
  return {
    requestHook: (_span: Span, req: UndiciRequestLike) => {
      (req as Timed)[START] = performance.now();
    },
    responseHook: (
      _span: Span,
      info: { request: UndiciRequestLike; response: { statusCode: number } },
    ) => {
      const start = (info.request as Timed)[START];
      if (start === undefined) return;
      let host = info.request.origin;
      try {
        host = new URL(info.request.origin).hostname;
      } catch {
        // keep origin as given
      }
      recordClient(info.request.method, host, info.response.statusCode, start);
    },
  };
}
