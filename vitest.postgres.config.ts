import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The second pass of the node suites (issue 8 item 5): the suites that run a real server, the sync
// contract, REST and the visibility matrix, the library, accounts, trust and the InvokeAI surface, again
// with every test server on PostgreSQL (test/helpers/test-backend.ts: one PostgreSQL per worker, a
// fresh database per test server). Tests of SQLite itself skip themselves here (`onPostgres`); the
// storage ports, the services and the clusters already run on PostgreSQL in the first pass.
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/sync/**/*.test.ts',
      'test/api/**/*.test.ts',
      'test/library/**/*.test.ts',
      'test/auth/**/*.test.ts',
      'test/trust/**/*.test.ts',
      'test/invokeai/**/*.test.ts',
    ],
    env: { FLOWSHELF_TEST_BACKEND: 'postgres' },
    setupFiles: ['test/helpers/setup-postgres.ts'],
  },
});
