import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/options';
import { encodeRequest, encodeResource, encodeScope } from '../otlp/common-encoding';
import { reportExportFailure } from '../otlp/export-failures';
import { createOtlpHttpExporter } from '../otlp/http-exporter';
import { ProtobufWriter } from '../otlp/protobuf-writer';
import { writeMetric } from './otlp-metrics-encoding';
import { registry } from './registry';
import { RegistryReader } from './registry-reader';

/** What OTLPExporterBase offers when built with a pass-through serializer. */
interface RequestExporter {
  export(request: Buffer, done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

const SCOPE = '@o11y/sdk';
/** The SDK's version for the scope (same depth from src/ and dist/); absent rather than made up. */
const VERSION: string | undefined = (() => {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    return pkg.name === SCOPE && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
})();

/** The periodic OTLP push of the SDK's prom-client registry, if OTEL_METRICS_EXPORTER has `otlp`. */
export interface MetricsPush {
  /** Exports what the registry holds now (one export at a time; a call waits for the last). */
  flush(): Promise<void>;
  /** Stops the timer and exports a last time. */
  shutdown(): Promise<void>;
}

/**
 * Every `intervalMillis` (OTEL_METRIC_EXPORT_INTERVAL) the registry is read, encoded as one
 * ExportMetricsServiceRequest (http/protobuf, the resource of the traces) and sent through the
 * SDK's OTLP transport (headers, compression and retries from OTEL_EXPORTER_OTLP_[METRICS_]*).
 * An export that takes longer than `timeoutMillis` (OTEL_METRIC_EXPORT_TIMEOUT) counts as
 * failed. The timer never keeps a finished process alive; the exit flush sends the last values.
 */
export function startMetricsPush(
  config: NonNullable<Config['metricsPush']>,
  attributes: Record<string, string | number | boolean>,
): MetricsPush {
  const exporter = createOtlpHttpExporter<RequestExporter>(
    'metrics',
    config.url,
    'http/protobuf',
    true,
  );
  const reader = new RegistryReader(registry, config.delta);
  const resource = encodeResource(attributes);
  const scope = encodeScope({ name: SCOPE, version: VERSION });
  let last: Promise<void> = Promise.resolve();
  let stopped = false;

  const exportOnce = async (): Promise<void> => {
    const collected = await reader.collect();
    if (collected.length === 0) return;
    const w = new ProtobufWriter(64 * 1024);
    for (const m of collected) writeMetric(w, 0x12, m); // ScopeMetrics.metrics is field 2
    const body = encodeRequest(resource, undefined, [
      { scope, schemaUrl: undefined, records: w.buf.subarray(0, w.pos) },
    ]);
    const error = await new Promise<Error | undefined>((resolve) => {
      const timer = setTimeout(
        () => resolve(new Error(`no answer within ${config.timeoutMillis} ms`)),
        config.timeoutMillis,
      ).unref();
      exporter.export(body, (result) => {
        clearTimeout(timer);
        resolve(result.code === 0 ? undefined : (result.error ?? new Error('export failed')));
      });
    });
    if (error !== undefined) reportExportFailure('metrics', config.url, error);
  };
  const run = (): Promise<void> => {
    last = last.then(exportOnce).catch((err: unknown) => {
      reportExportFailure('metrics', config.url, err);
    });
    return last;
  };

  const timer = setInterval(() => void run(), config.intervalMillis).unref();
  return {
    flush: () => (stopped ? last : run()),
    shutdown() {
      if (stopped) return last;
      stopped = true;
      clearInterval(timer);
      return run().then(() => exporter.shutdown());
    },
  };
}
