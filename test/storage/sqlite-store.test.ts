import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Database } from '../../server/db/database.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { documentStoreSuite } from './document-store-suite.js';

documentStoreSuite('SqliteStore on a real file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-store-'));
  const file = join(dir, 'flowshelf.sqlite');
  let db: Database = openDatabase(file);
  let store = new SqliteStore(db);
  return {
    store,
    async reopen() {
      await store.close();
      db.close();
      db = openDatabase(file);
      store = new SqliteStore(db);
      return store;
    },
    async dispose() {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, { appendSync: true });

describe('SqliteStore', () => {
  it('commits a batch atomically: a failing entry leaves none of the batch stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-store-'));
    const db = openDatabase(join(dir, 'flowshelf.sqlite'));
    try {
      const store = new SqliteStore(db);
      const doc = new Y.Doc();
      doc.getMap('m').set('k', 'v');
      // A trigger makes the second insert fail, as a full disk or I/O error would.
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON doc_updates WHEN NEW.doc = 'library/bad'
               BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      await expect(
        store.append([
          { name: 'library/good', update: Y.encodeStateAsUpdate(doc) },
          { name: 'library/bad', update: Y.encodeStateAsUpdate(doc) },
        ]),
      ).rejects.toThrow('refused');
      expect((await store.load('library/good')).updates).toHaveLength(0);
      // The same through the synchronous path, and for a one-update batch (a single statement).
      expect(() =>
        store.appendSync([
          { name: 'library/good', update: Y.encodeStateAsUpdate(doc) },
          { name: 'library/bad', update: Y.encodeStateAsUpdate(doc) },
        ]),
      ).toThrow('refused');
      expect(() => store.appendSync([{ name: 'library/bad', update: Y.encodeStateAsUpdate(doc) }])).toThrow('refused');
      expect((await store.load('library/good')).updates).toHaveLength(0);
      expect((await store.load('library/bad')).updates).toHaveLength(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Makes every commit that stored a doc_updates (or doc_snapshots) row fail AT COMMIT TIME, the way a
 * full disk fails when the WAL is written: a deferred foreign key is only checked when the transaction
 * commits, so the statement itself succeeds and only the commit reports the error. (A trigger that
 * raises, or SQLite's max_page_count, fail inside the statement and cannot show this.)
 */
function failCommitsOf(db: Database, table: 'doc_updates' | 'doc_snapshots'): () => void {
  db.exec(`CREATE TABLE IF NOT EXISTS commit_guard_parent (id INTEGER PRIMARY KEY);
           CREATE TABLE IF NOT EXISTS commit_guard (parent INTEGER REFERENCES commit_guard_parent (id) DEFERRABLE INITIALLY DEFERRED);
           CREATE TRIGGER fail_commit_${table} AFTER INSERT ON ${table} BEGIN INSERT INTO commit_guard VALUES (1); END;`);
  return () => db.exec(`DROP TRIGGER fail_commit_${table}`);
}

describe('SqliteStore: a commit that fails after its statement succeeded (TOOLCHAIN gotcha 7)', () => {
  it('(why .all()) better-sqlite3 .get() on INSERT … RETURNING hides the failed commit; .all(), .run() and transactions throw', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-store-'));
    const db = openDatabase(join(dir, 'flowshelf.sqlite'));
    try {
      db.exec('CREATE TABLE probe (n INTEGER)');
      db.exec(`CREATE TABLE commit_guard_parent (id INTEGER PRIMARY KEY);
               CREATE TABLE commit_guard (parent INTEGER REFERENCES commit_guard_parent (id) DEFERRABLE INITIALLY DEFERRED);
               CREATE TRIGGER fail_commit_probe AFTER INSERT ON probe BEGIN INSERT INTO commit_guard VALUES (1); END;`);
      const returning = db.prepare('INSERT INTO probe (n) VALUES (1) RETURNING n');
      // .get() answers with the row although its commit failed and nothing was stored.
      expect(returning.get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT count(*) AS c FROM probe').get()).toEqual({ c: 0 });
      expect(() => returning.all()).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare('INSERT INTO probe (n) VALUES (1)').run()).toThrow(/FOREIGN KEY/);
      expect(() => db.transaction(() => db.prepare('INSERT INTO probe (n) VALUES (1) RETURNING n').get())()).toThrow(/FOREIGN KEY/);
      expect(db.prepare('SELECT count(*) AS c FROM probe').get()).toEqual({ c: 0 });
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function open(): { db: Database; store: SqliteStore; dispose(): void } {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-store-'));
    const db = openDatabase(join(dir, 'flowshelf.sqlite'));
    return { db, store: new SqliteStore(db), dispose: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  function update(key: string): Uint8Array {
    const doc = new Y.Doc();
    doc.getMap('m').set(key, key);
    return Y.encodeStateAsUpdate(doc);
  }

  it('a one-update append throws and stores nothing, and the next append after recovery gets the next seq', async () => {
    const { db, store, dispose } = open();
    try {
      expect(store.appendSync([{ name: 'library/a', update: update('first') }]).get('library/a')).toBe(1);
      const heal = failCommitsOf(db, 'doc_updates');
      expect(() => store.appendSync([{ name: 'library/a', update: update('refused') }])).toThrow(/FOREIGN KEY/);
      await expect(store.append([{ name: 'library/a', update: update('refused too') }])).rejects.toThrow(/FOREIGN KEY/);
      expect(db.inTransaction).toBe(false);
      expect((await store.load('library/a')).updates).toHaveLength(1);
      heal();
      expect(store.appendSync([{ name: 'library/a', update: update('after') }]).get('library/a')).toBe(2);
    } finally {
      dispose();
    }
  });

  it('a batch append throws and stores none of the batch', async () => {
    const { db, store, dispose } = open();
    try {
      failCommitsOf(db, 'doc_updates');
      expect(() => store.appendSync([{ name: 'library/a', update: update('x') }, { name: 'library/b', update: update('y') }])).toThrow(/FOREIGN KEY/);
      expect(db.inTransaction).toBe(false);
      expect((await store.load('library/a')).updates).toHaveLength(0);
      expect((await store.load('library/b')).updates).toHaveLength(0);
    } finally {
      dispose();
    }
  });

  it('a compaction whose commit fails rejects and leaves the log and snapshot as they were', async () => {
    const { db, store, dispose } = open();
    try {
      store.appendSync([{ name: 'library/a', update: update('one') }]);
      store.appendSync([{ name: 'library/a', update: update('two') }]);
      const before = await store.load('library/a');
      failCommitsOf(db, 'doc_snapshots');
      await expect(store.compact('library/a', update('folded'), 2)).rejects.toThrow(/FOREIGN KEY/);
      expect(db.inTransaction).toBe(false);
      expect(await store.load('library/a')).toEqual(before);
    } finally {
      dispose();
    }
  });
});
