// What a write that could not be stored looks like to the rest of the server, so that every write
// path (sync, REST, server-side document writes, direct table writes) refuses it the same way: a
// REST 507 with a reason, a socket closed with a named code, and one log line. A database that cannot
// be reached (PostgreSQL stopped, restarting, the network to it cut) is 'unavailable': REST 503, sockets
// 1013 'storage unavailable', since trying again later is the right answer.

/** A commit the store refused: nothing of the write is stored, forwarded or acknowledged. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    /**
     * 'full': the disk (or SQLite's page limit) has no room; 'unavailable': the database server cannot
     * be reached or is shutting down (nothing was committed; try again later); 'failed': any other
     * commit failure.
     */
    readonly kind: 'full' | 'failed' | 'unavailable',
    /** The store's own words, for the log (no data, no secrets: store codes and messages only). */
    readonly storeMessage: string,
    /** Already logged where it happened, so the HTTP layer does not log it again. */
    readonly logged = false,
  ) {
    super(kind === 'full' ? STORAGE_FULL_DETAIL : kind === 'unavailable' ? STORAGE_UNAVAILABLE_DETAIL : STORAGE_FAILED_DETAIL);
  }
}

/** A write that would take a user's stored bytes past their quota; refused before it is applied. */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
  constructor(
    readonly usedBytes: number,
    readonly limitBytes: number,
  ) {
    super(quotaDetail(usedBytes, limitBytes));
  }
}

export const STORAGE_FULL_DETAIL = "The server's storage is full; nothing was saved";
export const STORAGE_FAILED_DETAIL = 'The change could not be stored on the server; nothing was saved';
export const STORAGE_UNAVAILABLE_DETAIL = "The server's database is unavailable; nothing was saved, try again shortly";

export function quotaDetail(usedBytes: number, limitBytes: number): string {
  return `Your library is over its storage quota (${megabytes(usedBytes)} of ${megabytes(limitBytes)} MB): nothing was saved; delete workflows to free space`;
}

export function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/**
 * SQLite result codes that mean the storage, not the request, failed (better-sqlite3 puts the
 * extended code on SqliteError.code, e.g. SQLITE_IOERR_WRITE). ENOSPC/EDQUOT are Node's own for
 * file writes.
 */
const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const FAILED_PREFIXES = ['SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_NOMEM', 'EIO'];

/**
 * PostgreSQL SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html) that
 * mean the database, not the request, failed. Classes: 08 connection exception, 53 insufficient
 * resources, 57 operator intervention, 58 system error, XX internal error. 57014 (query_canceled:
 * the statement timeout) is a failure of this write, not of the database, so it is 'failed'.
 */
const PG_FULL_CODES = new Set(['53100' /* disk_full */]);
const PG_UNAVAILABLE_CODES = new Set([
  '57P01' /* admin_shutdown */,
  '57P02' /* crash_shutdown */,
  '57P03' /* cannot_connect_now (starting up, shutting down, recovering) */,
  '57P05' /* idle_session_timeout */,
  '53300' /* too_many_connections */,
  '25006' /* read_only_sql_transaction: a standby or a server in recovery */,
]);
const PG_FAILED_CLASSES = ['53', '57', '58', 'XX'];
/** SQLSTATE: five characters, digits and upper-case letters (Node's own codes start with 'E'). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Failures of the connection to a database server rather than of a statement: Node's socket errors,
 * and pg's own errors without a code (it throws plain Errors for a connection that ended, timed out
 * or was closed). Only the PostgreSQL store maps these (postgresStorageErrorOf): elsewhere a refused
 * connection is no storage failure.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Query read timeout/,
  /^Cannot use a pool after calling end on the pool/,
];

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/**
 * The StorageError a store failure stands for, or null if `error` is not a storage failure (a bug,
 * a refused request). `logged` marks it as already logged by the caller.
 */
export function storageErrorOf(error: unknown, logged = false): StorageError | null {
  if (error instanceof StorageError) return error;
  const code = codeOf(error);
  if (code === null) return null;
  if (FULL_CODES.has(code)) return new StorageError('full', describeStoreError(error), logged);
  if (FAILED_PREFIXES.some((prefix) => code.startsWith(prefix))) return new StorageError('failed', describeStoreError(error), logged);
  if (SQLSTATE.test(code)) {
    if (PG_FULL_CODES.has(code)) return new StorageError('full', describeStoreError(error), logged);
    if (PG_UNAVAILABLE_CODES.has(code) || code.startsWith('08')) {
      return new StorageError('unavailable', `database unavailable: ${describeStoreError(error)}`, logged);
    }
    if (PG_FAILED_CLASSES.some((prefix) => code.startsWith(prefix))) return new StorageError('failed', describeStoreError(error), logged);
  }
  return null;
}

/**
 * storageErrorOf for what a PostgreSQL call threw: also a lost, refused or timed-out connection to
 * the database server is a storage failure ('unavailable'), with or without a code.
 */
export function postgresStorageErrorOf(error: unknown, logged = false): StorageError | null {
  const mapped = storageErrorOf(error, logged);
  if (mapped !== null) return mapped;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : '';
  if ((code !== null && CONNECTION_CODES.has(code)) || PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) {
    return new StorageError('unavailable', `database unavailable: ${describeStoreError(error)}`, logged);
  }
  // AggregateError: pg connecting to a host name that resolves to several addresses, all refused.
  if (error instanceof AggregateError && error.errors.some((inner) => postgresStorageErrorOf(inner) !== null)) {
    return new StorageError('unavailable', `database unavailable: ${describeStoreError(error.errors[0])}`, logged);
  }
  return null;
}

/** One line for the log: the code and the store's message, never a stack. */
export function describeStoreError(error: unknown): string {
  if (error instanceof StorageError) return error.storeMessage;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0] ?? '';
  return code !== null && !line.includes(code) ? `${code}: ${line}` : line;
}
