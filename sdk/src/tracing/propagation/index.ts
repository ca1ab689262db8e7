import { type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core';
import { propagatorNames, type PropagatorName } from '../../config/propagators';
import { TraceContextPropagator } from './trace-context';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when OTEL_PROPAGATORS names them */
function create(name: PropagatorName): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new TraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'b3': {
      const b3 =
        require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
      return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.SINGLE_HEADER });
    }
    case 'b3multi': {
      const b3 =
        require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
      return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.MULTI_HEADER });
    }
    case 'jaeger': {
      const jaeger =
        require('@opentelemetry/propagator-jaeger') as typeof import('@opentelemetry/propagator-jaeger');
      return new jaeger.JaegerPropagator();
    }
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The propagator OTEL_PROPAGATORS asks for: one directly, several composed in the listed order. */
export function propagatorFromEnv(env?: Record<string, string | undefined>): TextMapPropagator {
  const propagators = propagatorNames(env).map(create);
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator({ propagators });
}

export { TraceContextPropagator } from './trace-context';
export { W3CTraceState } from './tracestate';
