import { defineConfig } from 'vitest/config';

// The fault suite: one file, one stack (with its own PostgreSQL and Redis), rows in order, the
// audit last. Separate from `npm test` because it breaks links and restarts servers for minutes.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    name: 'faults',
    include: ['test/faults/faults.test.ts'],
    globalSetup: ['test/support/build.ts'],
    fileParallelism: false,
    sequence: { hooks: 'stack' },
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
