import { defineConfig } from 'vitest/config';

// End-to-end: playwright-core drives Chromium against the built server (dist/), one file at a time
// (each starts its own server and browser; the machine is small).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
