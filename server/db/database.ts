// Opens (and creates) the one SQLite file all state lives in, and brings its schema up to date.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations as allMigrations } from '../../migrations/index.js';
import type { Migration } from './migration.js';
import { migrate, type MigrationReport } from './migrator.js';

export type { Db as Database };

export interface OpenOptions {
  /** Defaults to every migration in migrations/index.ts. */
  migrations?: readonly Migration[];
  /** Receives what the migrator did (the server logs it when something was applied). */
  onMigrated?: (report: MigrationReport) => void;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    // WAL: readers (the CLI, a second process) never block the server's writer, and a commit is one
    // append. synchronous=NORMAL in WAL mode keeps every commit across a process crash; only an OS
    // crash or power loss can lose the last transactions.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The CLI may write while the server runs: wait for the other writer instead of failing at once.
    db.pragma('busy_timeout = 5000');
    const report = migrate(db, options.migrations ?? allMigrations);
    // The planner's statistics (sqlite_stat1) brought up to date where tables grew or shrank, as
    // SQLite recommends on opening a long-lived connection (bounded work; the list queries rely on it
    // to read one user's rows from their index). The index store repeats it while the server runs.
    optimizeStatistics(db, 'open');
    options.onMigrated?.(report);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * PRAGMA optimize: ANALYZE of the tables whose size changed enough since their statistics were taken
 * (on `open`, every table; later, those the connection's queries used), with SQLite's own bound on the
 * work. Statistics only steer the planner: a database that cannot write them now (busy, disk full) is
 * answered with the old ones, and the next call tries again.
 */
export function optimizeStatistics(db: Db, when: 'open' | 'running'): boolean {
  try {
    db.pragma(when === 'open' ? 'optimize=0x10002' : 'optimize');
    return true;
  } catch {
    return false;
  }
}
