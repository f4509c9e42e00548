// Small checks for migrations' verify(). They read PRAGMA table_xinfo, never table_info: table_info
// hides VIRTUAL generated columns, which is how InvokeAI's migration 28 decided a column was missing
// (or present) on the wrong evidence.
import type { Database } from 'better-sqlite3';

export interface ColumnInfo {
  name: string;
  type: string;
  notnull: 0 | 1;
  pk: number;
  /** 0 = ordinary, 1 = hidden (virtual table), 2 = VIRTUAL generated, 3 = STORED generated. */
  hidden: number;
}

export function tableExists(db: Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** Every column of a table, generated ones included. Empty if the table does not exist. */
export function tableColumns(db: Database, table: string): ColumnInfo[] {
  return db.prepare('SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?)').all(table) as ColumnInfo[];
}

export function hasColumn(db: Database, table: string, column: string): boolean {
  return tableColumns(db, table).some((c) => c.name === column);
}

/** Throws naming the first missing table or column. */
export function requireColumns(db: Database, table: string, columns: readonly string[]): void {
  if (!tableExists(db, table)) throw new Error(`table ${table} is missing`);
  const present = new Set(tableColumns(db, table).map((c) => c.name));
  const missing = columns.filter((c) => !present.has(c));
  if (missing.length > 0) throw new Error(`table ${table} lacks column(s) ${missing.join(', ')}`);
}
