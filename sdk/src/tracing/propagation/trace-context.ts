import {
  isSpanContextValid,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { formatTraceParent, parseTraceParent } from './traceparent';
import { W3CTraceState } from './tracestate';

export const TRACE_PARENT = 'traceparent';
export const TRACE_STATE = 'tracestate';
const FIELDS = [TRACE_PARENT, TRACE_STATE];

/**
 * W3C Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/): keeps the random trace id
 * flag, reads future traceparent versions, and validates tracestate as the W3C test suite does.
 * Replaces @opentelemetry/core's W3CTraceContextPropagator, which drops flag 0x02 and keeps a
 * partly invalid tracestate (or sends it on empty).
 */
export class TraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (sc === undefined || isTracingSuppressed(context) || !isSpanContextValid(sc)) return;
    setter.set(carrier, TRACE_PARENT, formatTraceParent(sc.traceId, sc.spanId, sc.traceFlags));
    const state = sc.traceState?.serialize();
    if (state) setter.set(carrier, TRACE_STATE, state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, TRACE_PARENT);
    // Two traceparent headers (an array, or Node's comma-joined value, which fails the length
    // check) leave the parent undefined: the trace restarts.
    if (typeof header !== 'string' && !(Array.isArray(header) && header.length === 1))
      return context;
    const sc = parseTraceParent(typeof header === 'string' ? header : header[0]!);
    if (sc === undefined) return context;
    const states = getter.get(carrier, TRACE_STATE);
    if (states !== undefined) {
      // Several tracestate fields combine, in order, into one list (RFC 9110 field order).
      const combined = typeof states === 'string' ? states : states.join(',');
      sc.traceState = W3CTraceState.fromHeader(combined);
    }
    return trace.setSpanContext(context, sc);
  }

  fields(): string[] {
    return FIELDS;
  }
}
