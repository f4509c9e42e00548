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
