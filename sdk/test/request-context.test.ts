import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  getRPCMetadata,
  RPCType,
  W3CTraceContextPropagator,
  type RPCMetadata,
} from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTRACT_ROOT, requestContext, withSpan } from '../src/instrument/http/request-context';

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

  it('withSpan sets a span as trace.setSpan does, over any parent', () => {
    const { span, meta, ctx } = build();
    const client = tracer.startSpan('GET', {}, ctx);
    for (const parent of [ctx, ROOT_CONTEXT, ROOT_CONTEXT.setValue(USER_KEY, 'x')]) {
      const withClient = withSpan(parent, client);
      expect(trace.getSpan(withClient)).toBe(client);
      expect(withClient.getValue(USER_KEY)).toBe(parent.getValue(USER_KEY));
      const headers: Record<string, string> = {};
      propagation.inject(withClient, headers);
      const { traceId, spanId } = client.spanContext();
      expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    }
    expect(getRPCMetadata(withSpan(ctx, client))).toBe(meta);
    expect(trace.getSpan(ctx)).toBe(span);
  });

  it('EXTRACT_ROOT takes what a propagator extracts, as ROOT_CONTEXT does', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const remote = propagation.extract(EXTRACT_ROOT, { traceparent });
    expect(trace.getSpanContext(remote)).toEqual(
      trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent })),
    );
    expect(trace.getSpanContext(remote)?.isRemote).toBe(true);
    expect(trace.getSpan(propagation.extract(EXTRACT_ROOT, {}))).toBeUndefined();
    expect(EXTRACT_ROOT.getValue(USER_KEY)).toBeUndefined();

    const server = tracer.startSpan('GET', {}, remote);
    const ctx = requestContext(remote, server, { type: RPCType.HTTP, span: server });
    const child = tracer.startSpan('child', {}, ctx);
    expect(child.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(server.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect((server as unknown as ReadableSpan).parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('keeps every value through deep derivations, deletions included', () => {
    // Deeper than a lookup should walk: the chain is folded into the API's context on the way.
    const { span, meta, ctx } = build();
    const keys = Array.from({ length: 40 }, (_, i) => createContextKey(`level ${i}`));
    let deep = ctx;
    for (const [i, key] of keys.entries()) {
      deep = deep.setValue(key, i);
      if (i % 7 === 3) deep = deep.deleteValue(keys[i - 1]!);
      if (i === 20) deep = deep.deleteValue(USER_KEY);
    }
    for (const [i, key] of keys.entries()) {
      const deleted = i % 7 === 2 && i < 39;
      expect(deep.getValue(key)).toBe(deleted ? undefined : i);
    }
    expect(deep.getValue(USER_KEY)).toBeUndefined();
    expect(trace.getSpan(deep)).toBe(span);
    expect(getRPCMetadata(deep)).toBe(meta);
    // Deleted, then set again.
    expect(deep.setValue(keys[2]!, 'again').getValue(keys[2]!)).toBe('again');
    expect(deep.deleteValue(keys[39]!).setValue(keys[39]!, 'back').getValue(keys[39]!)).toBe(
      'back',
    );
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
