/* eslint-disable @typescript-eslint/no-require-imports -- required lazily on purpose: only what is used is loaded, which keeps startup fast */
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/options';
import { rateLimitedWarner } from '../config/warn';
import { selfMetrics } from '../metrics/registry';

/** One warning per minute at most while a backend stays unreachable. */
export const exportWarning = rateLimitedWarner(60_000);
let lastFailureAt = 0;

/** Whether an export failed in the last few seconds (its error was already reported). */
export function exportFailedRecently(): boolean {
  return Date.now() - lastFailureAt < 10_000;
}

/** Records a failed export in the self-metrics and warns at a bounded rate. */
export function reportExportFailure(signal: 'traces' | 'logs', url: string, error: unknown): void {
  lastFailureAt = Date.now();
  selfMetrics.exportFailures.inc({ signal });
  const why =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  exportWarning(
    `export:${signal}`,
    `${signal} export to ${url} failed (${why}); the app is unaffected, telemetry is dropped while this lasts (repeated at most once a minute)`,
  );
}

/** Wraps an exporter so that failures are counted and reported once in a while, never thrown. */
class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly url: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS)
          reportExportFailure('traces', this.url, result.error);
        resultCallback(result);
      });
    } catch (error) {
      reportExportFailure('traces', this.url, error);
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Defers loading the OTLP exporter (protobuf serializer, HTTP transport: a third of the SDK's
 * startup) until the first batch is exported, which is after the app has started.
 */
class LazyExporter implements SpanExporter {
  private inner: SpanExporter | undefined;
  constructor(private readonly create: () => SpanExporter) {}
  private get exporter(): SpanExporter {
    return (this.inner ??= this.create());
  }
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(spans, resultCallback);
  }
  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return this.inner?.forceFlush?.() ?? Promise.resolve();
  }
}

/** The span exporter chosen by the configuration (only the needed exporter package is loaded). */
export function createSpanExporter(config: Config): SpanExporter | undefined {
  if (config.tracesExporter === 'none') return undefined;
  return new LazyExporter(() => loadSpanExporter(config));
}

function loadSpanExporter(config: Config): SpanExporter {
  if (config.tracesExporter === 'console') {
    const { ConsoleSpanExporter } =
      require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
    return new ConsoleSpanExporter();
  }
  if (config.tracesProtocol === 'http/json') {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new CountingExporter(
      new OTLPTraceExporter({ url: config.tracesEndpoint }),
      config.tracesEndpoint,
    );
  }
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new CountingExporter(
    new OTLPTraceExporter({ url: config.tracesEndpoint }),
    config.tracesEndpoint,
  );
}
