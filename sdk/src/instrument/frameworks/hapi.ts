import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { IncomingMessage } from 'node:http';
import { setRoute } from '../http/route';
import { recordServerError } from '../http/server-spans';
import { isClientError } from './client-error';

// One `onPreResponse` extension, added to each server as it is created, reads what hapi already
// knows when it is about to answer: the route it matched (`request.route.path`, plugin route
// prefixes included) and, when a handler or extension failed, the Boom it made of the error
// (`Boom.boomify` keeps the original error object, its class, message and stack). Nothing else
// is wrapped; upstream's hapi instrumentation wraps every route handler and every extension.

interface HapiRequest {
  raw: { req: IncomingMessage };
  /** hapi's not-found and bad-request routes have the method `_special`. */
  route?: { method?: string; path?: string };
  response?: { isBoom?: boolean; isServer?: boolean } | null;
}
interface Toolkit {
  continue: symbol;
}
interface HapiServer {
  ext(event: 'onPreResponse', method: (request: HapiRequest, h: Toolkit) => unknown): void;
}
type ServerFactory = (this: unknown, ...args: unknown[]) => HapiServer;
interface HapiExports {
  server: ServerFactory;
  Server: ServerFactory;
}

function onPreResponse(request: HapiRequest, h: Toolkit): unknown {
  try {
    const req = request.raw.req;
    const route = request.route;
    setRoute(req, route === undefined || route.method === '_special' ? undefined : route.path);
    const response = request.response;
    if (response?.isBoom === true && !isClientError(response)) recordServerError(req, response);
  } catch {
    // the response goes out without its route
  }
  return h.continue;
}

function serverPatch(original: ServerFactory): ServerFactory {
  // A function, not an arrow: hapi documents both `Hapi.server()` and `new Hapi.Server()`.
  return function server(this: unknown, ...args: unknown[]) {
    const created = original.apply(this, args);
    try {
      created.ext('onPreResponse', onPreResponse);
    } catch {
      // a server that refuses the extension works, without routes
    }
    return created;
  };
}

/** Route templates and handler errors for hapi 20 and 21. */
export class HapiRoutes extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@o11y/sdk/hapi', '1', config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        '@hapi/hapi',
        ['>=20.0.0 <22'],
        (exports: HapiExports) => {
          // hapi exports one function under both names; each binding is wrapped (ESM namespaces
          // have one binding per name).
          for (const name of ['server', 'Server'] as const)
            if (typeof exports?.[name] === 'function' && !isWrapped(exports[name]))
              this._wrap(exports, name, serverPatch);
          return exports;
        },
        (exports: HapiExports | undefined) => {
          if (exports === undefined) return;
          for (const name of ['server', 'Server'] as const) this._unwrap(exports, name);
        },
      ),
    ];
  }
}
