/**
 * The one warning an ES module entry gets when it loads the SDK itself, too late for its own
 * imports; and its absence for every way of loading the SDK that is in time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPreloadFlag } from '../src/esm-entry-warning';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, killAll, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[@o11y/sdk] warning:'));
}

/** The SDK's warnings of a fixture started as given, once it serves. */
async function warningsOf(
  script: string,
  preload: string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const app = await startFixture(script, { preload, env: { ...baseEnv(endpoint), ...env } });
  // Served once: a warning written at start-up has long been read by then.
  expect((await fetch(`http://127.0.0.1:${app.port}/`)).status).toBeLessThan(500);
  await app.stop();
  return warnings(app.stderr());
}

describe('an ES module entry that loads the SDK by its own import', () => {
  it("warns once for `import '@o11y/sdk/register'`, naming the fix", async () => {
    const w = await warningsOf('first-import.mjs', []);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(
      '@o11y/sdk/register was imported by the ES module entry first-import.mjs',
    );
    expect(w[0]).toContain('node --import @o11y/sdk/register first-import.mjs');
    expect(w[0]).toContain('NODE_OPTIONS="--import @o11y/sdk/register"');
  });

  it('warns once for start() called in the entry', async () => {
    const w = await warningsOf('start-in-entry.mjs', []);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('start() was called from the ES module entry start-in-entry.mjs');
    expect(w[0]).toContain('call it in a file loaded with --import');
  });
});

describe('the SDK loaded before the entry, or by a CommonJS entry', () => {
  it.each([
    ['--import', 'service.mjs', ['--import', '@o11y/sdk/register']],
    ['--import=', 'service.mjs', ['--import=@o11y/sdk/register']],
    ['-r, ES module entry', 'service.mjs', ['-r', '@o11y/sdk/register']],
    ['-r, CommonJS entry', 'service.cjs', ['-r', '@o11y/sdk/register']],
    ['--require', 'service.cjs', ['--require', '@o11y/sdk/register']],
    ["the app's own --import file", 'service.mjs', ['--import', './preload.mjs']],
    ["require('@o11y/sdk/register') as the first line", 'first-line.cjs', []],
  ])('%s: no warning', async (_name, script, preload) => {
    expect(await warningsOf(script, preload)).toEqual([]);
  });

  it('NODE_OPTIONS="--import @o11y/sdk/register": no warning', async () => {
    const w = await warningsOf('service.mjs', [], { NODE_OPTIONS: '--import @o11y/sdk/register' });
    expect(w).toEqual([]);
  });
});

describe('hasPreloadFlag', () => {
  it('finds preload flags in execArgv and NODE_OPTIONS, and nothing else', () => {
    expect(hasPreloadFlag(['--import', 'x'], undefined)).toBe(true);
    expect(hasPreloadFlag(['--import=x'], undefined)).toBe(true);
    expect(hasPreloadFlag(['-r', 'x'], undefined)).toBe(true);
    expect(hasPreloadFlag(['--experimental-loader=x'], undefined)).toBe(true);
    expect(hasPreloadFlag([], '--max-old-space-size=512 --require ./x.cjs')).toBe(true);
    expect(hasPreloadFlag([], '--import=@o11y/sdk/register')).toBe(true);
    expect(hasPreloadFlag(['--inspect', '--enable-source-maps'], '--max-old-space-size=512')).toBe(
      false,
    );
    expect(hasPreloadFlag(['--report-on-signal'], '--title=-r')).toBe(false);
  });
});
