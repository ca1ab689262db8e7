/**
 * @o11y/sdk: one line to instrument a Node.js service with OpenTelemetry traces, Prometheus RED
 * metrics with trace exemplars, and pino logs correlated by trace id.
 *
 * @packageDocumentation
 */
export { start, shutdown, flush, ready } from './start';
export type { StartOptions, OtlpProtocol } from './config/options';
export { logger } from './logging/logger';
export { metrics, metricsHandler, registry } from './metrics/registry';
export type { CounterOptions, GaugeOptions, HistogramOptions } from './metrics/registry';
export { metricsPort } from './metrics/server';
export { traceresponse } from './instrument/http/traceresponse';
export { UNMATCHED_ROUTE } from './instrument/http/route';
export { trace, context, propagation, SpanStatusCode, SpanKind } from '@opentelemetry/api';
export type { Span, Tracer } from '@opentelemetry/api';
