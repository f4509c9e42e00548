// Yjs document persistence: the append-only update log and the compacted snapshot per document
// (server/storage reads and writes these; the layout is fixed by that code).
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const documentStorage: Migration = {
  version: 2,
  name: 'document-storage',
  up(db) {
    db.exec(`
      CREATE TABLE doc_updates (doc TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
      CREATE TABLE doc_snapshots (doc TEXT NOT NULL PRIMARY KEY, data BLOB NOT NULL, seq INTEGER NOT NULL, updated_at TEXT NOT NULL);
    `);
  },
  verify(db) {
    requireColumns(db, 'doc_updates', ['doc', 'seq', 'data']);
    requireColumns(db, 'doc_snapshots', ['doc', 'data', 'seq', 'updated_at']);
  },
};
