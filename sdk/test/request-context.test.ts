import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  getRPCMetadata,
  RPCType,
  W3CTraceContextPropagator,
  type RPCMetadata,
} from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../src/http/request-context';

// The context a served request's handlers run in must behave as the one the context API builds
// with trace.setSpan + setRPCMetadata: what the app, other instrumentations and propagators
// read from it, and every context derived from it.

const tracer = new BasicTracerProvider().getTracer('request-context-test');
const USER_KEY = createContextKey('app value');

function build() {
  const parent = ROOT_CONTEXT.setValue(USER_KEY, 'from the parent');
  const span = tracer.startSpan('GET', {}, parent);
  const meta: RPCMetadata = { type: RPCType.HTTP, span };
  return { parent, span, meta, ctx: requestContext(parent, span, meta) };
}

describe('requestContext', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  it('holds the span, the RPC metadata and everything of its parent', () => {
    const { span, meta, ctx } = build();
    expect(trace.getSpan(ctx)).toBe(span);
    expect(getRPCMetadata(ctx)).toBe(meta);
    expect(ctx.getValue(USER_KEY)).toBe('from the parent');
  });

  it('derives contexts that keep all of it, and can remove any of it', () => {
    const { span, meta, ctx } = build();
    const child = tracer.startSpan('child', {}, ctx);
    expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
    const withChild = trace.setSpan(ctx, child);
    expect(trace.getSpan(withChild)).toBe(child);
    expect(getRPCMetadata(withChild)).toBe(meta);
    expect(withChild.getValue(USER_KEY)).toBe('from the parent');
    // The request's own context is unchanged.
    expect(trace.getSpan(ctx)).toBe(span);

    const noSpan = trace.deleteSpan(ctx);
    expect(trace.getSpan(noSpan)).toBeUndefined();
    expect(getRPCMetadata(noSpan)).toBe(meta);
    expect(ctx.deleteValue(USER_KEY).getValue(USER_KEY)).toBeUndefined();
  });

  it('is what context.active() returns inside context.with, and what propagators inject', () => {
    const { span, ctx } = build();
    context.with(ctx, () => {
      expect(trace.getActiveSpan()).toBe(span);
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      const { traceId, spanId } = span.spanContext();
      expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    });
  });
});
