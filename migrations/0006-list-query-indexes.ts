// Indexes the REST lists can be answered from without reading the workflow JSON (issue 10 item 3).
//
// - workflow_index is rebuilt with the workflow JSON as its LAST column. SQLite stores a row's columns
//   in order and spills what does not fit on the page into a chain of overflow pages: unpublished_reason
//   (added by 0004 with ALTER TABLE, so after the JSON) could only be read by walking the whole chain of
//   a 10-50 KB workflow, and every list a regular user sees filters on it.
// - The order indexes of 0003 within a category carry, after the order key and its tie-breakers, the
//   columns of the visibility rules (valid, is_public, unpublished_reason): a page, its OFFSET and the
//   count are decided inside the index, and only the rows of the page are read from the table. One more
//   index holds what tag filters, searches, counts by tag and the tag list read of every visible row.
// - Per-library order indexes (user_id, category, order, workflow_id): a regular user's "Your Workflows"
//   reads their own rows in order instead of filtering everybody's (their tag filters too).
// - The Shared view (category 'user', is_public, by name) and Recently Opened (the viewer's opens by
//   opened_at) get an index each.
// - ANALYZE fills sqlite_stat1, so the planner knows a category holds thousands of rows and a user a
//   hundred; the server keeps it current with PRAGMA optimize (server/db/database.ts, the index store).
import type { Database } from 'better-sqlite3';
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

const COLUMNS = `workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at, opened_at,
  valid, invalid_reason, doc_seq, unpublished_reason, workflow`;

/** Every index the list queries rely on (test/storage/query-plans.test.ts checks they are used). */
export const LIST_INDEXES = [
  'idx_workflow_index_name',
  'idx_workflow_index_created',
  'idx_workflow_index_updated',
  'idx_workflow_index_public',
  'idx_workflow_index_cat_name',
  'idx_workflow_index_cat_created',
  'idx_workflow_index_cat_updated',
  'idx_workflow_index_cat_public_name',
  'idx_workflow_index_filter',
  'idx_workflow_index_own_name',
  'idx_workflow_index_own_created',
  'idx_workflow_index_own_updated',
  'idx_workflow_opened_recent',
] as const;

export const listQueryIndexesMigration: Migration = {
  version: 6,
  name: 'list-query-indexes',
  up(db: Database) {
    db.exec(`
      CREATE TABLE workflow_index_rebuilt (
        workflow_id        TEXT NOT NULL,
        user_id            TEXT NOT NULL,
        category           TEXT NOT NULL CHECK (category IN ('user', 'default')),
        name               TEXT NOT NULL,
        description        TEXT NOT NULL,
        tags               TEXT NOT NULL,
        is_public          INTEGER NOT NULL CHECK (is_public IN (0, 1)),
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        opened_at          TEXT,
        valid              INTEGER NOT NULL CHECK (valid IN (0, 1)),
        invalid_reason     TEXT,
        doc_seq            INTEGER NOT NULL,
        unpublished_reason TEXT,
        -- Last: the only large column (see the header).
        workflow           TEXT,
        PRIMARY KEY (workflow_id, user_id, category),
        CHECK ((valid = 1 AND workflow IS NOT NULL AND invalid_reason IS NULL)
            OR (valid = 0 AND workflow IS NULL AND invalid_reason IS NOT NULL))
      );
      INSERT INTO workflow_index_rebuilt (${COLUMNS}) SELECT ${COLUMNS} FROM workflow_index;
      DROP TABLE workflow_index;
      ALTER TABLE workflow_index_rebuilt RENAME TO workflow_index;

      -- Without a category (every category listed): order only.
      CREATE INDEX idx_workflow_index_name ON workflow_index (name COLLATE NOCASE, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_created ON workflow_index (created_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_updated ON workflow_index (updated_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_public ON workflow_index (is_public, workflow_id, user_id);
      -- Within a category, with the visibility columns after the order.
      CREATE INDEX idx_workflow_index_cat_name
        ON workflow_index (category, name COLLATE NOCASE, workflow_id, user_id, valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_created
        ON workflow_index (category, created_at, workflow_id, user_id, valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_updated
        ON workflow_index (category, updated_at, workflow_id, user_id, valid, is_public, unpublished_reason);
      -- Shared Workflows (InvokeAI's frontend always lists it by name) and counts by is_public.
      CREATE INDEX idx_workflow_index_cat_public_name
        ON workflow_index (category, is_public, name COLLATE NOCASE, workflow_id, user_id, valid, unpublished_reason);
      -- Tag filters, searches (a substring of name, description or tags), counts by tag and the tag list:
      -- no B-tree can seek a substring, so these read every visible row, and this index holds all they
      -- read (filters, order keys, visibility) in a few hundred bytes a row instead of the row. The store
      -- names it with INDEXED BY: SQLite sizes rows by their declared columns, not by the workflow JSON
      -- stored in them, and would rather read the table (10-40 times slower over 10,000 rows here).
      CREATE INDEX idx_workflow_index_filter ON workflow_index
        (category, tags, name, description, created_at, updated_at, workflow_id, user_id, valid, is_public, unpublished_reason);
      -- One library, in order, with its tags (also idsOf(), the owner's counts and tag filters).
      CREATE INDEX idx_workflow_index_own_name ON workflow_index (user_id, category, name COLLATE NOCASE, workflow_id, tags);
      CREATE INDEX idx_workflow_index_own_created ON workflow_index (user_id, category, created_at, workflow_id, tags);
      CREATE INDEX idx_workflow_index_own_updated ON workflow_index (user_id, category, updated_at, workflow_id, tags);

      -- Recently Opened: one viewer's opens, newest first (the key (user_id, workflow_id) rides along).
      CREATE INDEX idx_workflow_opened_recent ON workflow_opened (user_id, opened_at);

      ANALYZE;
    `);
  },
  verify(db: Database) {
    requireColumns(db, 'workflow_index', [
      'workflow_id', 'user_id', 'category', 'name', 'description', 'tags', 'is_public', 'created_at',
      'updated_at', 'opened_at', 'valid', 'invalid_reason', 'doc_seq', 'unpublished_reason', 'workflow',
    ]);
    const columns = db.prepare('SELECT name FROM pragma_table_xinfo(?) ORDER BY cid').all('workflow_index') as { name: string }[];
    if (columns.at(-1)?.name !== 'workflow') throw new Error('workflow_index: the workflow JSON is not the last column');
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name),
    );
    const missing = LIST_INDEXES.filter((name) => !present.has(name));
    if (missing.length > 0) throw new Error(`index(es) ${missing.join(', ')} missing`);
  },
};
