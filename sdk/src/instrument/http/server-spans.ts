import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { RPCType, type RPCMetadata } from '@opentelemetry/core';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { serverDuration } from '../../metrics/registry';
import { metricsServer } from '../../metrics/server';
import { redactQuery } from './redact-query';
import { EXTRACT_ROOT, requestContext } from './request-context';
import { forwardedOrigin, hostAt, hostEnd, portAfter } from './forwarded-headers';
import { methodLabel, spanMethod } from './known-methods';
import { routeOf, UNMATCHED_ROUTE } from './route';
import { spanSeconds } from './span-duration';
import { traceresponse } from './traceresponse';
import { PatchingInstrumentation } from './patching-instrumentation';
import { startSdkSpan } from '../../tracing/fast-span';

// Written by hand rather than taken from @opentelemetry/instrumentation-http: its server side
// costs a hello-world express app half of its throughput (per request it parses the URL, builds
// old and new semantic-convention attributes, wraps every hook in a closure and records OTel
// metrics nobody reads). This keeps what a user relies on: a server span per request, a child
// of the caller's span (W3C trace context), named `METHOD /route`, the app's handlers and the
// request's and response's listeners running in its context, a `traceresponse` header, and the
// RED histogram with an exemplar of the span.

// On the request: everything its end needs, kept on the object itself (no map, no closure).
const STATE = Symbol('o11y.server');

interface RequestState {
  span: Span;
  start: number;
  meta: RPCMetadata;
  /** The context the request's handlers, and its and its response's listeners, run in. */
  ctx: Context;
  ended: boolean;
  /** The error a framework reported for the request (a handler threw, rejected or passed one on). */
  error?: unknown;
  /** `http.request.method` (a known method or `_OTHER`). */
  method: string;
  /** `url.scheme`: the original request's, behind a proxy. */
  scheme: 'http' | 'https';
}
type Tracked = IncomingMessage & { [STATE]?: RequestState };
type TrackedResponse = ServerResponse & { [STATE]?: RequestState };
type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;

/** Starts the request's server span and returns the context the app's handlers run in. */
function startRequest(
  tracer: Tracer,
  socketScheme: 'http' | 'https',
  req: Tracked,
  res: ServerResponse,
): Context {
  const method = req.method ?? 'GET';
  const methodValue = methodLabel(method);
  const headers = req.headers;
  // Behind a reverse proxy: the original client, host and scheme, as the proxy reports them.
  const origin = forwardedOrigin(headers);
  const scheme = origin?.scheme ?? socketScheme;
  const attributes: Attributes = {
    'http.request.method': methodValue,
    'url.scheme': scheme,
    'network.protocol.version': req.httpVersion,
  };
  if (methodValue !== method) attributes['http.request.method_original'] = method;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  attributes['url.path'] = q < 0 ? url : url.slice(0, q);
  if (q >= 0) attributes['url.query'] = redactQuery(url.slice(q + 1));
  if (origin?.host !== undefined) {
    attributes['server.address'] = origin.host;
    attributes['server.port'] = origin.port ?? (scheme === 'https' ? 443 : 80);
  } else if (headers.host !== undefined) {
    // `[::1]:8080`, `example.com:8080`, `example.com` (the scheme's default port)
    const host = headers.host;
    const end = hostEnd(host);
    const port = end < 0 ? -1 : portAfter(host, end);
    if (port !== -1) {
      attributes['server.address'] = hostAt(host, end);
      attributes['server.port'] = port ?? (scheme === 'https' ? 443 : 80);
    }
  }
  const ua = headers['user-agent'];
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  const socket = req.socket;
  const peer = socket.remoteAddress;
  const client = origin?.clientAddress ?? peer;
  if (client !== undefined) attributes['client.address'] = client;
  if (peer !== undefined) {
    attributes['network.peer.address'] = peer;
    const peerPort = socket.remotePort;
    if (peerPort !== undefined) attributes['network.peer.port'] = peerPort;
  }

  const parent = propagation.extract(EXTRACT_ROOT, headers);
  const span = startSdkSpan(tracer, spanMethod(methodValue), SpanKind.SERVER, attributes, parent);
  const meta: RPCMetadata = { type: RPCType.HTTP, span };
  // Other frameworks' instrumentations write the matched route into this metadata.
  const ctx = requestContext(parent, span, meta);
  const state: RequestState = {
    span,
    start: performance.now(),
    meta,
    ctx,
    ended: false,
    method: methodValue,
    scheme,
  };
  req[STATE] = state;
  (res as TrackedResponse)[STATE] = state;
  res.on('close', onClose);
  // Set before the app can write headers; it may still overwrite or remove it.
  res.setHeader('traceresponse', traceresponse(span));
  return ctx;
}

/** 'close' of the response: after 'finish' for a sent response, or alone for a dropped one. */
function onClose(this: ServerResponse): void {
  const req = this.req as Tracked;
  const state = req[STATE];
  if (state === undefined || state.ended) return;
  state.ended = true;
  try {
    endRequest(this, req, state);
  } catch {
    // A listener that throws would take the app down; telemetry never may.
  }
}

function endRequest(res: ServerResponse, req: Tracked, state: RequestState): void {
  const { span, meta, method } = state;
  const route = routeOf(req, meta);
  // A status code exists only if one was sent; a response cut short after its headers keeps it.
  const status = res.headersSent ? res.statusCode : undefined;
  // `unmatched` is a label for dashboards, not a template: the span keeps its method name.
  if (route !== undefined && route !== UNMATCHED_ROUTE) {
    span.setAttribute('http.route', route);
    span.updateName(`${spanMethod(method)} ${route}`);
  }
  if (status !== undefined) span.setAttribute('http.response.status_code', status);
  let errorType: string | undefined;
  if (!res.writableFinished) {
    errorType = 'aborted';
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: 'the connection closed before the response was sent',
    });
  } else if (status !== undefined && status >= 500) {
    const error = state.error;
    errorType = error === undefined ? String(status) : classOf(error);
    span.setStatus(
      error === undefined
        ? { code: SpanStatusCode.ERROR }
        : { code: SpanStatusCode.ERROR, message: errorMessage(error) },
    );
  }
  if (errorType !== undefined) span.setAttribute('error.type', errorType);
  span.end();
  const sc = span.spanContext();
  const scheme = state.scheme;
  // A response never sent has no status label (not an invented one), and an error type.
  // No route: an empty value, which Prometheus stores as no label at all.
  const labels: Parameters<typeof serverDuration.record>[1] =
    status === undefined
      ? { http_request_method: method, http_route: route ?? '', url_scheme: scheme }
      : {
          http_request_method: method,
          http_route: route ?? '',
          http_response_status_code: status,
          url_scheme: scheme,
        };
  if (errorType !== undefined) labels.error_type = errorType;
  serverDuration.record(
    `${method} ${scheme} ${status} ${errorType} ${route}`,
    labels,
    // The span's own duration, so that the metric and the trace it points to agree.
    spanSeconds(span, state.start),
    // Only sampled traces are exported, so only they make exemplars worth clicking.
    sc.traceFlags & 1 ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined,
  );
}

/**
 * Records the error a framework saw for a request (a handler threw or rejected, or passed an
 * error to `next()`): an `exception` event on the server span now, and, if the response is a 5xx,
 * the error's type and message as the span's `error.type` and status description. The same
 * error reported twice (by nested routers, say) is one event.
 */
export function recordServerError(req: IncomingMessage, error: unknown): void {
  const state = (req as Tracked)[STATE];
  if (state === undefined || state.ended || state.error === error) return;
  state.error = error;
  try {
    // exception.type as error.type: the class (a subclass inherits `name` from Error).
    state.span.recordException({
      name: classOf(error),
      message: errorMessage(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
  } catch {
    // an odd error object must not break the request
  }
}

function classOf(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || 'Error';
  return typeof error;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}

function patchedEmit(original: Emit, scheme: 'http' | 'https', tracer: () => Tracer): Emit {
  return function emit(this: http.Server, event: string | symbol, req?: unknown, res?: unknown) {
    // `arguments` rather than a rest parameter: no array for the many other events a server emits.
    // The SDK's own /metrics server is not the app's traffic.
    if (event !== 'request' || this === metricsServer || req === undefined || res === undefined)
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments as unknown as [string]);
    let ctx: Context;
    try {
      ctx = startRequest(tracer(), scheme, req as Tracked, res as ServerResponse);
    } catch {
      // Never let tracing stand between a request and the app.
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments as unknown as [string]);
    }
    return context.with(ctx, original, this, event, req, res);
  };
}

/**
 * Events of a request and its response (body chunks, 'end', 'finish') are emitted from the
 * connection's parser, outside the request's context: a body parser would call the next
 * handler, and an on-finished listener would log, outside the trace. Emitting them in the
 * request's context fixes that for every listener, with one property read per event instead
 * of the per-request listener wrapping that `context.bind(ctx, emitter)` does.
 */
function emitInContext(original: Emit): Emit {
  return function emit(this: {
    [STATE]?: RequestState;
    _events?: Record<string | symbol, unknown>;
  }) {
    const state = this[STATE];
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as [string, ...unknown[]];
    // 'finish' and 'close' mostly come while the request's context is already active (from the
    // app's res.end()): entering it again would only cost a bound function and a context frame.
    if (
      state === undefined ||
      this._events?.[args[0]] === undefined ||
      context.active() === state.ctx
    )
      return original.apply(this as never, args);
    return context.with(state.ctx, original, this as never, ...args);
  } as Emit;
}

const PATCHED = Symbol.for('@o11y/sdk.server-emit');
type Patchable = { emit: Emit; [PATCHED]?: Emit };

/**
 * Server spans for every `http` and `https` server in the process, as an OpenTelemetry
 * instrumentation so that it is enabled and disabled with the others.
 */
export class ServerSpans extends PatchingInstrumentation {
  enable(): void {
    const tracer = () => this.tracer;
    for (const [proto, wrap] of [
      [http.Server.prototype, (e: Emit) => patchedEmit(e, 'http', tracer)],
      [https.Server.prototype, (e: Emit) => patchedEmit(e, 'https', tracer)],
      [http.IncomingMessage.prototype, emitInContext],
      [http.ServerResponse.prototype, emitInContext],
    ] as [Patchable, (e: Emit) => Emit][]) {
      if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) continue;
      const original = proto.emit;
      proto[PATCHED] = original;
      proto.emit = wrap(original);
    }
  }

  disable(): void {
    for (const proto of [
      http.Server.prototype,
      https.Server.prototype,
      http.IncomingMessage.prototype,
      http.ServerResponse.prototype,
    ] as unknown as Patchable[]) {
      const original = proto[PATCHED];
      if (original === undefined) continue;
      proto.emit = original;
      delete proto[PATCHED];
    }
  }
}
