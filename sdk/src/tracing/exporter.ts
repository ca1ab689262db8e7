/* eslint-disable @typescript-eslint/no-require-imports -- required lazily on purpose: only what is used is loaded, which keeps startup fast */
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import diagnostics from 'node:diagnostics_channel';
import type { Config } from '../config/options';
import { createOtlpHttpExporter } from '../otlp/http-exporter';
import { reportExportFailure } from '../otlp/export-failures';
import type { EncodedExporter } from './encoding-span-processor';

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
 * Keeps the OTLP exporter (serializer, HTTP transport) out of the app's startup: it is loaded a
 * second after the app has served its first response, which is usually a lull and in any case
 * before the first scheduled export. Loading it inside an export would stall the event loop
 * mid-traffic; loading it at start would delay the first response.
 */
class Lazy<T extends { shutdown(): Promise<void>; forceFlush?(): Promise<void> }> {
  private inner: T | undefined;
  constructor(private readonly create: () => T) {
    const channel = diagnostics.channel('http.server.response.finish');
    const onFirstResponse = () => {
      channel.unsubscribe(onFirstResponse);
      setTimeout(() => {
        try {
          void this.exporter;
        } catch {
          // reported by the first export, which tries again
        }
      }, PRELOAD_AFTER_MS).unref();
    };
    channel.subscribe(onFirstResponse);
  }
  protected get exporter(): T {
    return (this.inner ??= this.create());
  }
  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return this.inner?.forceFlush?.() ?? Promise.resolve();
  }
}

class LazyExporter extends Lazy<SpanExporter> implements SpanExporter {
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(spans, resultCallback);
  }
}

/** What OTLPExporterBase offers when built with a pass-through serializer. */
interface RequestExporter {
  export(items: Buffer, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** Sends encoded OTLP/protobuf requests; failures are counted and reported, never thrown. */
class LazyEncodedExporter extends Lazy<RequestExporter> implements EncodedExporter {
  constructor(private readonly url: string) {
    super(() => createOtlpHttpExporter<RequestExporter>('traces', url, 'http/protobuf', true));
  }
  export(request: Buffer, done: (result: ExportResult) => void): void {
    const report = (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS)
        reportExportFailure('traces', this.url, result.error);
      done(result);
    };
    try {
      this.exporter.export(request, report);
    } catch (error) {
      report({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }
}

const PRELOAD_AFTER_MS = 1000;

/**
 * The exporter of encoded requests for OTLP http/protobuf (the default), used with the
 * encoding span processor; undefined for other exporters and protocols.
 */
export function createEncodedSpanExporter(config: Config): EncodedExporter | undefined {
  if (config.tracesExporter !== 'otlp' || config.tracesProtocol !== 'http/protobuf')
    return undefined;
  return new LazyEncodedExporter(config.tracesEndpoint);
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
  return new CountingExporter(leanOrStockExporter(config), config.tracesEndpoint);
}

function leanOrStockExporter(config: Config): SpanExporter {
  try {
    return createOtlpHttpExporter<SpanExporter>(
      'traces',
      config.tracesEndpoint,
      config.tracesProtocol,
    );
  } catch {
    // An exporter release laid out differently: its own class does the same, only slower to load.
  }
  if (config.tracesProtocol === 'http/json') {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: config.tracesEndpoint });
  }
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: config.tracesEndpoint });
}
