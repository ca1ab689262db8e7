import { context, type Span } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { clientDuration, serverDuration } from '../metrics/registry';
import { metricsServer } from '../metrics/server';
import { currentRoute, methodLabel, UNMATCHED_ROUTE } from './route';

// Start times ride on the request object itself: one numeric property per request is the
// cheapest place to keep them (no map, no closure).
const START = Symbol('o11y.start');
type Timed = { [START]?: number };

const HEX = ['00', '01'];
const NO_EXEMPLAR = Object.freeze({});

function flagsHex(flags: number): string {
  return HEX[flags] ?? flags.toString(16).padStart(2, '0');
}

/** `traceresponse` value (W3C Trace Context level 2) for a span. */
export function traceresponse(span: Span): string {
  const sc = span.spanContext();
  return `00-${sc.traceId}-${sc.spanId}-${flagsHex(sc.traceFlags)}`;
}

function onRequest(_span: Span, req: ClientRequest | IncomingMessage): void {
  (req as Timed)[START] = performance.now();
}

function onResponse(span: Span, res: IncomingMessage | ServerResponse): void {
  // For inbound requests this runs as the request arrives, before the app writes headers.
  if (res instanceof ServerResponse && !res.headersSent)
    res.setHeader('traceresponse', traceresponse(span));
}

function onFinish(
  span: Span,
  req: ClientRequest | IncomingMessage,
  res: IncomingMessage | ServerResponse,
): void {
  const start = (req as Timed)[START];
  if (start === undefined) return;
  const seconds = (performance.now() - start) / 1000;
  if (res instanceof ServerResponse) {
    const route = currentRoute(req as { route?: unknown });
    if (route === UNMATCHED_ROUTE) span.updateName(req.method ?? 'GET');
    const sc = span.spanContext();
    serverDuration.observe({
      labels: {
        http_request_method: methodLabel(req.method),
        http_route: route,
        http_response_status_code: res.statusCode,
      },
      value: seconds,
      // Only sampled traces are exported, so only they make exemplars worth clicking.
      // prom-client types exemplar labels as the metric's own label names; any names are valid.
      exemplarLabels: (sc.traceFlags & 1
        ? { trace_id: sc.traceId, span_id: sc.spanId }
        : NO_EXEMPLAR) as never,
    });
  } else if (req instanceof ClientRequest) {
    // The SDK's own exports run with tracing suppressed; they are not the app's traffic.
    if (isTracingSuppressed(context.active())) return;
    clientDuration.observe(
      {
        http_request_method: methodLabel(req.method),
        server_address: req.host,
        http_response_status_code: res.statusCode ?? 0,
      },
      seconds,
    );
  }
}

/**
 * instrumentation-http's default list of query parameters to redact in `url.full`, given once:
 * left unset, it copies its default list on every request (server) and every outbound call.
 */
const REDACTED_QUERY_PARAMS = [
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];

/** Configuration for `@opentelemetry/instrumentation-http` that adds the SDK's behaviour. */
export function httpInstrumentationConfig() {
  return {
    redactedQueryParams: REDACTED_QUERY_PARAMS,
    redactedQueryParamsServer: REDACTED_QUERY_PARAMS,
    ignoreIncomingRequestHook: (req: IncomingMessage) =>
      metricsServer !== undefined && (req.socket as { server?: unknown }).server === metricsServer,
    requestHook: onRequest,
    responseHook: onResponse,
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
      clientDuration.observe(
        {
          http_request_method: methodLabel(info.request.method),
          server_address: host,
          http_response_status_code: info.response.statusCode,
        },
        (performance.now() - start) / 1000,
      );
    },
  };
}
