import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { IncomingMessage } from 'node:http';
import { recordServerError } from '../http/server-spans';
import { isClientError } from './client-error';

// NestJS answers the errors of its handlers itself: the route proxy catches what a controller,
// guard, pipe or interceptor threw and gives it to the route's exceptions handler (custom
// exception filters, then BaseExceptionFilter's 500). Neither the express nor the fastify
// adapter ever sees the error, so it is taken here, for both adapters at once.
//
// The proxy and the handler are internal (router/router-proxy.js, exceptions/exceptions-handler.js)
// and NestJS 12 is ES modules only: an internal file is imported by a relative path the ESM hook
// cannot name, and `require('@nestjs/core')` from a CommonJS app loads it without any hook. So
// the route proxy's class is reached from the one public export that holds one, an application
// (`app.routesResolver.routerProxy`), when the application initialises; its prototype is patched
// once, and each route's exceptions handler is wrapped when the route is built. Nothing runs per
// request until a handler fails. Route templates need nothing here: NestJS registers full paths
// (global prefix, controller and method paths) on the adapter, whose instrumentation names them.

type Next = (this: unknown, exception: unknown, host: Host) => unknown;
interface ExceptionsHandler {
  next: Next;
}
interface Host {
  getType?: () => string;
  getArgByIndex(index: number): unknown;
}
type CreateProxy = (this: unknown, callback: unknown, handler: ExceptionsHandler) => unknown;
interface RouterProxy {
  createProxy: CreateProxy;
  createExceptionLayerProxy?: CreateProxy;
}
type Init = (this: NestApp, ...args: unknown[]) => unknown;
interface NestApp {
  routesResolver?: { routerProxy?: RouterProxy };
}
interface NestCore {
  NestApplication?: { prototype: { init: Init } };
}

const RECORDING = Symbol('o11y.nest.recording');

/** The raw request of an HTTP host: express's request itself, or fastify's `request.raw`. */
function rawRequest(host: Host): IncomingMessage | undefined {
  if (typeof host?.getArgByIndex !== 'function') return undefined;
  if (host.getType !== undefined && host.getType() !== 'http') return undefined;
  const req = host.getArgByIndex(0) as { raw?: IncomingMessage } | undefined;
  return (req?.raw ?? req) as IncomingMessage | undefined;
}

/** Gives a route's exceptions handler (one per route, made when routes are built) a recorder. */
function recording(handler: ExceptionsHandler): ExceptionsHandler {
  const h = handler as ExceptionsHandler & { [RECORDING]?: true };
  if (h === null || typeof h !== 'object' || typeof h.next !== 'function' || h[RECORDING])
    return handler;
  const next = h.next;
  h.next = function recordingNext(this: unknown, exception: unknown, host: Host) {
    try {
      const req = rawRequest(host);
      if (req !== undefined && !isClientError(exception)) recordServerError(req, exception);
    } catch {
      // the error is answered as usual
    }
    return next.call(this, exception, host);
  };
  h[RECORDING] = true;
  return handler;
}

function proxyPatch(original: CreateProxy): CreateProxy {
  return function createProxy(this: unknown, callback: unknown, handler: ExceptionsHandler) {
    return original.call(this, callback, recording(handler));
  };
}

/** Handler errors for NestJS 8 to 12, on its express and fastify adapters. */
export class NestErrors extends InstrumentationBase {
  private readonly proxies = new Set<RouterProxy>();

  constructor(config: InstrumentationConfig = {}) {
    super('@o11y/sdk/nest', '1', config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        '@nestjs/core',
        ['>=8.0.0 <13'],
        (exports: NestCore) => {
          const proto = exports?.NestApplication?.prototype;
          // The namespace of an ES module is frozen: the class's prototype is not.
          if (typeof proto?.init === 'function' && !isWrapped(proto.init))
            this._wrap(proto, 'init', (original: Init) => this.initPatch(original));
          return exports;
        },
        (exports: NestCore | undefined) => {
          const proto = exports?.NestApplication?.prototype;
          if (proto !== undefined) this._unwrap(proto, 'init');
          for (const p of this.proxies) {
            this._unwrap(p, 'createProxy');
            this._unwrap(p, 'createExceptionLayerProxy');
          }
          this.proxies.clear();
        },
      ),
    ];
  }

  private initPatch(original: Init): Init {
    const patchProxy = (app: NestApp) => {
      const proxy = app.routesResolver?.routerProxy;
      const proto = proxy === undefined ? undefined : (Object.getPrototypeOf(proxy) as RouterProxy);
      if (proto === undefined || this.proxies.has(proto) || typeof proto.createProxy !== 'function')
        return;
      this.proxies.add(proto);
      this._wrap(proto, 'createProxy', proxyPatch);
      if (typeof proto.createExceptionLayerProxy === 'function')
        this._wrap(proto as Required<RouterProxy>, 'createExceptionLayerProxy', proxyPatch);
    };
    return function init(this: NestApp, ...args: unknown[]) {
      try {
        patchProxy(this);
      } catch {
        // the app runs, its errors unrecorded
      }
      return original.apply(this, args);
    };
  }
}
