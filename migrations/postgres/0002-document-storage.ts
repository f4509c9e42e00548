// Yjs document persistence (server/storage/postgres/document-store.ts reads and writes these): the
// append-only update log and the compacted snapshot per document, as SQLite's migrations/0002, plus
// doc_heads, the last sequence number given out per document. Several nodes append to one document:
// each append raises its document's head in its own transaction (the row lock serializes appenders of
// one document until they commit), so sequence numbers are gapless and never given twice, and they
// commit in sequence order. A head outlives a deleted document, so numbers never go back.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresColumns } from '../../server/storage/postgres/migrator.js';

export const documentStorage: PostgresMigration = {
  version: 2,
  name: 'document-storage',
  async up(tx) {
    await tx.query(`
      CREATE TABLE doc_updates (
        doc text COLLATE "C" NOT NULL,
        seq bigint NOT NULL CHECK (seq > 0),
        data bytea NOT NULL,
        PRIMARY KEY (doc, seq)
      );
      CREATE TABLE doc_snapshots (
        doc text COLLATE "C" NOT NULL PRIMARY KEY,
        data bytea NOT NULL,
        -- Highest sequence number folded into data.
        seq bigint NOT NULL CHECK (seq >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE doc_heads (
        doc text COLLATE "C" NOT NULL PRIMARY KEY,
        last_seq bigint NOT NULL CHECK (last_seq >= 0)
      );
    `);
  },
  async verify(tx) {
    await requirePostgresColumns(tx, 'doc_updates', ['doc', 'seq', 'data']);
    await requirePostgresColumns(tx, 'doc_snapshots', ['doc', 'data', 'seq', 'updated_at']);
    await requirePostgresColumns(tx, 'doc_heads', ['doc', 'last_seq']);
  },
};
