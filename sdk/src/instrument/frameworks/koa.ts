import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addRouteReader, removeRouteReader, UNMATCHED_ROUTE } from '../http/route';
import { recordServerError } from '../http/server-spans';
import { isClientError } from './client-error';

// Koa itself has no routes: @koa/router (v12 to v15) writes the template of the route it matched
// on the context (`ctx._matchedRoute`, prefixes and nested routers' mount paths included, as it
// copies a nested router's layers into its parent) and, whenever it dispatched a request, the
// layers whose path matched (`ctx.matched`, an empty array when none did). So nothing is wrapped
// per middleware: koa's handleRequest (once per request) links the raw request to its context,
// and the route is read from the context when the request ends. Upstream's koa instrumentation
// instead wraps every middleware and makes a span for each.

const CTX = Symbol('o11y.koa.ctx');

interface KoaContext {
  req: IncomingMessage & { [CTX]?: KoaContext };
  res: ServerResponse;
  _matchedRoute?: unknown;
  /** @koa/router 15: whether the last router that dispatched the request matched a route. */
  routeMatched?: boolean;
  matched?: unknown[];
  onerror(err: unknown): void;
}
type HandleRequest = (this: KoaApp, ctx: KoaContext, fn: unknown) => unknown;
interface KoaApp {
  context: object;
}
interface KoaClass {
  prototype: { handleRequest: HandleRequest };
}

/**
 * The route of a request koa handled: the template a router matched, `unmatched` when a router
 * saw it and matched nothing, undefined for an app without a router (it has no routes at all).
 */
function readKoaRoute(req: IncomingMessage): string | undefined {
  const ctx = (req as KoaContext['req'])[CTX];
  if (ctx === undefined) return undefined;
  const route = ctx._matchedRoute;
  // A string template, or a regular expression a route was declared with.
  if ((typeof route === 'string' || route instanceof RegExp) && ctx.routeMatched !== false)
    return String(route);
  return ctx.matched !== undefined ? UNMATCHED_ROUTE : undefined;
}

const TRACERESPONSE = 'traceresponse';

function keepTraceresponse(this: ServerResponse, name: string): void {
  if (name.toLowerCase() !== TRACERESPONSE)
    (Object.getPrototypeOf(this) as ServerResponse).removeHeader.call(this, name);
}

/**
 * koa's default error handler: records the error on the server span, and keeps the
 * `traceresponse` header, which it would remove with every other header before it sends the
 * error response (the link from a failed response to its trace is what is wanted most).
 */
function onerrorPatch(original: KoaContext['onerror']): KoaContext['onerror'] {
  return function onerror(this: KoaContext, err: unknown) {
    if (err === undefined || err === null) return original.call(this, err);
    const { req, res } = this;
    if (!isClientError(err)) recordServerError(req, err);
    // Only for the duration of this call, only on this response: nothing on the success path.
    const own = Object.prototype.hasOwnProperty.call(res, 'removeHeader');
    if (own || res.getHeader(TRACERESPONSE) === undefined) return original.call(this, err);
    res.removeHeader = keepTraceresponse;
    try {
      return original.call(this, err);
    } finally {
      delete (res as Partial<ServerResponse>).removeHeader;
    }
  };
}

/** Route templates (from @koa/router) and handler errors for koa 2 and 3. */
export class KoaRoutes extends InstrumentationBase {
  /** The context prototypes whose onerror is wrapped (one per copy of koa). */
  private readonly contexts = new Set<{ onerror: KoaContext['onerror'] }>();

  constructor(config: InstrumentationConfig = {}) {
    super('@o11y/sdk/koa', '1', config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'koa',
        ['>=2.0.0 <4'],
        (exports: KoaClass & { default?: KoaClass }) => {
          // require(): the Application class; import: a namespace whose default is that class.
          const app = typeof exports === 'function' ? exports : exports.default;
          if (typeof app?.prototype?.handleRequest !== 'function') return exports;
          addRouteReader(readKoaRoute);
          if (!isWrapped(app.prototype.handleRequest))
            this._wrap(app.prototype, 'handleRequest', (original) => this.handleRequest(original));
          return exports;
        },
        (exports: (KoaClass & { default?: KoaClass }) | undefined) => {
          const app = typeof exports === 'function' ? exports : exports?.default;
          if (app?.prototype !== undefined) this._unwrap(app.prototype, 'handleRequest');
          for (const proto of this.contexts) this._unwrap(proto, 'onerror');
          this.contexts.clear();
          removeRouteReader(readKoaRoute);
        },
      ),
    ];
  }

  private handleRequest(original: HandleRequest): HandleRequest {
    const contexts = this.contexts;
    const wrap = (proto: { onerror: KoaContext['onerror'] }) => {
      contexts.add(proto);
      this._wrap(proto, 'onerror', onerrorPatch);
    };
    return function handleRequest(this: KoaApp, ctx: KoaContext, fn: unknown) {
      try {
        ctx.req[CTX] = ctx;
        // koa's contexts inherit onerror from its context module, reached through an app.
        const proto = Object.getPrototypeOf(this.context) as { onerror: KoaContext['onerror'] };
        if (!contexts.has(proto) && typeof proto?.onerror === 'function') wrap(proto);
      } catch {
        // the request is served without its route
      }
      return original.call(this, ctx, fn);
    };
  }
}
