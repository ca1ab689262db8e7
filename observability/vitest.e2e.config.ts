import { defineConfig } from 'vitest/config';

// End-to-end suite against the native stack (real Prometheus, Jaeger, VictoriaLogs binaries and
// the demo services). The global setup starts the stack, or reuses one that already answers.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    // One stack, shared state (faults): files and tests run one after another.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
