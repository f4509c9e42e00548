import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The second pass of the node suites (issue 8 item 5): the suites that run a real server, the sync
// contract, REST and the visibility matrix, the library, accounts, trust, the InvokeAI surface and the
// version history, again
// with every test server on PostgreSQL (test/helpers/test-backend.ts: one PostgreSQL per worker, a
// fresh database per test server). Tests of SQLite itself inside these files skip themselves here
// (`onPostgres`, with the reason beside them); the storage ports, the services and the multi-node
// tests already run on PostgreSQL in the first pass.
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
      // Version history and presence through a real server (the clock-driven one runs on SQLite only).
      'test/history/versions-api.test.ts',
      'test/history/presence.test.ts',
    ],
    exclude: [
      ...(base.test?.exclude ?? []),
      // No store at all (pure rules): the first pass covers them.
      'test/auth/credentials.test.ts',
      'test/library/access.test.ts',
      'test/sync/awareness-relay.test.ts',
      'test/sync/policy.test.ts',
      'test/trust/update-limits.test.ts',
      // SQLite itself: its schema migrations, and the SQLite index store's write and query counts at scale.
      'test/library/migration.test.ts',
      'test/library/migration-0004.test.ts',
      'test/library/indexer-commits.test.ts',
      'test/library/index-scale.test.ts',
      // A full SQLite store: max_page_count, query_only and the SQLite file on a small tmpfs (PostgreSQL's
      // disk_full maps to the same 'full' error: test/storage/postgres-errors.test.ts).
      'test/trust/disk-full.test.ts',
      // These set up their SQLite data folder by hand; the commands on PostgreSQL (--database-url) are
      // tested in test/cli/postgres-cli.test.ts (first pass, its own PostgreSQL and Redis).
      'test/library/import-invokeai.test.ts',
      'test/invokeai/import-accounts.test.ts',
    ],
    env: { FLOWSHELF_TEST_BACKEND: 'postgres' },
    setupFiles: ['test/helpers/setup-postgres.ts'],
  },
});
