import { defineConfig } from 'vitest/config';

// Tests spawn real Node processes with the one line; the runner only orchestrates them.
// Files run two at a time at most: CI machines have 2 cores and every test starts processes.
export default defineConfig({
  test: {
    name: 'sdk',
    // Projects run one after another (2 cores; each starts real processes).
    sequence: { groupOrder: 0 },
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
