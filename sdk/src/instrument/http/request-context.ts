import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';

// The contexts the SDK builds per request: the caller's trace context extracted from a served
// request's headers, that request's own (its server span and RPC metadata) and an outbound
// call's (its client span, for the propagator). The context API would build each
// value as a copy of its parent's Map with three closures. On Node 24 those copies made about
// 1 KB of every request outlive two young-generation collections, which grew the young
// generation to its maximum: about 40 MB more resident memory under load. A context here is one
// small object per value that reads through to its parent.

/** The key the API stores a value under, learnt by asking it to set one on a recording context. */
function keyOf(set: (ctx: Context) => Context): symbol | undefined {
  let key: symbol | undefined;
  const recorder: Context = {
    getValue: () => undefined,
    setValue: (k) => {
      key = k;
      return recorder;
    },
    deleteValue: () => recorder,
  };
  set(recorder);
  return key;
}

const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const SPAN_KEY = keyOf((c) => trace.setSpan(c, NO_SPAN));
const RPC_KEY = keyOf((c) => setRPCMetadata(c, { type: RPCType.HTTP, span: NO_SPAN }));

/** Marks a value deleted in a derived context. */
const DELETED = Symbol('deleted');
/**
 * Derived contexts deeper than this are folded into the context they start from, so that a
 * lookup never walks a long chain (spans nested in a loop, for instance).
 */
const MAX_DEPTH = 16;

/** `parent` with one value set or deleted. */
class ValueContext implements Context {
  constructor(
    readonly parent: Context,
    readonly key: symbol,
    readonly value: unknown,
    readonly depth: number,
  ) {}

  getValue(key: symbol): unknown {
    // A loop, not recursion: the common lookups (span, suppression) pass every level.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walks the chain
    let ctx: Context = this;
    while (ctx instanceof ValueContext) {
      if (ctx.key === key) return ctx.value === DELETED ? undefined : ctx.value;
      ctx = ctx.parent;
    }
    return ctx.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return derive(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return derive(this, key, DELETED);
  }

  /** The same values set on the first context of the chain that is not one of these. */
  fold(): Context {
    const values = new Map<symbol, unknown>();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walks the chain
    let ctx: Context = this;
    while (ctx instanceof ValueContext) {
      if (!values.has(ctx.key)) values.set(ctx.key, ctx.value);
      ctx = ctx.parent;
    }
    for (const [key, value] of [...values].reverse()) ctx = put(ctx, key, value);
    return ctx;
  }
}

function derive(parent: Context, key: symbol, value: unknown): Context {
  if (!(parent instanceof ValueContext)) return new ValueContext(parent, key, value, 1);
  if (parent.depth < MAX_DEPTH) return new ValueContext(parent, key, value, parent.depth + 1);
  return put(parent.fold(), key, value);
}

/** Sets `value`, or deletes the key for DELETED, through `ctx`'s own methods. */
function put(ctx: Context, key: symbol, value: unknown): Context {
  return value === DELETED ? ctx.deleteValue(key) : ctx.setValue(key, value);
}

/**
 * The root context for a propagator to extract into: what it sets (the caller's span context,
 * baggage) becomes one of these small contexts rather than a copy of the root's Map.
 */
export const EXTRACT_ROOT: Context = new ValueContext(ROOT_CONTEXT, Symbol('unset'), undefined, 0);

/** `parent` with the request's server span active and its RPC metadata set. */
export function requestContext(parent: Context, span: Span, meta: RPCMetadata): Context {
  if (SPAN_KEY === undefined || RPC_KEY === undefined)
    return setRPCMetadata(trace.setSpan(parent, span), meta);
  return derive(derive(parent, SPAN_KEY, span), RPC_KEY, meta);
}

/** `parent` with `span` active: what `trace.setSpan` returns, for a propagator to read. */
export function withSpan(parent: Context, span: Span): Context {
  if (SPAN_KEY === undefined) return trace.setSpan(parent, span);
  return derive(parent, SPAN_KEY, span);
}
