import { INVALID_SPAN_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';

// A served request's context holds its server span and its RPC metadata. Set one value at a time
// through the context API, that is two contexts per request, each a copied Map and three
// closures: the largest objects the SDK keeps alive while a request is in flight, and so what
// the garbage collector copies most. This context holds both values in one small object and
// builds the API's own context only when someone derives a context from it (a child span).

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

class RequestContext implements Context {
  private derived: Context | undefined;

  constructor(
    private readonly parent: Context,
    private readonly spanKey: symbol,
    private readonly span: Span,
    private readonly rpcKey: symbol,
    private readonly meta: RPCMetadata,
  ) {}

  getValue(key: symbol): unknown {
    if (key === this.spanKey) return this.span;
    if (key === this.rpcKey) return this.meta;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.base().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.base().deleteValue(key);
  }

  /** The same values in the API's own context, built once. */
  private base(): Context {
    return (this.derived ??= this.parent
      .setValue(this.spanKey, this.span)
      .setValue(this.rpcKey, this.meta));
  }
}

/** `parent` with the request's server span active and its RPC metadata set. */
export function requestContext(parent: Context, span: Span, meta: RPCMetadata): Context {
  if (SPAN_KEY === undefined || RPC_KEY === undefined)
    return setRPCMetadata(trace.setSpan(parent, span), meta);
  return new RequestContext(parent, SPAN_KEY, span, RPC_KEY, meta);
}
