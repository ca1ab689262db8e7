import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, startFixture } from './support/processes';

// The client instrumentations without a server here (MongoDB, Kafka, SQS, ...) are proven to be
// loaded, and to patch their library, when and only when the app can resolve the library.

const CLIENTS = join(FIXTURES, 'clients');
const REGISTER = join(__dirname, '..', 'dist', 'register.js');
const LIBRARIES = [
  'mongodb',
  'mongoose',
  'kafkajs',
  '@aws-sdk/client-sqs',
  'knex',
  'tedious',
  'cassandra-driver',
  'memcached',
  'socket.io',
];

interface Loaded {
  report: Record<
    string,
    { resolved: boolean; wrapped: boolean | null; instrumentation: string; loaded: boolean }
  >;
  loaded: string[];
  sdkHttp: boolean;
  sdkClients: boolean;
}

const receiver = new OtlpReceiver();
let endpoint: string;
/** A folder outside the workspace: no node_modules up its tree resolves any of the libraries. */
let outside: string;

beforeAll(async () => {
  endpoint = await receiver.start();
  outside = mkdtempSync(join(tmpdir(), 'o11y-clients-'));
  copyFileSync(join(CLIENTS, 'loaded.cjs'), join(outside, 'loaded.cjs'));
});
afterAll(async () => {
  killAll();
  await receiver.stop();
  rmSync(outside, { recursive: true, force: true });
});

/** Runs loaded.cjs from `cwd` with the SDK preloaded by absolute path; its stdout and stderr. */
async function runLoaded(
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ out: Loaded; stderr: string }> {
  const run = await startFixture('loaded.cjs', {
    preload: ['-r', REGISTER],
    cwd,
    env: { ...baseEnv(endpoint), ...env },
    noReady: true,
  });
  const { code } = await run.exited;
  expect(code, run.stderr()).toBe(0);
  return { out: JSON.parse(run.stdout()) as Loaded, stderr: run.stderr() };
}

describe('client instrumentations load only for libraries the app resolves', () => {
  it('in an app that has them installed, each is loaded and its library patched', async () => {
    const { out } = await runLoaded(CLIENTS);
    for (const library of LIBRARIES) {
      expect(out.report[library], library).toMatchObject({
        resolved: true,
        loaded: true,
        wrapped: true,
      });
    }
  });

  it('in an app outside the workspace, none is loaded (the SDK itself runs)', async () => {
    const { out, stderr } = await runLoaded(outside);
    for (const library of LIBRARIES)
      expect(out.report[library], library).toMatchObject({ resolved: false, loaded: false });
    // Not one upstream instrumentation package, nor the SDK's module of client loaders.
    expect(out.loaded).toEqual([]);
    expect(out.sdkClients).toBe(false);
    expect(out.sdkHttp).toBe(true);
    expect(stderr).toBe('');
  });
});

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS naming a library the app cannot resolve', () => {
  it('prints exactly one warning, naming it', async () => {
    const { out, stderr } = await runLoaded(outside, {
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,mysql2',
    });
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[@o11y\/sdk\] warning: instrumentation mysql2 .*cannot resolve mysql2/,
    );
    expect(out.loaded).toEqual([]);
    expect(out.sdkHttp).toBe(true);
  });

  it('and for a library it resolves, says nothing and loads it', async () => {
    const { out, stderr } = await runLoaded(CLIENTS, {
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,mongodb',
    });
    expect(stderr).toBe('');
    // Only the one named: knex is installed too, but was not asked for.
    expect(out.loaded).toEqual(['mongodb']);
    expect(out.report.mongodb).toMatchObject({ loaded: true, wrapped: true });
    expect(out.report.knex).toMatchObject({ resolved: true, loaded: false, wrapped: false });
  });
});
