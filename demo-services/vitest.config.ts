import { defineConfig } from 'vitest/config';

// Each file starts its own isolated stack of real processes; files run one after the other (2 cores).
export default defineConfig({
  test: {
    name: 'demo-services',
    include: ['test/**/*.test.ts'],
    // the fault suite has its own config and command (npm run test:faults)
    exclude: ['test/e2e/**', 'test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/support/build.ts'],
    fileParallelism: false,
    // root hooks (the stack) before suite hooks, teardown in reverse
    sequence: { hooks: 'stack', groupOrder: 3 },
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
