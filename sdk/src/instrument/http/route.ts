import { RPCType, type RPCMetadata } from '@opentelemetry/core';
import { routeTemplate } from './express-routes';

/** Label value shared by every request that matched no route (404s, scans): keeps cardinality flat. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route template of a finished request: the template of the route express matched
 * (./express-routes), else one another instrumentation wrote into the request's RPC metadata.
 * A request counts as routed only when express bound a route to it (`req.route`); otherwise the
 * partial mount path of a router is not a route.
 */
export function routeOf(req: { route?: unknown }, meta: RPCMetadata): string {
  if (req.route === undefined) return UNMATCHED_ROUTE;
  const template = routeTemplate(req.route);
  if (template !== undefined && template !== '') return capped(template);
  if (meta.type === RPCType.HTTP && typeof meta.route === 'string' && meta.route !== '')
    return capped(meta.route);
  return UNMATCHED_ROUTE;
}

/** Distinct route labels allowed; a runaway set (routes built from data) folds into `unmatched`. */
export const MAX_ROUTES = 500;
const routes = new Set<string>();

function capped(route: string): string {
  if (routes.has(route)) return route;
  if (routes.size >= MAX_ROUTES) return UNMATCHED_ROUTE;
  routes.add(route);
  return route;
}

const METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/** The method label: known HTTP methods as they are, anything else `_OTHER` (OTel semconv), so clients cannot mint series. */
export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'GET';
  return METHODS.has(method) ? method : '_OTHER';
}
