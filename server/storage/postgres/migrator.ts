// PostgreSQL's own numbered, forward-only schema migrations (migrations/postgres/), the counterpart of
// server/db/migrator.ts for SQLite. Rules:
// - each migration runs with its verify() in its own transaction, and is recorded in schema_migrations
//   in that same transaction: a migration that fails leaves nothing of itself behind (DDL is
//   transactional in PostgreSQL), and the ones before it stay applied;
// - a database written by a newer Flowshelf is refused with one line, before anything is changed;
// - nodes that start at the same moment migrate once: the whole run holds a session advisory lock, so
//   the second node waits, then finds the schema current and applies nothing;
// - no extensions and no superuser: the URL's role owns the database and creates tables in it.
// Backups are the operator's pg_dump (docs/deploy.md), not the migrator's: unlike a SQLite file, a
// database server cannot be copied from here.
import type pg from 'pg';
import { MigrationError } from '../../db/migrator.js';
import { StorageError } from '../storage-errors.js';
import type { PostgresPool, Queryable } from './pool.js';

export { MigrationError };

/** One numbered schema step in migrations/postgres/, listed in migrations/postgres/index.ts. */
export interface PostgresMigration {
  /** 1, 2, 3, ... with no gaps; the database records every one applied. */
  version: number;
  /** kebab-case, matches the file name after the number. */
  name: string;
  /** Changes the schema and data, inside the migrator's transaction (never its own BEGIN/COMMIT). */
  up(tx: Queryable): Promise<void>;
  /** Checks the result and throws if it is not what `up` promised; runs in the same transaction. */
  verify(tx: Queryable): Promise<void>;
}

export interface PostgresMigrationReport {
  /** Schema version before the run (after waiting for any other node's run). */
  from: number;
  to: number;
  /** Labels (`0002-document-storage`) of the migrations applied by this run, in order. */
  applied: string[];
}

/**
 * The advisory lock every Flowshelf migrator takes (its two keys spell "Flow" and "migr"). Advisory
 * locks are per database, so databases sharing one server do not wait for each other.
 */
const LOCK_KEYS = [0x466c6f77, 0x6d696772] as const;

export function postgresMigrationLabel(m: Pick<PostgresMigration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}-${m.name}`;
}

/** Highest version recorded in the database; 0 for an empty one. */
export async function postgresSchemaVersion(db: Queryable): Promise<number> {
  const table = await db.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
  if (!table.rows[0]?.exists) return 0;
  const { rows } = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

/** Brings the database to the newest migration of the list (or to `target`, for tests). */
export async function migratePostgres(
  pool: PostgresPool,
  migrations: readonly PostgresMigration[],
  target: number = migrations.length,
): Promise<PostgresMigrationReport> {
  const ordered = checkChain(migrations);
  const latest = ordered.length;
  if (target > latest) throw new MigrationError(`cannot migrate to schema ${target}: the newest PostgreSQL migration is ${latest}`);
  return pool.withClient(async (pooled) => {
    // A migration may take longer than the pool's timeouts, and so may waiting for another node's
    // run: no statement timeout on the server for this session (put back before the connection returns
    // to the pool), and no read timeout on the client.
    const client = untimed(pooled);
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1, $2)', [...LOCK_KEYS]);
    try {
      return await migrateLocked(client, ordered, target);
    } finally {
      // On a lost connection these fail too, and the server has released the lock with the session.
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEYS]).catch(() => undefined);
      await client.query('RESET statement_timeout').catch(() => undefined);
    }
  });
}

/** setTimeout's longest delay: pg's per-query read timeout set to it is as good as none. */
const NO_READ_TIMEOUT = 2 ** 31 - 1;

/** The connection, with pg's client-side read timeout (query_timeout) lifted for every statement. */
function untimed(client: pg.PoolClient): Queryable {
  return {
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      client.query<R>({ text, values, query_timeout: NO_READ_TIMEOUT } as pg.QueryConfig),
  };
}

async function migrateLocked(client: Queryable, ordered: PostgresMigration[], target: number): Promise<PostgresMigrationReport> {
  const latest = ordered.length;
  const from = await postgresSchemaVersion(client);
  if (from > latest) {
    throw new MigrationError(
      `PostgreSQL database is at schema ${from} but this Flowshelf only knows up to ${latest}: upgrade Flowshelf (every node) or restore a backup`,
    );
  }
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer NOT NULL PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const pending = ordered.filter((m) => m.version > from && m.version <= target);
  const applied: string[] = [];
  for (const m of pending) {
    const label = postgresMigrationLabel(m);
    await client.query('BEGIN');
    try {
      await m.up(client);
      await m.verify(client);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await client.query('COMMIT');
    } catch (error) {
      // Nothing of this migration stays; the earlier ones of this run are committed and recorded, so
      // the database is at a known version and the next start resumes from there.
      await client.query('ROLLBACK').catch(() => undefined);
      const reason = error instanceof StorageError ? error.storeMessage : error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new MigrationError(`PostgreSQL migration ${label} failed: ${reason}`, { cause: error });
    }
    applied.push(label);
  }
  return { from, to: Math.max(from, pending.at(-1)?.version ?? from), applied };
}

function checkChain(migrations: readonly PostgresMigration[]): PostgresMigration[] {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(`migrations must be numbered 1, 2, 3, ... without gaps or repeats; found ${postgresMigrationLabel(m)} at position ${i + 1}`);
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(m.name)) throw new MigrationError(`migration ${postgresMigrationLabel(m)}: name must be kebab-case`);
  });
  return ordered;
}

/** For verify(): throws naming the first missing table or column of the current schema. */
export async function requirePostgresColumns(db: Queryable, table: string, columns: readonly string[]): Promise<void> {
  const { rows } = await db.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table],
  );
  if (rows.length === 0) throw new Error(`table ${table} is missing`);
  const present = new Set(rows.map((r) => r.column_name));
  const missing = columns.filter((c) => !present.has(c));
  if (missing.length > 0) throw new Error(`table ${table} lacks column(s) ${missing.join(', ')}`);
}

/** For verify(): throws unless every named index exists in the current schema. */
export async function requirePostgresIndexes(db: Queryable, names: readonly string[]): Promise<void> {
  const { rows } = await db.query<{ indexname: string }>(
    'SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY($1)',
    [names],
  );
  const present = new Set(rows.map((r) => r.indexname));
  const missing = names.filter((n) => !present.has(n));
  if (missing.length > 0) throw new Error(`index(es) ${missing.join(', ')} missing`);
}
