// Starts the native stack once for the whole e2e run (or reuses one that already answers) and
// stops what it started afterwards. A stack started here gets a fresh data directory, so alert
// states and latency windows left by an earlier run cannot make an assertion pass.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '../../native/backends.mjs';
import { startStack } from '../../native/stack.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const dataDir = join(defaultDataDir, 'e2e');
  rmSync(dataDir, { recursive: true, force: true });
  const stack = await startStack({ backendsOnly: false, dataDir });
  console.log(
    stack.alreadyRunning
      ? '[e2e] using the native stack that is already running'
      : `[e2e] native stack started in ${((Date.now() - started) / 1000).toFixed(0)}s (data: ${dataDir})`,
  );
  return async () => {
    await stack.stop();
  };
}
