import { defineConfig } from 'vitest/config';

// The end-to-end benchmark's own tests (its overlap check, cost model and corpus must be right):
// npx vitest run --config bench/e2e/vitest.config.ts
export default defineConfig({
  test: {
    include: ['bench/e2e/test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
