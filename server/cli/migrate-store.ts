// `flowshelf migrate-store --to postgres://...`: moves a SQLite deployment (the data folder's
// flowshelf.db) into an empty PostgreSQL database, so that the same users (with the same JWT secret:
// tokens already issued keep working), libraries, index, opens, owners and thumbnails are served by
// nodes started with --database-url.
//
// How, and why:
// - Beside a live server the SQLite file changes under the copy and the server would keep accepting
//   edits the copy never sees: the data folder's server lock must be takeable (and is held while
//   copying, so no server starts meanwhile), else exit 2 and nothing is touched.
// - The copy is table by table in SQL, not through the stores: every column of every table, types
//   converted (SQLite's 0/1 to boolean, text timestamps of doc_snapshots to timestamptz), plus
//   PostgreSQL's doc_heads (each document's highest seq, which appends on PostgreSQL number on from).
//   A SQLite table or column this code does not know refuses the move instead of leaving it behind.
// - One PostgreSQL transaction (all or nothing), the target's tables locked so nothing else writes
//   them meanwhile, rows sent in multi-row INSERTs (one round trip per batch, blobs as binary parameters).
// - Verified before COMMIT: per table, row count and a sha256 over every row's canonical values in
//   key order, computed from what SQLite holds and from what PostgreSQL holds after the inserts; any
//   difference rolls back. After COMMIT, every document is loaded through PostgresDocumentStore and
//   SqliteStore and the resulting Yjs states compared (state vector, encoded state, JSON).
// - The SQLite side is read inside one read transaction: one consistent snapshot for copy and checks.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as Y from 'yjs';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { databaseFile } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { holdServerLock, ServerLockError } from '../library/server-lock.js';
import type { StoredDocument } from '../storage/document-store.js';
import { PostgresDocumentStore } from '../storage/postgres/document-store.js';
import { migratePostgres } from '../storage/postgres/migrator.js';
import { escapeNul, unescapeNul } from '../storage/postgres/nul-text.js';
import { PostgresPool, redactUrl, type Queryable } from '../storage/postgres/pool.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { StorageError } from '../storage/storage-errors.js';
import { CliError, dataDirOption, parseCommandArgs, UsageError, type CliCommand } from './common.js';
import { dataDirOf } from './library-common.js';

const USAGE = 'flowshelf migrate-store --to postgres://USER:PASSWORD@HOST/DB [--data-dir D]  (or FLOWSHELF_DATABASE_URL instead of --to)';

/** How a column's values are converted and compared. */
/**
 * Client text that may hold U+0000, which PostgreSQL's text refuses (PostgreSQL migration 0007): 'utf8'
 * is bytea holding the UTF-8 there; 'escaped' is text with U+0000 escaped (storage/postgres/nul-text.ts).
 * Both are plain text in SQLite.
 */
export type ColumnType = 'text' | 'utf8' | 'escaped' | 'integer' | 'boolean' | 'bytes' | 'timestamptz';

export interface TableSpec {
  /** The table's name on both sides. */
  name: string;
  /** Columns in the order they are copied and hashed; `key` columns first define the canonical order. */
  columns: readonly { name: string; type: ColumnType }[];
  key: readonly string[];
  /**
   * For a table PostgreSQL has and SQLite has not (doc_heads): the SQLite query that yields its rows,
   * ordered by key. Undefined: the SQLite table of the same name, whose columns must be exactly these.
   */
  derivedFrom?: string;
  /**
   * A table of a newer feature, whose migrations may not be on both sides yet: when either side lacks
   * it, it is skipped if SQLite holds no row of it, and the move refused if it does.
   */
  optional?: boolean;
  /** A column PostgreSQL fills from an identity sequence: copied as is, the sequence moved past it. */
  identity?: string;
}

const text = (name: string) => ({ name, type: 'text' as const });
const integer = (name: string) => ({ name, type: 'integer' as const });
const boolean = (name: string) => ({ name, type: 'boolean' as const });
const bytes = (name: string) => ({ name, type: 'bytes' as const });
const utf8 = (name: string) => ({ name, type: 'utf8' as const });
const escaped = (name: string) => ({ name, type: 'escaped' as const });

/** Every table of the SQLite schema after migrations/0001-0005, and what PostgreSQL adds (doc_heads). */
export const TABLES: readonly TableSpec[] = [
  {
    name: 'users',
    key: ['user_id'],
    columns: [
      text('user_id'), escaped('email'), escaped('display_name'), text('password_hash'), boolean('is_admin'), boolean('is_active'),
      text('created_at'), text('updated_at'), text('last_login_at'), integer('token_epoch'),
    ],
  },
  // The JWT signing secret lives here: copied as is, tokens issued by the SQLite server stay valid.
  { name: 'app_settings', key: ['key'], columns: [text('key'), text('value'), text('created_at'), text('updated_at')] },
  { name: 'doc_snapshots', key: ['doc'], columns: [text('doc'), bytes('data'), integer('seq'), { name: 'updated_at', type: 'timestamptz' }] },
  { name: 'doc_updates', key: ['doc', 'seq'], columns: [text('doc'), integer('seq'), bytes('data')] },
  {
    name: 'doc_heads',
    key: ['doc'],
    columns: [text('doc'), integer('last_seq')],
    // The highest seq stored per document, folded or not: PostgreSQL appends number on from it.
    derivedFrom: `SELECT doc, max(seq) AS last_seq FROM (SELECT doc, seq FROM doc_updates UNION ALL SELECT doc, seq FROM doc_snapshots)
                  GROUP BY doc ORDER BY doc`,
  },
  {
    name: 'workflow_index',
    key: ['workflow_id', 'user_id', 'category'],
    columns: [
      text('workflow_id'), text('user_id'), text('category'), escaped('name'), escaped('description'), escaped('tags'), boolean('is_public'),
      text('created_at'), text('updated_at'), text('opened_at'), boolean('valid'), escaped('invalid_reason'), text('workflow'),
      integer('doc_seq'), escaped('unpublished_reason'),
    ],
  },
  { name: 'workflow_opened', key: ['user_id', 'workflow_id'], columns: [text('user_id'), text('workflow_id'), text('opened_at')] },
  { name: 'workflow_index_state', key: ['document'], columns: [text('document'), integer('seq')] },
  { name: 'workflow_owners', key: ['workflow_id'], columns: [text('workflow_id'), text('user_id'), text('category'), text('claimed_at')] },
  { name: 'workflow_thumbnails', key: ['workflow_id', 'user_id'], columns: [text('workflow_id'), text('user_id'), bytes('image'), text('version')] },
  // Version history and trash (issue 12: SQLite migration 0007, PostgreSQL 0006).
  {
    name: 'workflow_versions',
    key: ['seq'],
    optional: true,
    identity: 'seq',
    columns: [
      integer('seq'), text('version_id'), text('owner_id'), text('workflow_id'), text('key'), text('kind'), text('created_at'),
      text('user_id'), utf8('user_name'), text('device'), utf8('device_label'), text('summary'), text('workflow'),
    ],
  },
  {
    name: 'workflow_trash',
    key: ['workflow_id'],
    optional: true,
    columns: [text('workflow_id'), text('owner_id'), utf8('name'), text('deleted_at'), text('deleted_by'), text('purge_at'), text('entry')],
  },
];

/** SQLite tables that are not data to move: the migrator's own record (PostgreSQL keeps its own). */
const NOT_COPIED = new Set(['schema_migrations']);

/** Rows per INSERT, and bytes of text and blobs per INSERT (whichever comes first). */
const BATCH_ROWS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Canonical values and table digests (pure: unit-tested in test/cli/migrate-store.test.ts).

/**
 * A column value as both sides compare it, whatever the driver returned: SQLite gives 0/1 for
 * booleans, numbers for integers and text for timestamps; pg gives booleans, strings for bigint and
 * Dates for timestamptz. null stays null.
 */
export function canonicalValue(type: ColumnType, value: unknown): string | Buffer | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'text':
    case 'escaped':
      if (typeof value !== 'string') throw new Error(`expected text, found ${typeof value}`);
      return value;
    case 'utf8':
      if (typeof value === 'string') return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
      throw new Error(`expected text, found ${typeof value}`);
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+$/.test(value))) return String(value);
      throw new Error(`expected an integer, found ${typeof value}`);
    case 'boolean':
      if (value === true || value === 1) return '1';
      if (value === false || value === 0) return '0';
      throw new Error(`expected a boolean (0/1), found ${JSON.stringify(value)}`);
    case 'bytes':
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      throw new Error(`expected bytes, found ${typeof value}`);
    case 'timestamptz': {
      const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
      if (date === null || Number.isNaN(date.getTime())) throw new Error(`expected a timestamp, found ${JSON.stringify(value)}`);
      return date.toISOString();
    }
  }
}

/** The row count and sha256 of one table's rows, fed in canonical (key) order. */
export interface TableDigest {
  table: string;
  rows: number;
  sha256: string;
}

/**
 * Hashes rows one by one. Each value is framed (a tag for null / text / bytes, then its length), so no
 * two different rows can hash alike by shifting bytes between columns.
 */
export class TableHasher {
  private readonly hash = createHash('sha256');
  private rows = 0;

  constructor(private readonly spec: Pick<TableSpec, 'name' | 'columns'>) {}

  add(row: Record<string, unknown>): void {
    this.rows += 1;
    for (const column of this.spec.columns) {
      let value: string | Buffer | null;
      try {
        value = canonicalValue(column.type, row[column.name]);
      } catch (error) {
        throw new Error(`${this.spec.name}.${column.name}: ${(error as Error).message}`);
      }
      const header = Buffer.alloc(5);
      if (value === null) {
        header.writeUInt8(0, 0);
        this.hash.update(header);
        continue;
      }
      const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      header.writeUInt8(typeof value === 'string' ? 1 : 2, 0);
      header.writeUInt32BE(body.length, 1);
      this.hash.update(header);
      this.hash.update(body);
    }
  }

  digest(): TableDigest {
    return { table: this.spec.name, rows: this.rows, sha256: this.hash.digest('hex') };
  }
}

/** The first table whose copy differs from its source (count or content), with what differs; null if none. */
export function firstDifference(source: readonly TableDigest[], target: readonly TableDigest[]): string | null {
  const byName = new Map(target.map((d) => [d.table, d]));
  for (const want of source) {
    const got = byName.get(want.table);
    if (!got) return `${want.table}: not checked in the target`;
    if (got.rows !== want.rows) return `${want.table}: ${got.rows} rows in PostgreSQL, ${want.rows} in SQLite`;
    if (got.sha256 !== want.sha256) return `${want.table}: the copied rows differ from SQLite's (checksum mismatch)`;
  }
  for (const got of target) if (!source.some((d) => d.table === got.table)) return `${got.table}: not in the source`;
  return null;
}

/** The Yjs state a stored document yields: state vector, encoded state, JSON of its root maps. */
export function documentState(stored: StoredDocument): { stateVector: Buffer; state: Buffer; json: string } {
  const doc = new Y.Doc();
  try {
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
    for (const update of stored.updates) Y.applyUpdate(doc, update);
    // Every root of Flowshelf's documents is a map (library: workflows, opened; public: workflows).
    const roots = [...doc.share.keys()].sort();
    const json = JSON.stringify(Object.fromEntries(roots.map((name) => [name, doc.getMap(name).toJSON()])));
    return { stateVector: Buffer.from(Y.encodeStateVector(doc)), state: Buffer.from(Y.encodeStateAsUpdate(doc)), json };
  } finally {
    doc.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The move.

class VerificationError extends Error {
  override name = 'VerificationError';
}

export interface MigrationSummary {
  users: number;
  documents: number;
  workflows: number;
  thumbnails: number;
  /** Bytes of text and blobs copied (documents, thumbnails, index JSON, ...). */
  bytes: number;
  tables: TableDigest[];
  elapsedMs: number;
}

function checkSourceSchema(db: Database): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  const known = new Map(TABLES.filter((t) => t.derivedFrom === undefined).map((t) => [t.name, t]));
  const required = new Set(TABLES.filter((t) => t.derivedFrom === undefined && !t.optional).map((t) => t.name));
  for (const { name } of tables) {
    if (NOT_COPIED.has(name)) continue;
    const spec = known.get(name);
    if (!spec) throw new CliError(`the SQLite database has a table this version cannot move (${name}): use the Flowshelf version that wrote it`);
    const columns = (db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name).sort();
    const expected = spec.columns.map((c) => c.name).sort();
    if (columns.join(',') !== expected.join(',')) {
      throw new CliError(`the SQLite table ${name} has columns this version cannot move (${columns.join(', ')}): use the Flowshelf version that wrote it`);
    }
    required.delete(name);
  }
  if (required.size > 0) throw new CliError(`the SQLite database lacks table ${[...required].join(', ')}: it is not a Flowshelf database`);
}

/**
 * The tables this move copies: every one, except an optional table one side lacks (a feature whose
 * migration is not on both sides), which is skipped when SQLite holds none of its rows and refuses the
 * move when it does (its rows would be left behind).
 */
async function tablesToCopy(db: Database, tx: Queryable): Promise<TableSpec[]> {
  const active: TableSpec[] = [];
  for (const spec of TABLES) {
    if (!spec.optional) {
      active.push(spec);
      continue;
    }
    const inSqlite = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(spec.name) !== undefined;
    const inPostgres = (await tx.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [spec.name])).rows[0]!.t !== null;
    if (inSqlite && inPostgres) {
      active.push(spec);
      continue;
    }
    const rows = inSqlite ? (db.prepare(`SELECT count(*) AS n FROM "${spec.name}"`).get() as { n: number }).n : 0;
    if (rows > 0) {
      throw new CliError(`the SQLite database has ${rows} rows in ${spec.name}, which this version's PostgreSQL schema lacks: nothing was copied`);
    }
  }
  return active;
}

const lockAll = (tables: readonly TableSpec[]) => `LOCK TABLE ${tables.map((t) => `"${t.name}"`).join(', ')} IN EXCLUSIVE MODE`;

function sourceRows(db: Database, spec: TableSpec): IterableIterator<Record<string, unknown>> {
  const sql =
    spec.derivedFrom ??
    `SELECT ${spec.columns.map((c) => `"${c.name}"`).join(', ')} FROM "${spec.name}" ORDER BY ${spec.key.map((k) => `"${k}"`).join(', ')}`;
  return db.prepare(sql).iterate() as IterableIterator<Record<string, unknown>>;
}

/** A SQLite value as pg sends it for the column's PostgreSQL type. */
function targetValue(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'boolean') return value === 1 || value === true;
  if (type === 'timestamptz') return canonicalValue('timestamptz', value);
  if (type === 'utf8' && typeof value === 'string') return Buffer.from(value, 'utf8');
  if (type === 'escaped' && typeof value === 'string') return escapeNul(value);
  return value;
}

/**
 * One multi-row INSERT of `rows` rows. Values are parameters, not literals: pg sends Buffers as binary
 * parameters (no hex or escaping of blobs and JSON text), and nothing from the file is ever SQL.
 */
function insertSql(spec: TableSpec, rows: number): string {
  const names = spec.columns.map((c) => `"${c.name}"`).join(', ');
  const width = spec.columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${spec.columns.map((_, i) => `$${r * width + i + 1}`).join(', ')})`);
  // An identity column's values are the source's (kept as they are), not new ones.
  const overriding = spec.identity ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO "${spec.name}" (${names})${overriding} VALUES ${tuples.join(', ')}`;
}

/** Copies one table in batches; returns the digest of the SQLite rows and the bytes of text and blobs sent. */
async function copyTable(db: Database, tx: Queryable, spec: TableSpec): Promise<{ digest: TableDigest; bytes: number }> {
  const hasher = new TableHasher(spec);
  const fullBatchSql = insertSql(spec, BATCH_ROWS);
  let values: unknown[] = [];
  let rows = 0;
  let batchBytes = 0;
  let totalBytes = 0;
  const flush = async () => {
    if (rows === 0) return;
    await tx.query(rows === BATCH_ROWS ? fullBatchSql : insertSql(spec, rows), values);
    values = [];
    rows = 0;
    batchBytes = 0;
  };
  for (const row of sourceRows(db, spec)) {
    hasher.add(row);
    for (const column of spec.columns) {
      const value = row[column.name];
      const size = value instanceof Uint8Array ? value.byteLength : typeof value === 'string' ? Buffer.byteLength(value) : 0;
      batchBytes += size;
      totalBytes += size;
      values.push(targetValue(column.type, value));
    }
    rows += 1;
    if (rows >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return { digest: hasher.digest(), bytes: totalBytes };
}

/** Reads the table back from PostgreSQL in key order, page by page (keyset: no OFFSET rescans), hashing it. */
async function targetDigest(tx: Queryable, spec: TableSpec): Promise<TableDigest> {
  const hasher = new TableHasher(spec);
  const names = spec.columns.map((c) => `"${c.name}"`).join(', ');
  const keyList = spec.key.map((k) => `"${k}"`).join(', ');
  const typed = spec.key.map((k) => spec.columns.find((c) => c.name === k)!);
  const order = typed.map((c) => (c.type === 'text' ? `"${c.name}" COLLATE "C"` : `"${c.name}"`)).join(', ');
  // Compared in byte order ("C"), as SQLite's BINARY ordered the source.
  const after = `(${keyList}) > (${typed.map((c, i) => (c.type === 'text' ? `$${i + 1}::text COLLATE "C"` : `$${i + 1}::bigint`)).join(', ')})`;
  let last: unknown[] | null = null;
  for (;;) {
    const { rows }: { rows: Record<string, unknown>[] } = await tx.query<Record<string, unknown>>(
      `SELECT ${names} FROM "${spec.name}" ${last ? `WHERE ${after}` : ''} ORDER BY ${order} LIMIT ${BATCH_ROWS}`,
      last ?? [],
    );
    // Compared as the stores read them: escaped text unescaped.
    for (const row of rows) {
      for (const c of spec.columns) if (c.type === 'escaped' && typeof row[c.name] === 'string') row[c.name] = unescapeNul(row[c.name] as string);
      hasher.add(row);
    }
    if (rows.length < BATCH_ROWS) break;
    const tail: Record<string, unknown> = rows[rows.length - 1]!;
    last = spec.key.map((k) => tail[k]);
  }
  return hasher.digest();
}

async function assertEmptyTarget(tx: Queryable, tables: readonly TableSpec[]): Promise<void> {
  const found: string[] = [];
  const count = async (sql: string) => Number((await tx.query<{ n: string }>(sql)).rows[0]!.n);
  const users = await count("SELECT count(*) AS n FROM users WHERE user_id <> 'system'");
  if (users > 0) found.push(`${users} user${users === 1 ? '' : 's'}`);
  const documents = await count('SELECT count(*) AS n FROM (SELECT doc FROM doc_updates UNION SELECT doc FROM doc_snapshots UNION SELECT doc FROM doc_heads) d');
  if (documents > 0) found.push(`${documents} document${documents === 1 ? '' : 's'}`);
  const documentTables = new Set(['users', 'doc_updates', 'doc_snapshots', 'doc_heads']);
  for (const table of tables.filter((t) => !documentTables.has(t.name))) {
    const n = await count(`SELECT count(*) AS n FROM "${table.name}"`);
    if (n > 0) found.push(`${n} row${n === 1 ? '' : 's'} in ${table.name}`);
  }
  if (found.length > 0) throw new CliError(`the target database is not empty (${found.join(', ')}): migrate into a new, empty database`);
}

/** Loads every document through both stores and compares the Yjs states they yield. */
async function verifyDocuments(db: Database, pool: PostgresPool): Promise<number> {
  const names = (db.prepare('SELECT doc FROM doc_updates UNION SELECT doc FROM doc_snapshots ORDER BY doc').all() as { doc: string }[]).map((r) => r.doc);
  const sqlite = new SqliteStore(db);
  const postgres = new PostgresDocumentStore(pool);
  try {
    for (const name of names) {
      const want = documentState(await sqlite.load(name));
      const got = documentState(await postgres.load(name));
      if (!want.stateVector.equals(got.stateVector) || !want.state.equals(got.state) || want.json !== got.json) {
        throw new VerificationError(`document ${JSON.stringify(name)} loads differently from PostgreSQL than from SQLite`);
      }
    }
  } finally {
    await sqlite.close();
    await postgres.close();
  }
  return names.length;
}

/**
 * Moves PostgreSQL's identity sequence past every value SQLite ever gave out (its AUTOINCREMENT
 * counter, which also counts deleted rows), so new rows neither collide with copied ones nor reuse a
 * number.
 */
async function advanceIdentity(db: Database, tx: Queryable, spec: TableSpec, column: string): Promise<void> {
  const maxRow = db.prepare(`SELECT max("${column}") AS n FROM "${spec.name}"`).get() as { n: number | null };
  const hasCounter = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get() !== undefined;
  const counter = hasCounter ? (db.prepare('SELECT seq AS n FROM sqlite_sequence WHERE name = ?').get(spec.name) as { n: number } | undefined) : undefined;
  const last = Math.max(maxRow.n ?? 0, counter?.n ?? 0);
  if (last > 0) await tx.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [`"${spec.name}"`, column, last]);
}

/**
 * Empties the target again after a copy that committed but whose documents do not load as in SQLite:
 * it was empty before (assertEmptyTarget), so it goes back to what the migrator made of it.
 */
async function removeCopy(pool: PostgresPool, tables: readonly TableSpec[]): Promise<void> {
  await pool.transaction(async (tx) => {
    await tx.query(lockAll(tables));
    for (const spec of tables) await tx.query(`DELETE FROM "${spec.name}"`);
    const now = new Date().toISOString();
    await tx.query(
      `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at)
       VALUES ('system', 'system@system.invokeai', 'System', '', false, true, $1, $1)`,
      [now],
    );
  });
}

export async function migrateStore(db: Database, pool: PostgresPool): Promise<MigrationSummary> {
  const started = performance.now();
  checkSourceSchema(db);
  await migratePostgres(pool, postgresMigrations);
  // One read snapshot of SQLite for the copy and both checks (a CLI command writing meanwhile, e.g.
  // `user add`, either lands entirely before it or is not in it).
  db.exec('BEGIN');
  try {
    const tables: TableDigest[] = [];
    let copiedTables: TableSpec[] = [];
    let bytes = 0;
    await pool.transaction(async (tx) => {
      copiedTables = await tablesToCopy(db, tx);
      // Nothing else writes these tables until COMMIT (a node started on the target meanwhile waits);
      // a second migrate-store waits here, then finds the target full.
      await tx.query(lockAll(copiedTables));
      await assertEmptyTarget(tx, copiedTables);
      // The migrator's own system user gives way to SQLite's (same id, the original timestamps).
      await tx.query("DELETE FROM users WHERE user_id = 'system'");
      for (const spec of copiedTables) {
        const copied = await copyTable(db, tx, spec);
        tables.push(copied.digest);
        bytes += copied.bytes;
        if (spec.identity) await advanceIdentity(db, tx, spec, spec.identity);
      }
      const target: TableDigest[] = [];
      for (const spec of copiedTables) target.push(await targetDigest(tx, spec));
      const difference = firstDifference(tables, target);
      if (difference !== null) throw new VerificationError(`verification failed, nothing was copied: ${difference}`);
    });
    let documents: number;
    try {
      documents = await verifyDocuments(db, pool);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      await removeCopy(pool, copiedTables);
      throw new VerificationError(`verification failed: ${error.message}; the copy was removed again`);
    }
    const rowsOf = (name: string) => tables.find((t) => t.table === name)!.rows;
    const workflows = Number(
      (db.prepare("SELECT count(*) AS n FROM workflow_index WHERE category = 'user'").get() as { n: number }).n,
    );
    return {
      users: rowsOf('users') - 1,
      documents,
      workflows,
      thumbnails: rowsOf('workflow_thumbnails'),
      bytes,
      tables,
      elapsedMs: performance.now() - started,
    };
  } finally {
    db.exec('ROLLBACK');
  }
}

function targetUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = (flag ?? env.FLOWSHELF_DATABASE_URL ?? '').trim();
  if (raw === '') throw new UsageError('migrate-store needs --to postgres://... (or FLOWSHELF_DATABASE_URL)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: it may be a password pasted in the wrong place.
    throw new UsageError('--to must be a postgres:// or postgresql:// URL (the value, not shown, does not parse as a URL)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`--to must be a postgres:// or postgresql:// URL, got a ${url.protocol}// URL`);
  }
  return raw;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const migrateStoreCommand: CliCommand = {
  summary: 'copy this data folder (SQLite) into an empty PostgreSQL database, verified',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...dataDirOption, to: { type: 'string' } });
    const url = targetUrl(values.to, io.env);
    const dataDir = dataDirOf(values['data-dir'], io.env);
    const file = databaseFile({ dataDir });
    // Checked before the lock: holdServerLock would create the folder, and there is nothing to move.
    if (!existsSync(file)) throw new CliError(`no Flowshelf database in ${dataDir} (looked for ${file})`);
    let release: () => void;
    try {
      release = holdServerLock(dataDir);
    } catch (error) {
      if (error instanceof ServerLockError) throw new CliError(`${error.message}; nothing was copied`, 2);
      throw error;
    }
    try {
      const db = openDatabase(file);
      // A long copy must not be cut by the pool's usual 30 s statement timeout.
      const pool = new PostgresPool(url, { max: 2, statementTimeoutMs: 60 * 60_000, log: () => undefined });
      try {
        const summary = await migrateStore(db, pool);
        io.out(
          `copied ${summary.users} user${summary.users === 1 ? '' : 's'}, ${summary.documents} documents, ` +
            `${summary.workflows} workflows, ${summary.thumbnails} thumbnails (${formatBytes(summary.bytes)}) ` +
            `to ${redactUrl(url)} in ${(summary.elapsedMs / 1000).toFixed(1)} s; verified: ` +
            `${summary.tables.reduce((n, t) => n + t.rows, 0)} rows in ${summary.tables.length} tables, every document`,
        );
        io.out(`start the server with --database-url (or FLOWSHELF_DATABASE_URL) to use it; ${file} is left as it was`);
      } catch (error) {
        if (error instanceof StorageError) throw new CliError(`PostgreSQL ${redactUrl(url)}: ${error.storeMessage}; nothing was copied`);
        throw error;
      } finally {
        await pool.close();
        db.close();
      }
    } finally {
      release();
    }
  },
};
