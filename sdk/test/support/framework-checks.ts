import { expect } from 'vitest';
import type { OtlpReceiver, ReceivedSpan } from './otlp-receiver';
import { scrape } from './processes';
import { spanDetails } from './span-details';

// Checks the framework tests make on a running app: the server span of one request (by the trace
// in its `traceresponse` header), and the route labels of the RED histogram.

/** Sends GET `path` and returns its server span once exported. */
export async function serverSpanOf(
  receiver: OtlpReceiver,
  port: number,
  path: string,
  status: number,
): Promise<ReceivedSpan> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
  expect(res.status, path).toBe(status);
  const header = res.headers.get('traceresponse');
  expect(header, `traceresponse of ${path}`).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const [, traceId, spanId] = header!.split('-');
  return receiver.waitFor(`server span of ${path}`, () =>
    receiver.spans.find((s) => s.traceId === traceId && s.spanId === spanId && s.kind === 2),
  );
}

/** A routed request: the span is named for the template and carries it as `http.route`. */
export async function expectRoute(
  receiver: OtlpReceiver,
  port: number,
  path: string,
  template: string,
): Promise<void> {
  const span = await serverSpanOf(receiver, port, path, 200);
  expect(span.name).toBe(`GET ${template}`);
  expect(span.attributes['http.route']).toBe(template);
}

/** A request no route took (or no framework routed): the span keeps the method as its name. */
export async function expectNoRoute(
  receiver: OtlpReceiver,
  port: number,
  path: string,
  status: number,
): Promise<void> {
  const span = await serverSpanOf(receiver, port, path, status);
  expect(span.name).toBe('GET');
  expect(span.attributes).not.toHaveProperty('http.route');
}

/**
 * A handler that threw `PaymentError('card declined')`: a 500 that keeps its `traceresponse`, and
 * a server span in error with the exception event, the error's class and its message.
 */
export async function expectHandlerError(
  receiver: OtlpReceiver,
  port: number,
  path: string,
  template: string,
  message = 'card declined',
): Promise<void> {
  const span = await serverSpanOf(receiver, port, path, 500);
  expect(span.name).toBe(`GET ${template}`);
  expect(span.statusCode).toBe(2);
  expect(span.attributes['error.type']).toBe('PaymentError');
  const details = spanDetails(receiver, span.spanId);
  expect(details?.statusMessage).toBe(message);
  const events = details?.events.filter((e) => e.name === 'exception') ?? [];
  expect(events).toHaveLength(1);
  expect(events[0]!.attributes['exception.message']).toBe(message);
  expect(events[0]!.attributes['exception.type']).toBe('PaymentError');
  expect(events[0]!.attributes['exception.stacktrace']).toContain(message);
}

/** The scraped histogram has a series for each of these `route status` pairs ('' = no route), over http. */
export async function expectLabels(
  metricsPort: number,
  pairs: [string, number][],
): Promise<string> {
  const text = await scrape(metricsPort);
  for (const [route, status] of pairs)
    expect(text).toContain(
      `http_route="${route}",http_response_status_code="${status}",url_scheme="http"`,
    );
  return text;
}
