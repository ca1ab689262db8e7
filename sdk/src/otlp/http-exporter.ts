import { createRequire } from 'node:module';
import { HttpExportTransport, type HttpExportSettings } from './export-transport';

/** What the OTLP/HTTP exporters build themselves from (the same calls, minus the root indexes). */
interface ExporterBase {
  OTLPExporterBase: new (delegate: unknown) => object;
  createOtlpNetworkExportDelegate: (
    options: unknown,
    serializer: unknown,
    metrics: unknown,
    transport: HttpExportTransport,
  ) => unknown;
}
interface NodeHttp {
  createOtlpHttpExporterMetrics: (
    componentType: string,
    metricsHelper: unknown,
    url: string,
    meterProvider: undefined,
  ) => unknown;
  convertLegacyHttpOptions: (
    config: object,
    signal: string,
    path: string,
    headers: Record<string, string>,
  ) => HttpExportSettings;
}

export type OtlpSignal = 'traces' | 'logs' | 'metrics';
export type OtlpHttpProtocol = 'http/protobuf' | 'http/json';

const SIGNALS = {
  traces: {
    packages: [
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/exporter-trace-otlp-proto',
    ],
    env: 'TRACES',
    path: 'v1/traces',
    dir: './trace',
    serializers: ['JsonTraceSerializer', 'ProtobufTraceSerializer'],
    helper: 'TraceExporterMetricsHelper',
    componentType: 'otlp_http_span_exporter',
  },
  logs: {
    packages: ['@opentelemetry/exporter-logs-otlp-http', '@opentelemetry/exporter-logs-otlp-proto'],
    env: 'LOGS',
    path: 'v1/logs',
    dir: './logs',
    serializers: ['JsonLogsSerializer', 'ProtobufLogsSerializer'],
    helper: 'LogsExporterMetricsHelper',
    componentType: 'otlp_http_log_exporter',
  },
  // Only pre-encoded (metrics/otlp-push.ts encodes prom-client's registry itself): the exporter
  // base comes from the traces exporter the SDK already depends on.
  metrics: {
    packages: [
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/exporter-trace-otlp-proto',
    ],
    env: 'METRICS',
    path: 'v1/metrics',
    dir: './metrics',
    serializers: ['JsonMetricsSerializer', 'ProtobufMetricsSerializer'],
    helper: 'MetricsExporterMetricsHelper',
    componentType: 'otlp_http_metric_exporter',
  },
} as const;

const ITEM_NAMES = { traces: 'span', logs: 'log_record', metrics: 'metric_data_point' } as const;

/**
 * An OTLP/HTTP exporter built exactly as `@opentelemetry/exporter-{trace,logs}-otlp-{proto,http}`
 * build their own, but without `@opentelemetry/otlp-transformer`'s root index, which loads every
 * signal's serializer and all of `@opentelemetry/sdk-metrics`: about twice the module-loading
 * time (on the app's event loop for traces) and memory that the process keeps. Modules are
 * resolved next to the exporter package so that they are the versions it was released with.
 * The HTTP transport is the SDK's own (./export-transport): same retries, timeouts and settings,
 * but it never keeps a finished process alive and a shutdown cancels what is in flight.
 * Throws if a release is laid out differently; callers then use the package's own class.
 * `preEncoded`: export() takes an already encoded request body instead of records.
 */
export function createOtlpHttpExporter<T>(
  signal: OtlpSignal,
  url: string,
  protocol: OtlpHttpProtocol,
  preEncoded = false,
): T {
  const s = SIGNALS[signal];
  const json = protocol === 'http/json';
  const req = createRequire(require.resolve(s.packages[json ? 0 : 1]));
  const { OTLPExporterBase, createOtlpNetworkExportDelegate } = req(
    '@opentelemetry/otlp-exporter-base',
  ) as ExporterBase;
  const http = req('@opentelemetry/otlp-exporter-base/node-http') as NodeHttp;
  let serializer: unknown;
  let helper: unknown;
  if (preEncoded) {
    // export() is given the request body itself; the response's partial-success details are
    // not decoded (the transformer is not loaded at all).
    serializer = { serializeRequest: (body: Uint8Array) => body, deserializeResponse: () => ({}) };
    helper = { name: ITEM_NAMES[signal], countItems: () => 1 };
  } else {
    if (signal === 'metrics') throw new Error('metrics are exported pre-encoded only');
    const transformer = createRequire(req.resolve('@opentelemetry/otlp-transformer'));
    const serializerName = s.serializers[json ? 0 : 1];
    serializer = (transformer(`${s.dir}/${json ? 'json' : 'protobuf'}`) as Record<string, unknown>)[
      serializerName
    ];
    helper = (transformer(s.dir) as Record<string, unknown>)[s.helper];
    if (serializer === undefined || helper === undefined)
      throw new Error(`${serializerName} or ${s.helper} not found`);
  }
  const options = http.convertLegacyHttpOptions({ url }, s.env, s.path, {
    'Content-Type': json ? 'application/json' : 'application/x-protobuf',
  });
  const metrics = http.createOtlpHttpExporterMetrics(
    s.componentType,
    helper,
    options.url,
    undefined,
  );
  return new OTLPExporterBase(
    createOtlpNetworkExportDelegate(options, serializer, metrics, new HttpExportTransport(options)),
  ) as T;
}
