// The WorkflowIndexStore and ThumbnailStore acceptance suites on SQLite (a real file, every migration).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/database.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';
import { SqliteThumbnailStore } from '../../server/storage/sqlite/thumbnail-store.js';
import { indexStoreSuite } from './index-store-suite.js';
import { thumbnailStoreSuite } from './thumbnail-store-suite.js';

async function sqliteFixture() {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-index-'));
  const db = openDatabase(join(dir, 'flowshelf.db'));
  return {
    index: new SqliteIndexStore(db),
    thumbnails: new SqliteThumbnailStore(db),
    async dispose() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

indexStoreSuite('SqliteIndexStore on a real file', sqliteFixture);
thumbnailStoreSuite('SqliteThumbnailStore on a real file', sqliteFixture);
