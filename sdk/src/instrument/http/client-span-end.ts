import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { clientDuration } from '../../metrics/registry';
import { methodLabel } from './route';

/** How an outbound call ended. `status` 0: no response. */
export interface ClientOutcome {
  status: number;
  protocolVersion?: string;
  error?: Error;
  /** The whole response arrived. */
  complete: boolean;
  /** The caller cancelled it (an AbortSignal): not an error, by the HTTP conventions. */
  cancelled?: boolean;
}

/**
 * Ends an outbound call's client span (http or fetch) and records its duration in the client
 * RED histogram, whatever the outcome: error.type is the status code (>= 400), the socket error
 * code (`ECONNREFUSED`), or `aborted` for a response cut short.
 */
export function endClientSpan(
  span: Span,
  method: string | undefined,
  host: string,
  start: number,
  o: ClientOutcome,
): void {
  if (o.status !== 0) {
    span.setAttribute('http.response.status_code', o.status);
    if (o.protocolVersion !== undefined)
      span.setAttribute('network.protocol.version', o.protocolVersion);
  }
  if (o.cancelled) {
    // Ended as it is: a call the caller cancelled did not fail.
  } else if (o.error !== undefined) {
    span.setAttribute('error.type', (o.error as { code?: string }).code ?? o.error.name);
    span.recordException(o.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.error.message });
  } else if (o.status === 0 || !o.complete) {
    span.setAttribute('error.type', 'aborted');
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: 'the request closed before its response was complete',
    });
  } else if (o.status >= 400) {
    span.setAttribute('error.type', String(o.status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
  const m = methodLabel(method);
  clientDuration.record(
    `${m} ${o.status} ${host}`,
    { http_request_method: m, server_address: host, http_response_status_code: o.status },
    (performance.now() - start) / 1000,
    undefined,
  );
}
