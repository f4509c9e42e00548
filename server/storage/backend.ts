// Which store the server runs on, chosen by the configuration: one SQLite file in the data folder (the
// default, one node) or a PostgreSQL database shared by several nodes (--database-url). openBackend()
// opens it, brings its schema up to date and hands out the storage ports over it.
//
// So far it hands out the documents and leases ports only (issue 8, wave 1): the other ports (index,
// thumbnails, users, settings) join it when their PostgreSQL implementations land, and app.ts is wired to
// it then (wave 2). SQLite's one-server-per-folder lock stays with app.ts, which takes it before
// opening anything.
import { databaseFile, type Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import type { MigrationReport } from '../db/migrator.js';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import type { DocumentStore } from './document-store.js';
import { InProcessLeaseStore, type LeaseStore } from './lease-store.js';
import { PostgresDocumentStore } from './postgres/document-store.js';
import { PostgresLeaseStore } from './postgres/lease-store.js';
import { migratePostgres, type PostgresMigrationReport } from './postgres/migrator.js';
import { PostgresPool, type PostgresPoolOptions } from './postgres/pool.js';
import { SqliteStore } from './sqlite-store.js';
import { StorageError } from './storage-errors.js';

interface BackendBase {
  /** For the start line: the SQLite file, or the PostgreSQL URL with its password hidden. */
  readonly location: string;
  readonly documents: DocumentStore;
  /** One writer across nodes for work that needs one (SQLite: one node, leases kept in memory). */
  readonly leases: LeaseStore;
  /** Closes the ports, then the database (SQLite file or PostgreSQL pool). Safe to call twice. */
  close(): Promise<void>;
}

export interface SqliteBackend extends BackendBase {
  readonly kind: 'sqlite';
  /** The open SQLite database (the ports still written directly on it use it). */
  readonly db: Database;
  readonly migration: MigrationReport;
}

export interface PostgresBackend extends BackendBase {
  readonly kind: 'postgres';
  /** The pool every PostgreSQL port shares. */
  readonly pool: PostgresPool;
  readonly migration: PostgresMigrationReport;
}

export type Backend = SqliteBackend | PostgresBackend;

export interface OpenBackendOptions {
  /** Pool settings for PostgreSQL (its lines go to `log` unless the pool options name their own). */
  postgres?: PostgresPoolOptions;
  log?: (line: string) => void;
}

export async function openBackend(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: OpenBackendOptions = {}): Promise<Backend> {
  if (config.databaseUrl !== null) return openPostgresBackend(config.databaseUrl, options);
  return openSqliteBackend(config);
}

function openSqliteBackend(config: Pick<Config, 'dataDir'>): SqliteBackend {
  const file = databaseFile(config);
  let migration: MigrationReport = { from: 0, to: 0, applied: [], backup: null };
  const db = openDatabase(file, { onMigrated: (report) => (migration = report) });
  const documents = new SqliteStore(db);
  let closed = false;
  return {
    kind: 'sqlite',
    location: file,
    db,
    migration,
    documents,
    leases: new InProcessLeaseStore(),
    async close() {
      if (closed) return;
      closed = true;
      await documents.close();
      db.close();
    },
  };
}

/**
 * Connects, migrates (every node may do it at once: the migrator runs once per database) and returns
 * the ports. A database that cannot be reached or a schema newer than this code rejects, with the pool
 * closed again.
 */
async function openPostgresBackend(url: string, options: OpenBackendOptions): Promise<PostgresBackend> {
  const pool = new PostgresPool(url, { log: options.log, ...options.postgres });
  let migration: PostgresMigrationReport;
  try {
    migration = await migratePostgres(pool, postgresMigrations);
  } catch (error) {
    await pool.close();
    // At start a storage failure means the database could not be reached: say which one (redacted).
    if (error instanceof StorageError) throw new Error(`cannot open PostgreSQL ${pool.label}: ${error.storeMessage}`, { cause: error });
    throw error;
  }
  const documents = new PostgresDocumentStore(pool);
  let closed = false;
  return {
    kind: 'postgres',
    location: pool.label,
    pool,
    migration,
    documents,
    leases: new PostgresLeaseStore(pool),
    async close() {
      if (closed) return;
      closed = true;
      await documents.close();
      await pool.close();
    },
  };
}
