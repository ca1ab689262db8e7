import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { clientDuration } from '../../metrics/registry';
import { spanSeconds } from './span-duration';

/** An outbound call while it runs: its span and what its end and its metric need. */
export interface ClientCall {
  span: Span;
  /** performance.now() at the start. */
  start: number;
  /** `http.request.method` (a known method or `_OTHER`). */
  method: string;
  host: string;
  port: number;
  /** The connection's remote end, once connected (`network.peer.*`). */
  peerAddress?: string;
  peerPort?: number;
}

/** How an outbound call ended. `status` undefined: no response. */
export interface ClientOutcome {
  status: number | undefined;
  protocolVersion?: string;
  error?: Error;
  /** The whole response arrived. */
  complete: boolean;
}

/**
 * Ends an outbound call's client span (http or fetch) and records its duration (the span's own)
 * in the client RED histogram, whatever the outcome. error.type is the status code for a 4xx or
 * 5xx, the socket error code (`ECONNREFUSED`) or the error's name (`AbortError` for a call the
 * caller cancelled: a failed request, by the HTTP conventions), or `aborted` for a response cut
 * short; a call without a response has no status code, in the span or in the metric.
 */
export function endClientSpan(call: ClientCall, o: ClientOutcome): void {
  const span = call.span;
  const status = o.status;
  if (status !== undefined) span.setAttribute('http.response.status_code', status);
  if (o.protocolVersion !== undefined)
    span.setAttribute('network.protocol.version', o.protocolVersion);
  if (call.peerAddress !== undefined) {
    span.setAttribute('network.peer.address', call.peerAddress);
    if (call.peerPort !== undefined) span.setAttribute('network.peer.port', call.peerPort);
  }
  let errorType: string | undefined;
  if (o.error !== undefined) {
    errorType = (o.error as { code?: unknown }).code as string | undefined;
    if (typeof errorType !== 'string') errorType = o.error.name;
    span.recordException(o.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.error.message });
  } else if (status === undefined || !o.complete) {
    errorType = 'aborted';
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: 'the request closed before its response was complete',
    });
  } else if (status >= 400) {
    errorType = String(status);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  if (errorType !== undefined) span.setAttribute('error.type', errorType);
  span.end();
  const labels: Parameters<typeof clientDuration.record>[1] = {
    http_request_method: call.method,
    server_address: call.host,
    server_port: call.port,
  };
  if (status !== undefined) labels.http_response_status_code = status;
  if (errorType !== undefined) labels.error_type = errorType;
  clientDuration.record(
    `${call.method} ${status} ${errorType} ${call.port} ${call.host}`,
    labels,
    spanSeconds(span, call.start),
    undefined,
  );
}
