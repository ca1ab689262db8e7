import { defineConfig } from 'vitest/config';

// Tests spawn real Node processes with the one line; the runner only orchestrates them.
export default defineConfig({
  test: {
    name: 'sdk',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
