/**
 * The packed SDK installed into an app outside the repository, with express from the registry,
 * and started as a user starts it. Nothing resolves from this checkout there, so a missing
 * dependency, file or export fails here as it would for them.
 */
import { cpSync, existsSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { packSdk, run, tempDir } from './support/packed-sdk';
import { baseEnv, FIXTURES, killAll, scrape, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
let root: string | undefined;
let app: string;

function tail(text: string): string {
  return text.trim().split('\n').slice(-20).join('\n');
}

// One install, reused by every case: packing builds the SDK, npm fetches its dependencies.
beforeAll(async () => {
  endpoint = await receiver.start();
  const ping = await run('npm', ['ping', '--fetch-retries=0'], tmpdir(), 30_000);
  if (ping.code !== 0)
    throw new Error(
      `the npm registry is not reachable (npm ping exited ${ping.code}): this test installs the ` +
        `packed SDK's dependencies and express from it.\n${tail(ping.stderr)}`,
    );
  root = tempDir('o11y-sdk-install-');
  const { tarball } = await packSdk(root);
  app = join(root, 'app');
  cpSync(join(FIXTURES, 'installed-app'), app, { recursive: true });
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', tarball, 'express@5'],
    app,
    240_000,
  );
  if (install.code !== 0)
    throw new Error(
      `npm install of ${tarball} and express from the registry failed (${install.code}):\n` +
        tail(install.stderr),
    );
}, 300_000);

afterAll(async () => {
  killAll();
  await receiver.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function sdkWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[@o11y/sdk] warning:'));
}

describe('the packed SDK installed into an app outside the repository', () => {
  it('is an installed copy, not a link to this checkout', () => {
    const resolved = createRequire(join(app, 'app.cjs')).resolve('@o11y/sdk/register');
    const installed = join(app, 'node_modules', '@o11y', 'sdk', 'dist', 'register.js');
    expect(resolved).toBe(installed);
    expect(realpathSync(resolved)).toBe(installed);
  });

  it("brings none of the libraries it instruments: an express app's tree holds no client of its own making", () => {
    // An instrumentation loads when the app can resolve its library; one the SDK's own
    // dependencies brought in (a gRPC exporter's @grpc/grpc-js, say) would load it for every app.
    for (const library of [
      '@grpc/grpc-js',
      'mysql2',
      'redis',
      '@redis/client',
      'mongodb',
      'winston',
      'bunyan',
      'koa',
      'fastify',
    ])
      expect(existsSync(join(app, 'node_modules', library)), library).toBe(false);
  });

  it.each([
    [
      'node --import @o11y/sdk/register app.mjs (ES module)',
      'app.mjs',
      ['--import', '@o11y/sdk/register'],
    ],
    ['node -r @o11y/sdk/register app.cjs (CommonJS)', 'app.cjs', ['-r', '@o11y/sdk/register']],
    ["require('@o11y/sdk/register') as a CommonJS entry's first line", 'first-line.cjs', []],
  ])(
    '%s: a span named by the route, its RED series, a correlated log record',
    async (_name, script, preload) => {
      const service = `installed-${script.replace('.', '-')}`;
      const running = await startFixture(script, {
        preload,
        cwd: app,
        env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: service },
      });
      const res = await fetch(`http://127.0.0.1:${running.port}/api/orders/42`);
      expect(res.status).toBe(200);
      const traceId = res.headers.get('traceresponse')?.split('-')[1];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      const span = await receiver.waitFor(`${script}'s server span`, () =>
        receiver.spans.find((s) => s.traceId === traceId && s.kind === 2),
      );
      expect(span.name).toBe('GET /api/orders/:id');
      expect(span.attributes['http.route']).toBe('/api/orders/:id');
      expect(span.resource['service.name']).toBe(service);

      expect(await scrape(running.metricsPort)).toMatch(
        /^http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/orders\/:id"[^}]*\} 1$/m,
      );

      const record = await receiver.waitFor(`${script}'s log record`, () =>
        receiver.logs.find((l) => l.traceId === traceId && l.body === 'order fetched'),
      );
      expect(record.resource['service.name']).toBe(service);
      expect(running.lines().find((l) => l.msg === 'order fetched')?.trace_id).toBe(traceId);

      expect(sdkWarnings(running.stderr())).toEqual([]);
      await running.stop();
    },
  );

  it("warns an ES module entry whose first line is import '@o11y/sdk/register', once", async () => {
    const running = await startFixture('first-import.mjs', {
      preload: [],
      cwd: app,
      env: baseEnv(endpoint),
    });
    await running.stop();
    const warnings = sdkWarnings(running.stderr());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('node --import @o11y/sdk/register first-import.mjs');
  });
});
