import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  expectHandlerError,
  expectLabels,
  expectNoRoute,
  expectRoute,
} from './support/framework-checks';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, startFixture, type StartOptions } from './support/processes';

// Route templates and handler errors of fastify and koa apps, each started the way a user starts
// it (one process per app, serving every case). hapi, NestJS and plain node:http:
// frameworks-more.test.ts.

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

const CJS = ['-r', '@o11y/sdk/register'];
const ESM = ['--import', '@o11y/sdk/register'];
const FRAMEWORKS = join(FIXTURES, 'frameworks');

function start(script: string, preload: string[], cwd = FRAMEWORKS, opts: StartOptions = {}) {
  return startFixture(script, { preload, cwd, env: baseEnv(endpoint), ...opts });
}

/** The fastify fixture app: same routes on fastify 4 and 5, required or imported. */
async function fastifyApp(script: string, preload: string[], cwd?: string): Promise<void> {
  const app = await start(script, preload, cwd);
  await expectRoute(receiver, app.port, '/users/7', '/users/:id');
  // Nested plugins registered with prefixes: fastify's own full URL.
  await expectRoute(receiver, app.port, '/api/v1/items/3', '/api/v1/items/:item');
  await expectNoRoute(receiver, app.port, '/nope', 404);
  await expectHandlerError(receiver, app.port, '/boom', '/boom');
  await expectHandlerError(receiver, app.port, '/boom-sync', '/boom-sync', 'thrown synchronously');
  await expectLabels(app.metricsPort, [
    ['/users/:id', 200],
    ['/api/v1/items/:item', 200],
    ['unmatched', 404],
    ['/boom', 500],
    ['/boom-sync', 500],
  ]);
  await app.stop();
}

describe('a fastify 5 app', () => {
  it('names routes with their templates (plugin prefixes included), 404s unmatched, and records handler errors (require)', async () => {
    await fastifyApp('fastify.cjs', CJS);
  });

  it('does the same when fastify is imported as an ES module', async () => {
    await fastifyApp('fastify.mjs', ESM);
  });
});

describe('a fastify 4 app', () => {
  it('names routes with their templates, 404s unmatched, and records handler errors', async () => {
    await fastifyApp('fastify.cjs', CJS, join(FIXTURES, 'fastify4'));
  });
});

/** The koa fixture app: @koa/router with prefixes and a nested router, and an app without one. */
async function koaApp(script: string, preload: string[]): Promise<void> {
  const app = await start(script, preload);
  const { barePort } = JSON.parse(/^READY (.*)$/m.exec(app.stdout())![1]!) as { barePort: number };
  await expectRoute(receiver, app.port, '/users/7', '/users/:id');
  // A router with a prefix, and a nested router mounted on it at /v1.
  await expectRoute(receiver, app.port, '/api/v1/items/3', '/api/v1/items/:item');
  // Routers saw these and matched nothing, one of them inside the prefixed router.
  await expectNoRoute(receiver, app.port, '/nope', 404);
  await expectNoRoute(receiver, app.port, '/api/v1/nope', 404);
  // koa's error handler removes every header before it answers: traceresponse must survive.
  await expectHandlerError(receiver, app.port, '/boom', '/boom');
  // An app without a router has no routes: no template, and no `unmatched` either.
  await expectNoRoute(receiver, barePort, '/users/7', 200);
  await expectLabels(app.metricsPort, [
    ['/users/:id', 200],
    ['/api/v1/items/:item', 200],
    ['unmatched', 404],
    ['/boom', 500],
    ['', 200],
  ]);
  await app.stop();
}

describe('a koa 3 app with @koa/router', () => {
  it('names routes with their router templates, unmatched requests unmatched, and records handler errors (require)', async () => {
    await koaApp('koa.cjs', CJS);
  });

  it('does the same when koa and the router are imported as ES modules', async () => {
    await koaApp('koa.mjs', ESM);
  });
});
