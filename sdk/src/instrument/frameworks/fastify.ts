import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { PatchingInstrumentation } from '../http/patching-instrumentation';
import { setRoute } from '../http/route';
import { recordServerError } from '../http/server-spans';
import { isClientError } from './client-error';

// Fastify announces every instance it creates on the `fastify.initialization` diagnostics
// channel (fastify 4 and 5), before any route or plugin is registered. Subscribing there, rather
// than wrapping the module's exports:
// - works the same for require() and import, with no loader hook (fastify is CommonJS, and its
//   export is a function that is also its own `default` and `fastify` property: wrapping it
//   consistently under ESM is fragile);
// - catches instances other packages create from their own copy (NestJS's fastify adapter);
// - costs nothing per request beyond two hooks added once, on the root instance: hooks added
//   there reach every route, every encapsulated plugin and the not-found handler.

/** The parts of a fastify request the hooks read. */
interface FastifyRequest {
  raw: IncomingMessage;
  /** fastify >= 4.10. */
  routeOptions?: { url?: string };
  /** fastify < 4.10 (deprecated later, so read only when routeOptions is missing). */
  routerPath?: string;
}
type Done = (err?: Error) => void;
interface FastifyInstance {
  addHook(name: 'onRequest', hook: (req: FastifyRequest, reply: unknown, done: Done) => void): void;
  addHook(
    name: 'onError',
    hook: (req: FastifyRequest, reply: unknown, error: unknown, done: Done) => void,
  ): void;
}

/**
 * The template of the route fastify matched, prefixes included (`/api/users/:id`); undefined
 * for the not-found handler, which makes the request `unmatched`.
 */
function onRequest(request: FastifyRequest, _reply: unknown, done: Done): void {
  try {
    const options = request.routeOptions;
    setRoute(request.raw, options !== undefined ? options.url : request.routerPath);
  } catch {
    // telemetry never stands between a request and its handler
  }
  done();
}

/** A handler threw or rejected, or a hook failed: fastify calls this before its error handler. */
function onError(request: FastifyRequest, _reply: unknown, error: unknown, done: Done): void {
  if (!isClientError(error)) recordServerError(request.raw, error);
  done();
}

function onInitialization(message: unknown): void {
  const fastify = (message as { fastify?: FastifyInstance } | undefined)?.fastify;
  if (fastify === undefined || typeof fastify.addHook !== 'function') return;
  try {
    fastify.addHook('onRequest', onRequest);
    fastify.addHook('onError', onError);
  } catch {
    // an instance that refuses hooks keeps working, only without routes
  }
}

const CHANNEL = 'fastify.initialization';

/** Route templates and handler errors for fastify 4 and 5 (and NestJS's fastify adapter). */
export class FastifyRoutes extends PatchingInstrumentation {
  enable(): void {
    // subscribe() by name keeps the channel alive (a channel object could be collected).
    diagnostics.subscribe(CHANNEL, onInitialization);
  }

  disable(): void {
    diagnostics.unsubscribe(CHANNEL, onInitialization);
  }
}
