// Which failures count as "the server could not store it" (REST 507, socket 1013 'storage full'),
// and that what is logged is one line without a stack.
import { describe, expect, it } from 'vitest';
import { describeStoreError, QuotaExceededError, StorageError, storageErrorOf, STORAGE_FAILED_DETAIL, STORAGE_FULL_DETAIL } from '../../server/storage/storage-errors.js';

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('storageErrorOf', () => {
  it('a full disk (SQLite or the file system) is "full"', () => {
    for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT']) {
      const error = storageErrorOf(coded(code, 'database or disk is full'));
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ kind: 'full', message: STORAGE_FULL_DETAIL });
    }
  });

  it('I/O and similar storage errors are "failed"; request or programming errors are not storage errors', () => {
    expect(storageErrorOf(coded('SQLITE_IOERR_WRITE', 'disk I/O error'))).toMatchObject({ kind: 'failed', message: STORAGE_FAILED_DETAIL });
    expect(storageErrorOf(coded('SQLITE_READONLY', 'attempt to write a readonly database'))?.kind).toBe('failed');
    expect(storageErrorOf(coded('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'))).toBeNull();
    expect(storageErrorOf(new TypeError('x is undefined'))).toBeNull();
    expect(storageErrorOf(new QuotaExceededError(2, 1))).toBeNull();
  });

  it('describes a store error in one line with its code, never a stack', () => {
    const error = coded('SQLITE_FULL', 'database or disk is full');
    expect(describeStoreError(error)).toBe('SQLITE_FULL: database or disk is full');
    expect(storageErrorOf(error)?.storeMessage).toBe('SQLITE_FULL: database or disk is full');
    expect(describeStoreError(new Error('line one\n    at somewhere (file.ts:1:1)'))).toBe('line one');
  });
});
