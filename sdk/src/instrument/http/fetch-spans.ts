import {
  context,
  propagation,
  SpanKind,
  type Attributes,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import diagnostics from 'node:diagnostics_channel';
import { fullUrl, hostAndPort } from './authority';
import { endClientSpan, type ClientCall } from './client-span-end';
import { methodLabel, spanMethod } from './known-methods';
import { PatchingInstrumentation, sdkTracer } from './patching-instrumentation';
import { withSpan } from './request-context';
import { startSdkSpan } from '../../tracing/fast-span';

// Written by hand rather than taken from @opentelemetry/instrumentation-undici: per call it
// parsed the URL with `new URL`, copied the request headers into a Map, ran every hook through
// closures and merged attribute objects three times: a route making one fetch call cost 52 us
// more CPU per request than with fetch untraced, 24 us with this, span export included (Node 24,
// same run). Same channels (undici publishes them for Node's fetch): a client span when
// the request is created, W3C trace context added to its headers, the status when the response
// headers arrive, the end when the body has (trailers) or the call failed.

const STATE = Symbol('o11y.fetch');

interface FetchState extends ClientCall {
  status: number | undefined;
  protocolVersion: string | undefined;
}
/** The parts of undici's Request this reads and writes. */
interface UndiciRequest {
  origin: string;
  path: string;
  method: string;
  headers?: unknown;
  addHeader?: (name: string, value: string) => unknown;
  [STATE]?: FetchState;
}

/**
 * Sets a trace-context header, replacing any the app set itself: a second `traceparent` would
 * make the next service start a trace of its own. undici keeps headers as a flat
 * [name, value, ...] array (Node 20 and later) or, in older versions, as `name: value\r\n` text.
 */
const setter: TextMapSetter<UndiciRequest> = {
  set(request, name, value) {
    const key = name.toLowerCase();
    const headers = request.headers;
    if (Array.isArray(headers)) {
      let found = false;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i] as unknown;
        if (typeof name !== 'string' || name.length !== key.length || name.toLowerCase() !== key)
          continue;
        if (found) {
          headers.splice(i, 2);
          i -= 2;
        } else {
          headers[i + 1] = value;
          found = true;
        }
      }
      if (!found) headers.push(key, value);
    } else if (typeof headers === 'string') {
      request.headers = `${withoutHeader(headers, key)}${key}: ${value}\r\n`;
    } else if (typeof request.addHeader === 'function') request.addHeader(key, value);
  },
};

/** `name: value\r\n` lines without those of `key` (lower case). */
function withoutHeader(lines: string, key: string): string {
  if (!lines.toLowerCase().includes(`${key}:`)) return lines;
  return lines
    .split('\r\n')
    .filter((line) => line.slice(0, key.length + 1).toLowerCase() !== `${key}:`)
    .join('\r\n');
}

// The instrumentation's tracer, for the channel handlers (module functions, so that the very
// same functions are unsubscribed).
let tracer: () => Tracer = () => sdkTracer();

function onCreate({ request }: { request: UndiciRequest }): void {
  const parent = context.active();
  // The SDK's own exports run with tracing suppressed; they are not the app's traffic.
  if (isTracingSuppressed(parent) || request.method === 'CONNECT') return;
  try {
    const origin = request.origin;
    const https = origin.startsWith('https:');
    const [host, port] = hostAndPort(origin.slice(origin.indexOf('//') + 2), https ? 443 : 80);
    const method = methodLabel(request.method);
    const attributes: Attributes = {
      'http.request.method': method,
      'server.address': host,
      'server.port': port,
      'url.full': fullUrl(origin, request.path),
    };
    if (method !== request.method) attributes['http.request.method_original'] = request.method;
    const span = startSdkSpan(tracer(), spanMethod(method), SpanKind.CLIENT, attributes, parent);
    request[STATE] = {
      span,
      start: performance.now(),
      method,
      host,
      port,
      peerAddress: undefined,
      peerPort: undefined,
      status: undefined,
      protocolVersion: undefined,
    };
    propagation.inject(withSpan(parent, span), request, setter);
  } catch {
    // Never let tracing stand between the app and its request.
  }
}

/** The request is written to a connected socket: its peer, and the protocol it speaks. */
function onSendHeaders(m: {
  request: UndiciRequest;
  socket?: { remoteAddress?: string; remotePort?: number; alpnProtocol?: string | false };
}): void {
  const state = m.request[STATE];
  const socket = m.socket;
  if (state === undefined || socket === undefined) return;
  state.peerAddress = socket.remoteAddress;
  state.peerPort = socket.remotePort;
  // undici speaks HTTP/2 only when TLS negotiated it (ALPN `h2`), HTTP/1.1 otherwise.
  state.protocolVersion = socket.alpnProtocol === 'h2' ? '2' : '1.1';
}

function onHeaders(m: { request: UndiciRequest; response: { statusCode: number } }): void {
  const state = m.request[STATE];
  if (state !== undefined) state.status = m.response.statusCode;
}

function onTrailers({ request }: { request: UndiciRequest }): void {
  end(request, undefined);
}

function onError(m: { request: UndiciRequest; error: Error }): void {
  end(m.request, m.error);
}

function end(request: UndiciRequest, error: Error | undefined): void {
  const state = request[STATE];
  if (state === undefined) return;
  request[STATE] = undefined;
  try {
    endClientSpan(state, {
      status: state.status,
      protocolVersion: state.protocolVersion,
      error,
      complete: error === undefined,
    });
  } catch {
    // Telemetry never fails the app's call.
  }
}

const CHANNELS = [
  ['undici:request:create', onCreate],
  ['undici:client:sendHeaders', onSendHeaders],
  ['undici:request:headers', onHeaders],
  ['undici:request:trailers', onTrailers],
  ['undici:request:error', onError],
] as unknown as [string, (message: unknown) => void][];

/** Client spans and durations for fetch, from undici's channels. */
export class FetchSpans extends PatchingInstrumentation {
  enable(): void {
    tracer = () => this.tracer;
    for (const [name, handler] of CHANNELS) diagnostics.subscribe(name, handler);
  }

  disable(): void {
    for (const [name, handler] of CHANNELS) diagnostics.unsubscribe(name, handler);
  }
}
