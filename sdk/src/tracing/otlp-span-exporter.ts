import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';

/** What the OTLP/HTTP exporters build themselves from (the same calls, minus the root indexes). */
interface ExporterParts {
  OTLPExporterBase: new (delegate: unknown) => SpanExporter;
  createOtlpHttpExportDelegate: (
    options: unknown,
    serializer: unknown,
    componentType: string,
    metricsHelper: unknown,
    meterProvider: undefined,
  ) => unknown;
  convertLegacyHttpOptions: (
    config: object,
    signal: string,
    path: string,
    headers: Record<string, string>,
  ) => unknown;
}

/**
 * An OTLP/HTTP span exporter built exactly as `@opentelemetry/exporter-trace-otlp-proto` (or
 * `-http`) builds its own, but without `@opentelemetry/otlp-transformer`'s root index, which
 * loads every signal's serializer and all of `@opentelemetry/sdk-metrics`: about twice the
 * module-loading time, spent on the event loop. Modules are resolved next to the exporter
 * package so that they are the versions it was released with.
 */
export function createOtlpSpanExporter(
  url: string,
  protocol: 'http/protobuf' | 'http/json',
): SpanExporter {
  const pkg =
    protocol === 'http/json'
      ? '@opentelemetry/exporter-trace-otlp-http'
      : '@opentelemetry/exporter-trace-otlp-proto';
  const req = createRequire(require.resolve(pkg));
  const base = req('@opentelemetry/otlp-exporter-base') as Pick<ExporterParts, 'OTLPExporterBase'>;
  const http = req('@opentelemetry/otlp-exporter-base/node-http') as Omit<
    ExporterParts,
    'OTLPExporterBase'
  >;
  const transformer = createRequire(req.resolve('@opentelemetry/otlp-transformer'));
  const serializer =
    protocol === 'http/json'
      ? (transformer('./trace/json') as { JsonTraceSerializer: unknown }).JsonTraceSerializer
      : (transformer('./trace/protobuf') as { ProtobufTraceSerializer: unknown })
          .ProtobufTraceSerializer;
  const { TraceExporterMetricsHelper } = transformer('./trace') as {
    TraceExporterMetricsHelper: unknown;
  };
  const options = http.convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', {
    'Content-Type': protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
  });
  return new base.OTLPExporterBase(
    http.createOtlpHttpExportDelegate(
      options,
      serializer,
      'otlp_http_span_exporter',
      TraceExporterMetricsHelper,
      undefined,
    ),
  );
}
