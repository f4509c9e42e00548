import type { Database } from 'better-sqlite3';

/**
 * One numbered, forward-only schema step (files in migrations/, listed in migrations/index.ts).
 * The migrator runs `up` and then `verify` inside one transaction; if either throws, the transaction
 * is rolled back and start-up stops with an error naming the migration.
 */
export interface Migration {
  /** 1, 2, 3, ... with no gaps; the database records the highest one applied. */
  version: number;
  /** kebab-case, matches the file name after the number. */
  name: string;
  /** Changes the schema and data. Must not commit or open its own transaction. */
  up(db: Database): void;
  /**
   * Checks the result and throws if it is not what `up` promised. Look at generated columns with
   * PRAGMA table_xinfo, not table_info: table_info hides VIRTUAL columns (InvokeAI's migration 28
   * silently did nothing on such a table because of that).
   */
  verify(db: Database): void;
}
