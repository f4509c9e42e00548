// The VersionStore acceptance suite on SQLite (a real file, every migration).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/database.js';
import { SqliteVersionStore } from '../../server/storage/sqlite/version-store.js';
import { versionStoreSuite } from './version-store-suite.js';

versionStoreSuite('SqliteVersionStore on a real file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-versions-'));
  const db = openDatabase(join(dir, 'flowshelf.db'));
  return {
    versions: new SqliteVersionStore(db),
    async dispose() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
