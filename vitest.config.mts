import { defineConfig } from 'vitest/config';

// One runner everywhere. Each package is a project; end-to-end tests have their own config
// (observability/vitest.e2e.config.ts) because they need the native stack.
export default defineConfig({
  test: {
    projects: ['sdk', 'demo-services', 'grafana', 'observability'],
  },
});
