import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Media and browser tests are CPU-heavy on a 2-core machine; run files one at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
