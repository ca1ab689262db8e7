import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'demo-services',
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
