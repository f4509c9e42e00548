import { defineConfig } from 'vitest/config';
import base from './vitest.e2e.config.js';

// The end-to-end suites again with the server on PostgreSQL (--database-url to a fresh database per
// server, test/e2e/harness.ts startApp); see vitest.postgres.config.ts.
export default defineConfig({
  test: {
    ...base.test,
    env: { FLOWSHELF_TEST_BACKEND: 'postgres' },
    setupFiles: ['test/helpers/setup-postgres.ts'],
  },
});
