// Which back end the server-level suites run on (issue 8 item 5: the existing suites run on both).
// FLOWSHELF_TEST_BACKEND=postgres (set by vitest.postgres.config.ts and vitest.e2e.postgres.config.ts)
// puts every test server on PostgreSQL; anything else, or nothing, keeps the default SQLite file.
//
// On PostgreSQL, each vitest worker process starts ONE real PostgreSQL the first time a test asks for
// a database (test/helpers/services.ts), and every test server gets a fresh database of its own from
// it (createDatabase(): an empty database owned by a non-superuser role, as an operator hands it out),
// dropped again when that server closes. setup-postgres.ts stops the server after each test file.
import pg from 'pg';
import { openBackend, type Backend } from '../../server/storage/backend.js';
import { startPostgres, type PostgresService } from './services.js';

export type TestBackend = 'sqlite' | 'postgres';

export function testBackendOf(env: NodeJS.ProcessEnv = process.env): TestBackend {
  const value = env.FLOWSHELF_TEST_BACKEND;
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new Error(`FLOWSHELF_TEST_BACKEND must be sqlite or postgres, not ${JSON.stringify(value)}`);
}

/** The back end of this test run. */
export const testBackend: TestBackend = testBackendOf();
/** True when this run puts the servers on PostgreSQL (for `describe.skipIf(onPostgres)` of SQLite-only tests). */
export const onPostgres = testBackend === 'postgres';

let service: Promise<PostgresService> | null = null;

/** This process's PostgreSQL, started on first use. */
export function testPostgres(): Promise<PostgresService> {
  if (!service) {
    service = startPostgres();
    // A start that failed is not cached: the next caller tries again and sees its own error.
    service.catch(() => (service = null));
  }
  return service;
}

/** Stops this process's PostgreSQL if one was started (after a test file; the next one starts anew). */
export async function stopTestPostgres(): Promise<void> {
  const running = service;
  service = null;
  if (running) await (await running).stop();
}

export interface TestDatabase {
  /** The owner role's URL, as --database-url takes it. */
  url: string;
  /** Drops the database and its role (connections still open to it are cut). Safe to call twice. */
  drop(): Promise<void>;
}

/** A fresh empty database on this process's PostgreSQL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const postgres = await testPostgres();
  const url = await postgres.createDatabase();
  const parsed = new URL(url);
  const dbName = decodeURIComponent(parsed.pathname.slice(1));
  const role = decodeURIComponent(parsed.username);
  let dropped: Promise<void> | undefined;
  return {
    url,
    drop() {
      dropped ??= (async () => {
        const client = new pg.Client({ connectionString: postgres.url() });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
          await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
        } finally {
          await client.end();
        }
      })();
      return dropped;
    },
  };
}

/**
 * Every storage port without a server, on the run's back end: the SQLite file in `dataDir`, or a fresh
 * PostgreSQL database; close() closes it and drops that database.
 */
export async function openTestStore(dataDir: string): Promise<Backend> {
  const database = onPostgres ? await createTestDatabase() : null;
  let backend: Backend;
  try {
    backend = await openBackend({ dataDir, databaseUrl: database?.url ?? null }, { log: () => {} });
  } catch (error) {
    await database?.drop();
    throw error;
  }
  const close = backend.close.bind(backend);
  return Object.assign(backend, {
    async close() {
      await close();
      await database?.drop();
    },
  });
}
