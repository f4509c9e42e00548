// Statements a SQLite store builds per call (list queries, user lookups on every rights recheck) are
// compiled once and reused (server/db/statements.ts); the cache is bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db/database.js';
import { StatementCache } from '../../server/db/statements.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';
import { SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real database whose prepare() counts what SQLite is asked to compile. */
function countingDatabase(): { db: Database; compiled: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-statements-'));
  const db = openDatabase(join(dir, 'flowshelf.db'));
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let count = 0;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    count++;
    return prepare(sql);
  }) as Database['prepare'];
  return { db, compiled: () => count };
}

describe('statements built per call', () => {
  it('a list query, its count and a user lookup are compiled on their first call only', async () => {
    const { db, compiled } = countingDatabase();
    const index = new SqliteIndexStore(db);
    const users = new SqliteUserRepository(db);
    const viewer = { userId: 'u1', isAdmin: false, multiuser: true };
    const round = async () => {
      await index.list(viewer, { categories: ['user'], tags: ['upscaling'], page: 0, perPage: 30, orderBy: 'name', direction: 'ASC' });
      await index.countsByCategory(viewer, ['user', 'default'], {});
      await users.getMany(['u1', 'u2']);
      await users.getByEmail('someone@example.com');
    };
    await round();
    const afterFirst = compiled();
    await round();
    await round();
    expect(compiled()).toBe(afterFirst);
  });

  it('keeps at most its bound, dropping the least recently used', () => {
    const { db, compiled } = countingDatabase();
    const cache = new StatementCache(db, 2);
    cache.prepare('SELECT 1');
    cache.prepare('SELECT 2');
    cache.prepare('SELECT 1');
    cache.prepare('SELECT 3');
    const before = compiled();
    cache.prepare('SELECT 1');
    cache.prepare('SELECT 3');
    expect(compiled()).toBe(before);
    cache.prepare('SELECT 2');
    expect(compiled()).toBe(before + 1);
  });
});
