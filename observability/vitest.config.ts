import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'observability',
    // Projects run one after another (2 cores; each starts real processes).
    sequence: { groupOrder: 1 },
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
