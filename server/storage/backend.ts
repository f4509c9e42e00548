// Which store the server runs on, chosen by the configuration: one SQLite file in the data folder (the
// default, one node) or a PostgreSQL database shared by several nodes (--database-url). openBackend()
// opens it, brings its schema up to date and hands out every storage port over it: documents, the
// workflow index, thumbnails, users and settings, leases. app.ts builds the server from these ports
// only; nothing above this file knows which engine is underneath.
//
// SQLite's one-server-per-data-folder lock (server-lock.ts) is taken here, before the file is even
// opened, and released by close(): it belongs to SQLite only (several nodes share one PostgreSQL).
import { databaseFile, type Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import type { MigrationReport } from '../db/migrator.js';
import { holdServerLock } from '../library/server-lock.js';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import type { DocumentStore } from './document-store.js';
import type { WorkflowIndexStore } from './index-store.js';
import { InProcessLeaseStore, type LeaseStore } from './lease-store.js';
import { PostgresDocumentStore } from './postgres/document-store.js';
import { PostgresIndexStore } from './postgres/index-store.js';
import { PostgresLeaseStore } from './postgres/lease-store.js';
import { migratePostgres, type PostgresMigrationReport } from './postgres/migrator.js';
import { PostgresPool, type PostgresPoolOptions } from './postgres/pool.js';
import { PostgresThumbnailStore } from './postgres/thumbnail-store.js';
import { PostgresVersionStore } from './postgres/version-store.js';
import { PostgresSettingsStore, PostgresUserRepository } from './postgres/user-store.js';
import { SqliteIndexStore } from './sqlite/index-store.js';
import { SqliteThumbnailStore } from './sqlite/thumbnail-store.js';
import { SqliteVersionStore } from './sqlite/version-store.js';
import { SqliteSettingsStore, SqliteUserRepository } from './sqlite/user-store.js';
import { SqliteStore } from './sqlite-store.js';
import { StorageError } from './storage-errors.js';
import type { ThumbnailStore } from './thumbnail-store.js';
import type { SettingsStore, UserRepository } from './user-store.js';
import type { VersionStore } from './version-store.js';

interface BackendBase {
  /** For the start line: the SQLite file, or the PostgreSQL URL with its password hidden. */
  readonly location: string;
  readonly documents: DocumentStore;
  readonly index: WorkflowIndexStore;
  readonly thumbnails: ThumbnailStore;
  /** Workflow versions and the trash (issue 12). */
  readonly versions: VersionStore;
  readonly users: UserRepository;
  readonly settings: SettingsStore;
  /** One writer across nodes for work that needs one (SQLite: one node, leases kept in memory). */
  readonly leases: LeaseStore;
  /**
   * A trivial query (readiness): resolves when the store answers, rejects (a StorageError for
   * PostgreSQL) when it does not.
   */
  ping(): Promise<void>;
  /** Closes the ports, then the database (SQLite file or PostgreSQL pool). Safe to call twice. */
  close(): Promise<void>;
}

export interface SqliteBackend extends BackendBase {
  readonly kind: 'sqlite';
  /**
   * The open SQLite file, for what only SQLite has: the CLI's offline tools and tests that read the
   * file directly. The server itself goes through the ports.
   */
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
  // Before the file is even opened (or migrated): one server per data folder.
  const releaseLock = holdServerLock(config.dataDir);
  const file = databaseFile(config);
  let migration: MigrationReport = { from: 0, to: 0, applied: [], backup: null };
  let db: Database;
  try {
    db = openDatabase(file, { onMigrated: (report) => (migration = report) });
  } catch (error) {
    releaseLock();
    throw error;
  }
  const documents = new SqliteStore(db);
  let closed = false;
  return {
    kind: 'sqlite',
    location: file,
    db,
    migration,
    documents,
    index: new SqliteIndexStore(db),
    thumbnails: new SqliteThumbnailStore(db),
    versions: new SqliteVersionStore(db),
    users: new SqliteUserRepository(db),
    settings: new SqliteSettingsStore(db),
    leases: new InProcessLeaseStore(),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await documents.close();
        db.close();
      } finally {
        releaseLock();
      }
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
    index: new PostgresIndexStore(pool),
    thumbnails: new PostgresThumbnailStore(pool),
    versions: new PostgresVersionStore(pool),
    users: new PostgresUserRepository(pool),
    settings: new PostgresSettingsStore(pool),
    leases: new PostgresLeaseStore(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await documents.close();
      await pool.close();
    },
  };
}

/** The SQLite file under a backend, for code that only exists for SQLite (tests that read the file). */
export function sqliteDatabaseOf(backend: Backend): Database {
  if (backend.kind !== 'sqlite') throw new Error(`this needs the SQLite back end (the server runs on ${backend.kind})`);
  return backend.db;
}
