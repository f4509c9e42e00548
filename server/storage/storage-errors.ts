// What a write that could not be stored looks like to the rest of the server, so that every write
// path (sync, REST, server-side document writes, direct table writes) refuses it the same way: a
// REST 507 with a reason, a socket closed with a named code, and one log line.

/** A commit the store refused: nothing of the write is stored, forwarded or acknowledged. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    /** 'full': the disk (or SQLite's page limit) has no room; 'failed': any other commit failure. */
    readonly kind: 'full' | 'failed',
    /** The store's own words, for the log (no data, no secrets: SQLite codes and messages only). */
    readonly storeMessage: string,
    /** Already logged where it happened, so the HTTP layer does not log it again. */
    readonly logged = false,
  ) {
    super(kind === 'full' ? STORAGE_FULL_DETAIL : STORAGE_FAILED_DETAIL);
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
