import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectHandlerError,
  expectLabels,
  expectNoRoute,
  expectRoute,
} from './support/framework-checks';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, startFixture } from './support/processes';

// Route templates and handler errors of hapi and NestJS apps, and a plain node:http server that
// has no routes at all (fastify and koa: frameworks.test.ts).

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

const FRAMEWORKS = join(FIXTURES, 'frameworks');

/** A port other than the main one from the fixture's READY line. */
function readyPort(stdout: string, name: string): number {
  return (JSON.parse(/^READY (.*)$/m.exec(stdout)![1]!) as Record<string, number>)[name]!;
}

describe('a hapi 21 app', () => {
  it("names routes with hapi's templates (plugin prefixes included), its not-found route unmatched, and records handler errors", async () => {
    const app = await startFixture('hapi.cjs', {
      preload: ['-r', '@o11y/sdk/register'],
      cwd: FRAMEWORKS,
      env: baseEnv(endpoint),
    });
    await expectRoute(receiver, app.port, '/users/7', '/users/{id}');
    await expectRoute(receiver, app.port, '/api/v1/items/3', '/api/v1/items/{item}');
    await expectNoRoute(receiver, app.port, '/nope', 404);
    await expectHandlerError(receiver, app.port, '/boom', '/boom');
    // A server made with `new Hapi.Server()` is instrumented as well.
    await expectRoute(receiver, readyPort(app.stdout(), 'otherPort'), '/other/1', '/other/{id}');
    await expectLabels(app.metricsPort, [
      ['/users/{id}', 200],
      ['/api/v1/items/{item}', 200],
      ['unmatched', 404],
      ['/boom', 500],
      ['/other/{id}', 200],
    ]);
  });
});

describe('a NestJS 12 app', () => {
  // NestJS 12 is published as ES modules only, and loads express through an import even from a
  // CommonJS entry: the SDK installs its loader hook for such a library in a CommonJS app too.
  it.each([
    ['an ES module entry', 'nest.mjs', ['--import', '@o11y/sdk/register']],
    ['a CommonJS entry', 'nest.cjs', ['-r', '@o11y/sdk/register']],
  ])(
    'from %s: names routes with the global and controller prefixes and records handler errors, on the express and the fastify adapter',
    async (_entry, script, preload) => {
      const app = await startFixture(script, { cwd: FRAMEWORKS, preload, env: baseEnv(endpoint) });
      const ports = { express: app.port, fastify: readyPort(app.stdout(), 'fastifyPort') };
      for (const port of Object.values(ports)) {
        await expectRoute(receiver, port, '/api/users/7', '/api/users/:id');
        await expectRoute(receiver, port, '/api/v1/items/3', '/api/v1/items/:item');
        await expectNoRoute(receiver, port, '/nope', 404);
        // NestJS answers the error itself: neither adapter sees it.
        await expectHandlerError(receiver, port, '/api/users/7/boom', '/api/users/:id/boom');
      }
      await expectLabels(app.metricsPort, [
        ['/api/users/:id', 200],
        ['/api/v1/items/:item', 200],
        ['unmatched', 404],
        ['/api/users/:id/boom', 500],
      ]);
      await app.stop();
    },
  );
});

describe('a plain node:http server', () => {
  it('has no route: spans named for the method, an empty route label, never unmatched', async () => {
    const app = await startFixture('plain-http.cjs', {
      preload: ['-r', '@o11y/sdk/register'],
      env: baseEnv(endpoint),
    });
    await expectNoRoute(receiver, app.port, '/users/7', 200);
    await expectNoRoute(receiver, app.port, '/nope', 404);
    const text = await expectLabels(app.metricsPort, [
      ['', 200],
      ['', 404],
    ]);
    expect(text).not.toContain('http_route="unmatched"');
  });
});
