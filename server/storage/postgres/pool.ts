// One connection pool to the PostgreSQL database that every PostgreSQL port shares (documents, index,
// users, thumbnails, leases). It is the only place that talks to `pg` directly, so that:
// - every failure of the database (stopped, restarting, unreachable, full) leaves it as a StorageError
//   (storage-errors.ts: 'unavailable' -> REST 503 / socket 1013, 'full' -> 507), while a refused
//   statement (a constraint, a bug) keeps its own error;
// - no log line ever carries the URL's password (redactUrl);
// - a connection lost while idle (PostgreSQL restarted) is logged once and replaced on next use, never
//   an unhandled 'error' event that would stop the process.
import pg from 'pg';
import { describeStoreError, postgresStorageErrorOf } from '../storage-errors.js';

export interface PostgresPoolOptions {
  /** Most connections this node opens (default 10: a few nodes share the server's max_connections). */
  max?: number;
  /** Longest a statement may run on the server (statement_timeout), default 30 s. */
  statementTimeoutMs?: number;
  /**
   * Longest the client waits for an answer before it gives up on the connection (a server that stopped
   * answering, not one that refused): default statementTimeoutMs + 5 s.
   */
  queryTimeoutMs?: number;
  /** Longest to wait for a connection (a new one, or a free one of the pool), default 10 s. */
  connectionTimeoutMs?: number;
  /** Where the pool's own lines go (a lost idle connection); default console.error. */
  log?: (line: string) => void;
}

/** What a transaction body may run statements on. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface TransactionOptions {
  /** Default 'read committed' (PostgreSQL's own default). */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

/**
 * The URL with its password (and any password-like query parameter) replaced by `***`, for logs and
 * messages. A URL that does not parse is not echoed at all: it may be a password pasted by mistake.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparseable database URL)';
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

export class PostgresPool {
  /** The redacted URL: the only form of it that may be logged. */
  readonly label: string;
  private readonly pool: pg.Pool;
  private readonly log: (line: string) => void;
  /** An outage is logged once (every idle connection reports it), until a connection works again. */
  private outageLogged = false;
  private closed = false;

  constructor(url: string, options: PostgresPoolOptions = {}) {
    this.label = redactUrl(url);
    this.log = options.log ?? ((line) => console.error(line));
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      application_name: 'flowshelf',
      statement_timeout: statementTimeoutMs,
      // A server that stops answering (a cut network, not a refused connection) must not hold a
      // request for ever: the client gives up a little after the server-side timeout would have.
      query_timeout: options.queryTimeoutMs ?? statementTimeoutMs + 5_000,
      // A transaction left open (a bug, a stalled node) must not hold row locks of other nodes' writers.
      idle_in_transaction_session_timeout: statementTimeoutMs + 5_000,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle connection that dies (PostgreSQL stopped or restarted) is reported here; without a
    // listener Node would treat it as an uncaught error. The pool drops that client by itself.
    this.pool.on('error', (error) => {
      // After close() the connections still closing may see the server go away: nobody needs to know.
      if (this.outageLogged || this.closed) return;
      this.outageLogged = true;
      this.log(`PostgreSQL ${this.label}: connection lost: ${describeStoreError(error)}`);
    });
    this.pool.on('connect', () => {
      this.outageLogged = false;
    });
  }

  /** One statement on any connection of the pool (one statement is its own transaction). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw this.mapped(error);
    }
  }

  /**
   * Runs `body` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws (its error is rethrown). A commit whose outcome is unknown (the connection died during
   * COMMIT) rejects: the caller must treat it as not acknowledged (Yjs updates are idempotent, so a
   * client sending it again is harmless if it did commit).
   */
  async transaction<T>(body: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.withClient(async (client) => {
      const mode = `ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}${options.readOnly ? ' READ ONLY' : ''}`;
      await client.query(`BEGIN ${mode}`);
      let result: T;
      try {
        result = await body(client);
      } catch (error) {
        // If the connection itself is gone, the rollback fails too; the server rolls back on its own.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await client.query('COMMIT');
      return result;
    });
  }

  /**
   * A connection of its own for `body` (the migrator holds a session-level advisory lock on it).
   * A connection whose body threw is destroyed, not returned to the pool.
   */
  async withClient<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.mapped(error);
    }
    // A connection that dies while checked out emits 'error' on the client (the pool listens only to
    // idle ones): unheard, that would be an uncaught exception ending the process. The statement
    // running on it rejects with the same failure, which is what the caller sees.
    const onError = () => undefined;
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      return await body(client);
    } catch (error) {
      // The session may be unusable (cut mid-transaction, a lock or setting left behind): it is closed
      // rather than handed to the next caller. Errors are rare enough that reconnecting costs nothing.
      broken = error instanceof Error ? error : new Error(String(error));
      throw this.mapped(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Ends every connection; later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private mapped(error: unknown): unknown {
    return postgresStorageErrorOf(error) ?? error;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('PostgreSQL pool is closed');
  }
}
