import { trace, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The scope of the spans the SDK makes itself. */
export const SDK_SCOPE = '@o11y/sdk';

/** The semantic conventions the SDK's HTTP spans follow (known methods include QUERY: 1.38). */
export const SEMCONV_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.38.0';

/** The SDK's own version, read once from its package.json (same depth from src/ and dist/). */
export const SDK_VERSION: string | undefined = (() => {
  try {
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as { name?: unknown; version?: unknown };
    return pkg.name === SDK_SCOPE && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined; // bundled without its package.json: no version rather than a made-up one
  }
})();

/** The tracer of the SDK's own spans: its scope, version and schema URL. */
export function sdkTracer(provider: TracerProvider = trace): Tracer {
  return provider.getTracer(SDK_SCOPE, SDK_VERSION, { schemaUrl: SEMCONV_SCHEMA_URL });
}

/**
 * An OpenTelemetry instrumentation that patches Node built-ins in place (no module hook), so
 * that it is enabled and disabled with the others. Subclasses patch in enable() and restore in
 * disable(); their spans use `this.tracer`, their durations go to the SDK's Prometheus registry.
 */
export abstract class PatchingInstrumentation implements Instrumentation {
  readonly instrumentationName = SDK_SCOPE;
  readonly instrumentationVersion = SDK_VERSION ?? '';
  protected tracer: Tracer = sdkTracer();
  private config: InstrumentationConfig = { enabled: true };

  // Enabled on construction, as upstream instrumentations are: registerInstrumentations only
  // enables those whose config says they are not.
  constructor() {
    this.enable();
  }

  abstract enable(): void;
  abstract disable(): void;

  setTracerProvider(provider: TracerProvider): void {
    this.tracer = sdkTracer(provider);
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
