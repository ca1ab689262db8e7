/** Options accepted by {@link start}; every field is optional and overrides its environment variable. */
export interface StartOptions {
  /** `service.name`; default `OTEL_SERVICE_NAME`, then the app's package.json name. */
  serviceName?: string;
  /** `service.version`; default `OTEL_RESOURCE_ATTRIBUTES`, then the app's package.json version, else absent. */
  serviceVersion?: string;
  /** `deployment.environment.name`; default from `OTEL_RESOURCE_ATTRIBUTES`, then `NODE_ENV`, else absent. */
  deploymentEnvironment?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** OTLP base URL; default `OTEL_EXPORTER_OTLP_ENDPOINT` or `http://localhost:4318`. */
  endpoint?: string;
  /** Full OTLP traces URL; default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `${endpoint}/v1/traces`. */
  tracesEndpoint?: string;
  /** Full OTLP logs URL; default `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` or `${endpoint}/v1/logs`. */
  logsEndpoint?: string;
  /** Full OTLP metrics URL; default `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or `${endpoint}/v1/metrics`. */
  metricsEndpoint?: string;
  /** OTLP encoding; default `OTEL_EXPORTER_OTLP_PROTOCOL` or `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** Prometheus port; default `OTEL_EXPORTER_PROMETHEUS_PORT` or 9464 (0 picks a free port). */
  metricsPort?: number;
  /** Prometheus host; default `OTEL_EXPORTER_PROMETHEUS_HOST` or all interfaces. */
  metricsHost?: string;
  /**
   * Open the metrics port. Set `false` when the app mounts {@link metricsHandler} itself;
   * default `O11Y_METRICS_SERVER` or true.
   */
  metricsServer?: boolean;
  /** Instrumentations to load (names like `http`, `express`, `pg`); default all available ones. */
  enabledInstrumentations?: string[];
  /** Instrumentations not to load. */
  disabledInstrumentations?: string[];
  /** pino level; default `LOG_LEVEL`, then `OTEL_LOG_LEVEL`, then `info`. */
  logLevel?: string;
  /** Flush deadline on shutdown in ms; default `O11Y_SHUTDOWN_TIMEOUT_MS` or 2000. */
  shutdownTimeoutMs?: number;
  /** Flush on SIGTERM/SIGINT; default true. */
  handleSignals?: boolean;
  /** Turn the SDK off (nothing exported, logger still writes stdout); default `OTEL_SDK_DISABLED`. */
  disabled?: boolean;
}

/** OTLP/HTTP encodings the SDK can send. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** The fully resolved configuration: every value validated, every default applied. */
export interface Config {
  disabled: boolean;
  serviceName: string;
  serviceVersion: string | undefined;
  deploymentEnvironment: string | undefined;
  resourceAttributes: Record<string, string | number | boolean>;
  tracesEndpoint: string;
  logsEndpoint: string;
  tracesProtocol: OtlpProtocol;
  logsProtocol: OtlpProtocol;
  tracesExporter: 'otlp' | 'console' | 'none';
  logsExporter: 'otlp' | 'none';
  sampler: SamplerName;
  samplerRatio: number;
  blrp: {
    scheduledDelayMillis: number;
    exportTimeoutMillis: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
  };
  bsp: {
    scheduledDelayMillis: number;
    exportTimeoutMillis: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
  };
  diagLevel: 'NONE' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'VERBOSE' | 'ALL';
  logLevel: string;
  metricsServer: boolean;
  metricsPort: number;
  metricsHost: string | undefined;
  /** OTLP metrics push (`OTEL_METRICS_EXPORTER` lists `otlp`), else undefined. */
  metricsPush:
    | {
        url: string;
        intervalMillis: number;
        timeoutMillis: number;
        /** Counters and histograms as deltas since the previous export. */
        delta: boolean;
      }
    | undefined;
  instrumentations: Set<string>;
  /** Whether the app named the instrumentations it wants (then one it cannot use is worth a warning). */
  instrumentationsNamed: boolean;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
}
