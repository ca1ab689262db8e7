import { trace, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

/** The scope of the spans the SDK makes itself. */
export const SDK_SCOPE = '@o11y/sdk';

/**
 * An OpenTelemetry instrumentation that patches Node built-ins in place (no module hook), so
 * that it is enabled and disabled with the others. Subclasses patch in enable() and restore in
 * disable(); their spans use `this.tracer`, their durations go to the SDK's Prometheus registry.
 */
export abstract class PatchingInstrumentation implements Instrumentation {
  readonly instrumentationName = SDK_SCOPE;
  readonly instrumentationVersion = '1';
  protected tracer: Tracer = trace.getTracer(SDK_SCOPE);
  private config: InstrumentationConfig = { enabled: true };

  // Enabled on construction, as upstream instrumentations are: registerInstrumentations only
  // enables those whose config says they are not.
  constructor() {
    this.enable();
  }

  abstract enable(): void;
  abstract disable(): void;

  setTracerProvider(provider: TracerProvider): void {
    this.tracer = provider.getTracer(SDK_SCOPE);
  }

  setMeterProvider(_provider: MeterProvider): void {
    // Metrics go to the SDK's Prometheus registry, not to an OTel meter.
  }

  setConfig(config: InstrumentationConfig): void {
    this.config = config;
  }

  getConfig(): InstrumentationConfig {
    return this.config;
  }
}
