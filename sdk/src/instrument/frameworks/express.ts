import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { IncomingMessage } from 'node:http';
import { recordServerError } from '../http/server-spans';
import { addRouteReader, removeRouteReader, UNMATCHED_ROUTE } from '../http/route';

// Written by hand rather than taken from @opentelemetry/instrumentation-express: with its layer
// spans off it still wrapped every middleware and route layer, and per layer per request it
// stored the path on the request with defineProperty, rebuilt the route twice with filters and
// regular expressions, and wrapped `next` (about 4.6 us for a one-route hello world, more per
// middleware). The route template is static: it is the path a route was declared with, prefixed
// by the paths its router (and any app it sits in) was mounted at. So this wraps nothing that
// runs per request; it only remembers, when the app is built, who mounted what where, and reads
// the template of the route express matched (`req.route`) when the request ends.

const OWNER = Symbol('o11y.express.owner'); // Route -> the router it was declared on
const MOUNT = Symbol('o11y.express.mount'); // router or app -> where it is mounted
const APP = Symbol('o11y.express.app'); // router -> the app whose router it is
const TEMPLATE = Symbol('o11y.express.template'); // Route -> cached template

interface Mount {
  path: string;
  /** The router it was mounted on. */
  parent: Tagged | undefined;
}
interface Tagged {
  [OWNER]?: Tagged;
  [MOUNT]?: Mount;
  [APP]?: Tagged;
  [TEMPLATE]?: { version: number; value: string | undefined };
  path?: unknown;
  stack?: unknown[];
  handle?: unknown;
  set?: unknown;
  router?: Tagged;
  _router?: Tagged;
}

/** Bumped whenever a mount is recorded, so that cached templates are rebuilt. */
let version = 0;

/** A declared path as a template: strings as they are, arrays joined, regular expressions as text. */
function pathText(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof RegExp || typeof arg === 'number') return String(arg);
  if (Array.isArray(arg)) return arg.map((a) => pathText(a) ?? '').join(',');
  return undefined;
}

function isApp(fn: unknown): fn is Tagged {
  const f = fn as Tagged;
  return typeof fn === 'function' && typeof f.handle === 'function' && typeof f.set === 'function';
}

function isRouter(fn: unknown): fn is Tagged {
  return typeof fn === 'function' && Array.isArray((fn as Tagged).stack);
}

/** Records that `child` (a router or an app) is mounted at `path` on the router `parent`. */
function recordMount(child: Tagged, path: string, parent: Tagged | undefined): void {
  const previous = child[MOUNT];
  // Mounted twice (`app.use(['/v1', '/v2'], api)` is one mount): both paths, like an array.
  child[MOUNT] =
    previous === undefined || (previous.path === path && previous.parent === parent)
      ? { path, parent }
      : { path: `${previous.path},${path}`, parent: previous.parent };
  version++;
}

/** `use([path], ...handlers)`: the mount path when the first argument is one. */
function mountPath(args: unknown[]): string | undefined {
  const first = args[0];
  return typeof first === 'function' ? undefined : pathText(first);
}

/** The router an express app keeps its routes on (express 5: `router`, express 4: `_router`). */
function appRouter(app: Tagged): Tagged | undefined {
  if (app._router !== undefined) return app._router;
  try {
    return app.router;
  } catch {
    // express 4's `app.router` getter throws (a 3.x leftover); its router is `_router`.
    return undefined;
  }
}

function join(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path;
  if (path === '/' || path === '') return prefix;
  return `${prefix.endsWith('/') ? prefix.slice(0, -1) : prefix}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * The full template of the route express matched for a request (`req.route`), e.g.
 * `/api/v1/orders/:id`; undefined when the request matched no route.
 */
export function routeTemplate(route: unknown): string | undefined {
  if (route === undefined || route === null || typeof route !== 'object') return undefined;
  const r = route as Tagged;
  const cached = r[TEMPLATE];
  if (cached !== undefined && cached.version === version) return cached.value;
  // A route declared before express was patched (express loaded ahead of the SDK): its mount
  // paths are unknown, and a partial template would merge unrelated routes.
  let value = r[OWNER] === undefined ? undefined : pathText(r.path);
  if (value !== undefined) {
    // Walk up: the route's router, the routers (or apps) it is mounted in, up to the top app.
    let router = r[OWNER];
    for (let depth = 0; router !== undefined && depth < 64; depth++) {
      const mount = router[MOUNT] ?? router[APP]?.[MOUNT];
      if (mount === undefined) break;
      value = join(mount.path, value);
      router = mount.parent;
    }
  }
  r[TEMPLATE] = { version, value };
  return value;
}

/**
 * The route of a request express handled: the template of the route it matched (`req.route`),
 * `unmatched` when an express app saw the request but no route took it, undefined when no express
 * app saw it. A route declared before express was patched has no known template: `unmatched`,
 * rather than a partial template that would merge unrelated routes.
 */
function readExpressRoute(req: IncomingMessage): string | undefined {
  const r = req as IncomingMessage & { route?: unknown; app?: unknown };
  if (r.route !== undefined) return routeTemplate(r.route) || UNMATCHED_ROUTE;
  // express gives every request it handles its app (through the request prototype it sets).
  return isApp(r.app) ? UNMATCHED_ROUTE : undefined;
}

type Fn = (this: Tagged, ...args: unknown[]) => unknown;
interface ExpressExports {
  Router: { prototype?: { route?: Fn; use?: Fn; handle?: Fn }; route?: Fn; use?: Fn; handle?: Fn };
  application: { use: Fn; route: Fn };
}

/**
 * Route templates for express 4 and 5, as an OpenTelemetry instrumentation so that it is
 * enabled, disabled and applied to CommonJS and ES module imports like the others.
 */
export class ExpressRoutes extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@o11y/sdk/express-routes', '1', config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'express',
        ['>=4.0.0 <6'],
        (exports: ExpressExports) => {
          const proto = this.routerProto(exports);
          if (proto === undefined) return exports;
          addRouteReader(readExpressRoute);
          this._wrap(proto, 'route', routePatch);
          this._wrap(proto, 'use', routerUsePatch);
          this._wrap(proto, 'handle', handlePatch);
          this._wrap(exports.application, 'use', appUsePatch);
          this._wrap(exports.application, 'route', appRoutePatch);
          return exports;
        },
        (exports: ExpressExports | undefined) => {
          if (exports === undefined) return;
          removeRouteReader(readExpressRoute);
          const proto = this.routerProto(exports);
          if (proto !== undefined) {
            this._unwrap(proto, 'route');
            this._unwrap(proto, 'use');
            this._unwrap(proto, 'handle');
          }
          this._unwrap(exports.application, 'use');
          this._unwrap(exports.application, 'route');
        },
      ),
    ];
  }

  /** Express 5: `Router.prototype`; express 4: `Router` itself is the routers' prototype. */
  private routerProto(exports: ExpressExports): { route: Fn; use: Fn; handle: Fn } | undefined {
    const router = exports?.Router;
    const proto = typeof router?.prototype?.route === 'function' ? router.prototype : router;
    return typeof proto?.route === 'function' &&
      typeof proto.use === 'function' &&
      typeof proto.handle === 'function'
      ? (proto as { route: Fn; use: Fn; handle: Fn })
      : undefined;
  }
}

function routePatch(original: Fn): Fn {
  return function route(this: Tagged, ...args: unknown[]) {
    const route = original.apply(this, args) as Tagged;
    if (route !== null && typeof route === 'object') route[OWNER] = this;
    return route;
  };
}

/** Whether `err` is an error rather than express's own `next('route')` / `next('router')`. */
function isError(err: unknown): boolean {
  return err !== undefined && err !== null && err !== 'route' && err !== 'router';
}

/**
 * An error that leaves a router unhandled (a handler threw, rejected or called `next(err)`, and
 * no error middleware answered) reaches the callback a router is handled with; the final
 * handler then sends a 500. One closure per router a request passes through.
 */
function handlePatch(original: Fn): Fn {
  return function handle(this: Tagged, req: unknown, res: unknown, out?: unknown) {
    if (typeof out !== 'function') return original.call(this, req, res, out);
    const done = out as (...args: unknown[]) => unknown;
    return original.call(this, req, res, function next(this: unknown, err?: unknown) {
      if (isError(err)) recordServerError(req as IncomingMessage, err);
      // eslint-disable-next-line prefer-rest-params
      return done.apply(this, arguments as unknown as unknown[]);
    });
  };
}

/**
 * An error middleware (four parameters) is given the errors the app handles itself: wrapped
 * where it is mounted, so that nothing runs per request until one is called.
 */
function withErrorRecording(fn: unknown): unknown {
  if (Array.isArray(fn)) return fn.map(withErrorRecording);
  if (typeof fn !== 'function' || fn.length !== 4 || isRouter(fn) || isApp(fn)) return fn;
  const handler = fn as (...args: unknown[]) => unknown;
  return function errorMiddleware(
    this: unknown,
    err: unknown,
    req: unknown,
    res: unknown,
    next: unknown,
  ) {
    if (isError(err)) recordServerError(req as IncomingMessage, err);
    return handler.call(this, err, req, res, next);
  };
}

function routerUsePatch(original: Fn): Fn {
  return function use(this: Tagged, ...args: unknown[]) {
    const result = original.apply(this, args.map(withErrorRecording));
    const path = mountPath(args);
    if (path !== undefined)
      // Routers, and apps mounted on a router (app.use wraps the apps it mounts; see below).
      for (const fn of args.flat(Infinity))
        if (isRouter(fn) || isApp(fn)) recordMount(fn, path, this);
    return result;
  };
}

/** Links an app's router back to the app, so that a route on it finds the app's mount. */
function linkAppRouter(app: Tagged): Tagged | undefined {
  const router = appRouter(app);
  if (router !== undefined) router[APP] = app;
  return router;
}

function appUsePatch(original: Fn): Fn {
  return function use(this: Tagged, ...args: unknown[]) {
    const result = original.apply(this, args);
    const router = linkAppRouter(this);
    const path = mountPath(args);
    // Routers are recorded by the router's use(), which app.use() calls; sub-apps here.
    if (path !== undefined)
      for (const fn of args.flat(Infinity)) if (isApp(fn)) recordMount(fn, path, router);
    return result;
  };
}

function appRoutePatch(original: Fn): Fn {
  return function route(this: Tagged, ...args: unknown[]) {
    const result = original.apply(this, args);
    linkAppRouter(this);
    return result;
  };
}
