import {
  context,
  propagation,
  SpanKind,
  type Attributes,
  type Context,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import diagnostics from 'node:diagnostics_channel';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { fullUrl, hostAndPort } from './authority';
import { endClientSpan, type ClientCall } from './client-span-end';
import { methodLabel, spanMethod } from './known-methods';
import { PatchingInstrumentation } from './patching-instrumentation';
import { withSpan } from './request-context';
import { startSdkSpan } from '../../tracing/fast-span';

// Written by hand rather than taken from @opentelemetry/instrumentation-http: per outbound call
// it bound the request and the response to the caller's context by replacing eight listener
// methods on each of them, which made every stream operation on those objects megamorphic; a
// service making one call per request ran at about half its bare throughput. Node already runs
// a request's callback and its response's events in the caller's context (checked on Node 20
// and 24, keep-alive sockets included), so nothing needs binding: this starts a client span
// when `http(s).request`/`get` is called, injects W3C trace context into the request's headers,
// and ends the span when the request closes, reading the outcome from the request itself and
// from Node's `http.client.request.error` diagnostics channel.

const STATE = Symbol('o11y.client');

interface ClientState extends ClientCall {
  error?: Error;
}
type Tracked = ClientRequest & { [STATE]?: ClientState };
type RequestFn = (...args: unknown[]) => ClientRequest;

const setter: TextMapSetter<ClientRequest> = {
  set: (req, key, value) => req.setHeader(key, value),
};

function startClient(tracer: Tracer, req: Tracked, parent: Context): void {
  const method = req.method;
  const methodValue = methodLabel(method);
  // Node writes the Host header as `host[:port]`, the port only when it is not the default.
  const hostHeader = req.getHeader('host');
  const authority = typeof hostHeader === 'string' ? hostHeader : req.host;
  const [host, port] = hostAndPort(authority, req.protocol === 'https:' ? 443 : 80);
  const attributes: Attributes = {
    'http.request.method': methodValue,
    'server.address': host,
    'server.port': port,
    'url.full': fullUrl(`${req.protocol}//${authority}`, req.path),
  };
  if (methodValue !== method) attributes['http.request.method_original'] = method;
  const span = startSdkSpan(tracer, spanMethod(methodValue), SpanKind.CLIENT, attributes, parent);
  req[STATE] = {
    span,
    start: performance.now(),
    method: methodValue,
    host,
    port,
    peerAddress: undefined,
    peerPort: undefined,
    error: undefined,
  };
  // Headers given as an array are already written; such a request is traced but not propagated.
  if (!req.headersSent) propagation.inject(withSpan(parent, span), req, setter);
  req.on('close', onClose);
}

/** 'close' of the request: after its response ended, or when it failed or was aborted. */
function onClose(this: Tracked): void {
  const state = this[STATE];
  if (state === undefined) return;
  this[STATE] = undefined;
  try {
    endClient(this, state);
  } catch {
    // A listener that throws would take the app down; telemetry never may.
  }
}

function endClient(req: Tracked, state: ClientState): void {
  const res = (req as ClientRequest & { res?: IncomingMessage | null }).res ?? undefined;
  endClientSpan(state, {
    status: res?.statusCode,
    protocolVersion: res?.httpVersion,
    error: state.error,
    complete: res?.complete === true,
  });
}

function onRequestError(message: unknown): void {
  const { request, error } = message as { request: Tracked; error: Error };
  const state = request[STATE];
  if (state !== undefined && state.error === undefined) state.error = error;
}

/**
 * The response's headers arrived: the socket is connected, and may be gone (a connection not
 * kept alive) by the time the request closes. Its peer is read now.
 */
function onResponse(message: unknown): void {
  const { request } = message as { request: Tracked };
  const state = request[STATE];
  const socket = request.socket;
  if (state === undefined || socket === null) return;
  state.peerAddress = socket.remoteAddress;
  state.peerPort = socket.remotePort;
}

function traced(original: RequestFn, tracer: () => Tracer): RequestFn {
  return function request(this: unknown) {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as unknown[];
    const parent = context.active();
    // The SDK's own exports run with tracing suppressed; they are not the app's traffic.
    if (isTracingSuppressed(parent)) return original.apply(this, args);
    const req = original.apply(this, args);
    try {
      startClient(tracer(), req, parent);
    } catch {
      // Never let tracing stand between the app and its request.
    }
    return req;
  };
}

/** `get` is `request` + `end()`; Node's own `get` calls its module-private `request`. */
function tracedGet(request: RequestFn): RequestFn {
  return function get(this: unknown) {
    // eslint-disable-next-line prefer-rest-params
    const req = request.apply(this, arguments as unknown as unknown[]);
    req.end();
    return req;
  };
}

const PATCHED = Symbol.for('@o11y/sdk.client-request');
type Patchable = { request: RequestFn; get: RequestFn; [PATCHED]?: [RequestFn, RequestFn] };

/**
 * Client spans and durations for outbound `http` and `https` requests, as an OpenTelemetry
 * instrumentation so that it is enabled and disabled with the others.
 */
export class ClientSpans extends PatchingInstrumentation {
  enable(): void {
    const tracer = () => this.tracer;
    for (const mod of [http, https] as unknown as Patchable[]) {
      if (Object.prototype.hasOwnProperty.call(mod, PATCHED)) continue;
      mod[PATCHED] = [mod.request, mod.get];
      const request = traced(mod.request, tracer);
      mod.request = request;
      mod.get = tracedGet(request);
    }
    diagnostics.subscribe('http.client.request.error', onRequestError);
    diagnostics.subscribe('http.client.response.finish', onResponse);
    // `import { request } from 'node:http'` sees the patched functions too.
    syncBuiltinESMExports();
  }

  disable(): void {
    for (const mod of [http, https] as unknown as Patchable[]) {
      const original = mod[PATCHED];
      if (original === undefined) continue;
      [mod.request, mod.get] = original;
      delete mod[PATCHED];
    }
    diagnostics.unsubscribe('http.client.request.error', onRequestError);
    diagnostics.unsubscribe('http.client.response.finish', onResponse);
    syncBuiltinESMExports();
  }
}
