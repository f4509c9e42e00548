// Numbered, forward-only schema migrations (contract §5): the file is backed up before anything
// changes, each migration runs with its verify() in its own transaction, and a database written by a
// newer Flowshelf is refused rather than half-understood.
import type { Database } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Migration } from './migration.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationReport {
  /** Schema version before the run. */
  from: number;
  /** Schema version after the run. */
  to: number;
  /** Names (`0002-document-storage`) of the migrations applied, in order. */
  applied: string[];
  /** Path of the backup made before migrating; null when none was needed. */
  backup: string | null;
}

/** `0002-document-storage`: how migrations are named in files and messages. */
export function migrationLabel(m: Pick<Migration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}-${m.name}`;
}

/** Highest version recorded in the database; 0 for a new (or never migrated) one. */
export function schemaVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Brings the database to the newest migration in the list. */
export function migrate(db: Database, migrations: readonly Migration[]): MigrationReport {
  return migrateTo(db, migrations, migrations.length === 0 ? 0 : Math.max(...migrations.map((m) => m.version)));
}

/**
 * Brings the database to `target` (tests use this to stop at N-1, insert rows, then go to N).
 * A target below the current version is not a downgrade: nothing happens.
 */
export function migrateTo(db: Database, migrations: readonly Migration[], target: number): MigrationReport {
  const ordered = checkChain(migrations);
  const latest = ordered.length;
  if (target > latest) throw new MigrationError(`cannot migrate to schema ${target}: the newest migration is ${latest}`);

  const had = userTables(db);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const from = schemaVersion(db);
  if (from > latest) {
    throw new MigrationError(
      `database is at schema ${from} but this Flowshelf only knows up to ${latest}: upgrade Flowshelf or restore a backup`,
    );
  }
  const pending = ordered.filter((m) => m.version > from && m.version <= target);
  if (pending.length === 0) return { from, to: from, applied: [], backup: null };

  const backup = had.length > 0 ? backupFile(db, from, target) : null;
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: string[] = [];
  for (const m of pending) {
    const label = migrationLabel(m);
    const step = db.transaction(() => {
      m.up(db);
      m.verify(db);
      record.run(m.version, m.name, new Date().toISOString());
    });
    try {
      step();
    } catch (err) {
      // db.transaction() has rolled this migration back; earlier ones in this run stay committed
      // and recorded, so the database is at a known version and the next start resumes from there.
      const reason = err instanceof Error ? err.message : String(err);
      throw new MigrationError(`migration ${label} failed: ${reason}`, { cause: err });
    }
    applied.push(label);
  }
  return { from, to: target, applied, backup };
}

function checkChain(migrations: readonly Migration[]): Migration[] {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(`migrations must be numbered 1, 2, 3, ... without gaps or repeats; found ${migrationLabel(m)} at position ${i + 1}`);
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(m.name)) throw new MigrationError(`migration ${migrationLabel(m)}: name must be kebab-case`);
  });
  return ordered;
}

function userTables(db: Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
  return rows.map((r) => r.name);
}

/**
 * Copies the whole database next to it before the first migration touches it.
 *
 * VACUUM INTO rather than better-sqlite3's db.backup(): backup() is asynchronous, and opening the
 * database must stay synchronous (the CLI and storage open it inline). VACUUM INTO writes one
 * consistent, self-contained file (WAL content included) in a single statement.
 */
function backupFile(db: Database, from: number, to: number): string | null {
  if (db.memory) return null;
  const file = db.name;
  const stem = basename(file, extname(file));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  let target = join(dirname(file), `${stem}.backup-${from}-to-${to}-${stamp}.db`);
  for (let n = 2; existsSync(target); n++) target = join(dirname(file), `${stem}.backup-${from}-to-${to}-${stamp}-${n}.db`);
  db.prepare('VACUUM INTO ?').run(target);
  return target;
}
