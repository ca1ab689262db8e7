import { warnOnce } from './warn';

/** The OTEL_PROPAGATORS values this SDK can install. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger';

const SUPPORTED: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'];
const DEFAULT: PropagatorName[] = ['tracecontext', 'baggage'];

/**
 * OTEL_PROPAGATORS as the OpenTelemetry spec defines it: a comma list, default
 * `tracecontext,baggage`, duplicates installed once, `none` installing nothing. Unknown or
 * unsupported names (e.g. `xray`, `ottrace`) are reported once and skipped, so a typo loses one
 * format rather than all propagation.
 */
export function propagatorNames(
  env: Record<string, string | undefined> = process.env,
): PropagatorName[] {
  const value = env.OTEL_PROPAGATORS?.trim();
  if (!value) return DEFAULT;
  const names: PropagatorName[] = [];
  let none = false;
  for (const part of value.split(',')) {
    // Enum values are case-insensitive in the OTel environment-variable spec.
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (name === 'none') none = true;
    else if ((SUPPORTED as readonly string[]).includes(name)) {
      if (!names.includes(name as PropagatorName)) names.push(name as PropagatorName);
    } else
      warnOnce(
        `env:OTEL_PROPAGATORS:${name}`,
        `OTEL_PROPAGATORS names unknown propagator ${JSON.stringify(name)}; supported: ${SUPPORTED.join(', ')}, none; ignoring it`,
      );
  }
  if (none && names.length > 0)
    warnOnce(
      'env:OTEL_PROPAGATORS:none',
      `OTEL_PROPAGATORS=${JSON.stringify(value)} combines none with other propagators; installing none`,
    );
  return none ? [] : names;
}
