// Starts the native stack once for the whole e2e run (or reuses a running one) and stops what
// it started afterwards.
import { startStack } from '../../native/stack.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const stack = await startStack({ backendsOnly: false });
  console.log(
    stack.alreadyRunning
      ? '[e2e] using the native stack that is already running'
      : `[e2e] native stack started in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
  return async () => {
    await stack.stop();
  };
}
