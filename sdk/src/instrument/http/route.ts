import type { IncomingMessage } from 'node:http';
import { RPCType, type RPCMetadata } from '@opentelemetry/core';

/** Label value shared by every request that a routing framework matched to no route (404s, scans): keeps cardinality flat. */
export const UNMATCHED_ROUTE = 'unmatched';

// A request's route comes from the framework that routed it, never from its path: a request no
// framework routed (plain node:http) has no route at all, and only one that a router saw and
// matched to nothing is `unmatched`.

const ROUTE = Symbol.for('@o11y/sdk.route');
type Routed = IncomingMessage & { [ROUTE]?: string };

/**
 * Records a routing framework's verdict on a request: the template of the route it matched, or
 * undefined (or '') when it matched none. The last verdict wins (an outer framework mounting an
 * inner one hears the inner one's answer last only if it writes after it, so frameworks write
 * when they know the final route).
 */
export function setRoute(req: IncomingMessage, template: string | undefined): void {
  (req as Routed)[ROUTE] = template === undefined || template === '' ? UNMATCHED_ROUTE : template;
}

/**
 * Reads a framework's verdict at the end of a request, for frameworks whose route is cheaper to
 * read then than to record as it is matched (express: `req.route`). Returns undefined when that
 * framework did not handle the request.
 */
export type RouteReader = (req: IncomingMessage) => string | undefined;
const readers: RouteReader[] = [];

export function addRouteReader(reader: RouteReader): void {
  if (!readers.includes(reader)) readers.push(reader);
}

export function removeRouteReader(reader: RouteReader): void {
  const i = readers.indexOf(reader);
  if (i >= 0) readers.splice(i, 1);
}

/**
 * The route label of a finished request: what a framework recorded or reports, else what another
 * instrumentation wrote into the request's RPC metadata, else undefined (no framework routed it).
 */
export function routeOf(req: IncomingMessage, meta: RPCMetadata): string | undefined {
  let route = (req as Routed)[ROUTE];
  for (let i = 0; route === undefined && i < readers.length; i++) route = readers[i]!(req);
  if (route === undefined && meta.type === RPCType.HTTP && typeof meta.route === 'string')
    route = meta.route === '' ? undefined : meta.route;
  return route === undefined ? undefined : capped(route);
}

/** Distinct route labels allowed; a runaway set (routes built from data) folds into `unmatched`. */
export const MAX_ROUTES = 500;
const routes = new Set<string>();

function capped(route: string): string {
  if (route === UNMATCHED_ROUTE || routes.has(route)) return route;
  if (routes.size >= MAX_ROUTES) return UNMATCHED_ROUTE;
  routes.add(route);
  return route;
}

// Kept here for the modules that import it from the route module.
export { methodLabel } from './known-methods';
