// The express skeleton every service shares: JSON body limit, routes declared once with the zod
// schemas that both validate input and generate the OpenAPI 3.1 document, health endpoints, JSON 404
// and an error handler that never lets a client error become a 500.
import express, { type Request, type Response, type NextFunction } from 'express';
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import { HttpError, unauthorized, validationError } from './errors.js';
import { originFormListener } from './request-target.js';
import { requireInternalToken } from './internal-auth.js';
import { isInvalidInput, isUnavailable } from '../db/pool.js';
import { log, trace } from '../telemetry/index.js';
import type { Principal, TokenService } from '../auth/jwt.js';
import { INTERNAL_TOKEN_HEADER } from './internal-auth.js';
import { TokenError } from '../auth/jwt.js';

export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
  traceId: z.string().optional(),
});

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

export interface RouteSpec<B extends ZodType, Q extends ZodType, P extends ZodType> {
  method: Method;
  /** express-style path, e.g. /api/v1/orders/:id */
  path: string;
  summary: string;
  tags?: string[];
  body?: B;
  query?: Q;
  params?: P;
  /** Request headers documented (and validated) besides Authorization. */
  headers?: z.ZodObject;
  /** A user's bearer token is required. */
  auth?: boolean;
  /** Served under /internal: only other services, with the service credential, may call it. */
  internal?: boolean;
  responses: Record<number, { description: string; schema?: ZodType }>;
}

export interface RouteContext<B, Q, P> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: P;
  user: Principal | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpAppOptions {
  service: string;
  version?: string;
  description?: string;
  bodyLimit: string;
  /** 'raw' keeps the body as a Buffer (the gateway forwards it untouched). */
  bodyParser?: 'json' | 'raw';
  tokens?: TokenService;
  readiness: Record<string, () => Promise<unknown>>;
  /** The service credential every /internal request must present (services that serve any). */
  internalToken?: string;
  /**
   * Which peers may set X-Forwarded-For. Internal services trust their neighbours (the gateway);
   * the gateway is the edge and must trust nobody, or a client picks its own rate-limit key.
   */
  trustProxy?: boolean | string;
}

export function traceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}

export function sendError(res: Response, err: HttpError): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).json({
    error: err.code,
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
    traceId: traceId(),
  });
}

/** Express middleware rejecting requests without a valid bearer token (401 JSON). */
export function requireAuth(tokens: TokenService) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // the rate limiter may already have verified this request's token
      res.locals.user ??= await tokens.verify(req.headers.authorization);
      next();
    } catch (err) {
      if (err instanceof TokenError) sendError(res, unauthorized(err.message));
      else next(err);
    }
  };
}

export function createHttpApp(options: HttpAppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 'loopback, uniquelocal');
  // Every /internal path, routed or not, answers 401 without the credential: not even a 404 leaks.
  app.use('/internal', requireInternalToken(options.internalToken));
  const registry = new OpenAPIRegistry();
  // Handlers still running: shutdown waits for them even when their client has already gone away
  // (a closed socket ends the connection, not the work the handler is doing).
  let active = 0;
  let onIdle: (() => void) | undefined;
  const idle = () =>
    active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve));
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  registry.registerComponent('securitySchemes', 'internalToken', {
    type: 'apiKey',
    in: 'header',
    name: INTERNAL_TOKEN_HEADER,
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withDeadline(check(), 2000);
          checks[name] = 'ok';
        } catch (err) {
          ready = false;
          checks[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    res
      .status(ready ? 200 : 503)
      .json({ service: options.service, status: ready ? 'ready' : 'not_ready', checks });
  });

  if (options.bodyParser === 'raw')
    app.use(express.raw({ type: () => true, limit: options.bodyLimit }));
  else app.use(express.json({ limit: options.bodyLimit }));

  function route<
    B extends ZodType = ZodType,
    Q extends ZodType = ZodType,
    P extends ZodType = ZodType,
  >(
    spec: RouteSpec<B, Q, P>,
    handler: (ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<Reply>,
  ): void {
    if (Boolean(spec.internal) !== spec.path.startsWith('/internal/'))
      throw new Error(`route ${spec.path}: internal routes, and only they, live under /internal/`);
    const openapiPath = spec.path.replace(/:(\w+)/g, '{$1}');
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { 'application/json': { schema: r.schema } } }
        : { description: r.description };
    }
    if (spec.body || spec.query || spec.params)
      responses['400'] ??= {
        description: 'Invalid input',
        content: { 'application/json': { schema: ErrorBody } },
      };
    if (spec.auth || spec.internal)
      responses['401'] ??= {
        description: 'Missing or invalid token',
        content: { 'application/json': { schema: ErrorBody } },
      };
    registry.registerPath({
      method: spec.method,
      path: openapiPath,
      summary: spec.summary,
      tags: spec.tags ?? [options.service],
      ...(spec.auth ? { security: [{ bearerAuth: [] }] } : {}),
      ...(spec.internal ? { security: [{ internalToken: [] }] } : {}),
      request: {
        ...(spec.body
          ? { body: { required: true, content: { 'application/json': { schema: spec.body } } } }
          : {}),
        ...(spec.query ? { query: spec.query as unknown as z.ZodObject } : {}),
        ...(spec.params ? { params: spec.params as unknown as z.ZodObject } : {}),
        ...(spec.headers ? { headers: spec.headers } : {}),
      },
      responses,
    });

    app[spec.method](spec.path, async (req: Request, res: Response) => {
      let user: Principal | undefined;
      if (spec.auth) {
        if (!options.tokens)
          throw new Error(`route ${spec.path} needs auth but no token service is configured`);
        try {
          user = await options.tokens.verify(req.headers.authorization);
        } catch (err) {
          if (err instanceof TokenError) throw unauthorized(err.message);
          throw err;
        }
      }
      const parse = <T extends ZodType>(
        where: 'body' | 'query' | 'params' | 'headers',
        schema: T | undefined,
        value: unknown,
      ) => {
        if (!schema) return value as z.infer<T>;
        const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
        if (!result.success) throw validationError(where, result.error);
        return result.data;
      };
      if (spec.headers) parse('headers', spec.headers, req.headers);
      const ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>> = {
        req,
        res,
        body: parse('body', spec.body, req.body),
        query: parse('query', spec.query, req.query),
        params: parse('params', spec.params, req.params),
        user,
      };
      active++;
      let reply: Reply;
      try {
        reply = await handler(ctx);
      } finally {
        if (--active === 0) onIdle?.();
      }
      if (res.headersSent || res.destroyed) return;
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      if (reply.body === undefined) res.status(reply.status).end();
      else res.status(reply.status).json(reply.body);
    });
  }

  function openapiDocument() {
    return new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: `${options.service} API`,
        version: options.version ?? '1.0.0',
        ...(options.description ? { description: options.description } : {}),
      },
    });
  }

  /** Call after every route is declared: adds /openapi.json, the JSON 404 and the error handler. */
  function finish(): void {
    let doc: unknown;
    app.get('/openapi.json', (_req, res) => {
      doc ??= openapiDocument();
      res.json(doc);
    });
    app.use((req: Request, res: Response) => {
      sendError(res, new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
    });
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
      const known = toHttpError(err);
      if (known) {
        if (known.status >= 500) log.error({ err, path: req.path }, 'request failed');
        sendError(res, known);
        return;
      }
      log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      sendError(res, new HttpError(500, 'internal_error', 'internal error'));
    });
  }

  /** What the HTTP server runs: the app behind the request-target check. */
  const listener = originFormListener(app);

  return { app, listener, registry, route, finish, openapiDocument, idle };
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (isUnavailable(err))
    return new HttpError(
      503,
      'database_unavailable',
      'the database is unavailable; retry shortly',
      undefined,
      { 'Retry-After': '2' },
    );
  if (isInvalidInput(err))
    return new HttpError(400, 'invalid_input', 'a value in the request cannot be stored');
  const e = err as { type?: string; status?: number; message?: string };
  // body-parser errors carry a type and a status
  if (e?.type === 'entity.parse.failed')
    return new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  if (e?.type === 'entity.too.large')
    return new HttpError(413, 'payload_too_large', 'request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return new HttpError(415, 'unsupported_media_type', e.message ?? 'unsupported encoding');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new HttpError(e.status, 'bad_request', e.message ?? 'bad request');
  return undefined;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
