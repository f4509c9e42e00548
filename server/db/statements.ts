// Prepared statements kept by their SQL. better-sqlite3 compiles the SQL on every prepare(); a store
// method that builds its statement per call (a list query whose WHERE and ORDER BY follow the request,
// a lookup called on every rights recheck) would compile the same text again and again. The cache is
// bounded (the list queries' shapes grow with the number of tags asked for): past `max` statements the
// least recently used one is dropped.
import type { Database, Statement } from 'better-sqlite3';

export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly max = 256,
  ) {}

  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= this.max) this.statements.delete(this.statements.keys().next().value!);
    } else this.statements.delete(sql);
    // Most recently used last: the first key is the one to drop.
    this.statements.set(sql, statement);
    return statement as unknown as Statement<P, R>;
  }
}
