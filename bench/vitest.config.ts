import { defineConfig } from 'vitest/config';

// The benchmark's own tests (its proxy, tracker and raw reader must measure right):
// npx vitest run --config bench/vitest.config.ts
export default defineConfig({
  test: {
    include: ['bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
