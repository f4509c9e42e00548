import { defineConfig } from 'vitest/config';
import base from './vitest.e2e.config.js';

// End-to-end suites again with the server on PostgreSQL (--database-url to a fresh database per server,
// test/e2e/harness.ts startApp); see vitest.postgres.config.ts. A representative subset, the files whose
// story goes through the store: accounts, the library across users and devices (sharing, public,
// offline), single-user mode, the storage quota and quarantined entries, version history and the trash
// (history.test.ts: the Trash view loads again when the library changes, so a deletion PostgreSQL files
// later than SQLite still shows). The editor's own stories (build, undo, form, CSP, defects seen in the
// trial) do the same on either store and run in the first pass only: each e2e file costs 30-60 s.
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/e2e/accounts.test.ts',
      'test/e2e/history.test.ts',
      'test/e2e/library.test.ts',
      'test/e2e/single-user.test.ts',
      'test/e2e/storage-quota.test.ts',
      'test/e2e/trust-markers.test.ts',
    ],
    env: { FLOWSHELF_TEST_BACKEND: 'postgres' },
    setupFiles: ['test/helpers/setup-postgres.ts'],
  },
});
