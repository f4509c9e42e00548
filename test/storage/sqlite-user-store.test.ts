// The user and settings ports on SQLite, on a real file; the other node is a second connection to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../server/db/database.js';
import { SqliteSettingsStore, SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';
import { userStoreSuite } from './user-store-suite.js';

userStoreSuite('SQLite on a real file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-users-'));
  const file = join(dir, 'flowshelf.sqlite');
  const opened: Database[] = [openDatabase(file)];
  const node = (db: Database) => ({ users: new SqliteUserRepository(db), settings: new SqliteSettingsStore(db) });
  return {
    ...node(opened[0]!),
    async otherNode() {
      const db = openDatabase(file);
      opened.push(db);
      return node(db);
    },
    async dispose() {
      for (const db of opened) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
