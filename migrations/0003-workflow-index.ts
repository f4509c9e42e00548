// The SQLite index the workflow REST lists are answered from. The library documents (doc_updates /
// doc_snapshots) are the source of truth; every row here is derived from them (or from the default
// workflow files) by server/library/indexer.ts and can be rebuilt at any time.
import type { Database } from 'better-sqlite3';
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const workflowIndexMigration: Migration = {
  version: 3,
  name: 'workflow-index',
  up(db: Database) {
    db.exec(`
      -- One row per workflow of every library, plus one per default workflow (category 'default',
      -- user_id 'system'). Keyed by (workflow_id, user_id, category): ids are uuids, but a client may
      -- copy an id into a second library (or, single-user, a default's id into library/system), and
      -- no library may overwrite another's row or a default's.
      CREATE TABLE workflow_index (
        workflow_id    TEXT NOT NULL,
        user_id        TEXT NOT NULL,
        category       TEXT NOT NULL CHECK (category IN ('user', 'default')),
        name           TEXT NOT NULL,
        description    TEXT NOT NULL,
        -- Normalized: split on ',', trimmed, empties dropped, 'shared' present iff is_public, joined ', '.
        tags           TEXT NOT NULL,
        is_public      INTEGER NOT NULL CHECK (is_public IN (0, 1)),
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        -- The owner's opened_at as written in the library entry; per-caller values live in workflow_opened.
        opened_at      TEXT,
        valid          INTEGER NOT NULL CHECK (valid IN (0, 1)),
        invalid_reason TEXT,
        -- The workflow JSON as served (shared tag rule applied); NULL when not valid.
        workflow       TEXT,
        -- Store sequence number of the library document this row reflects (0 for defaults).
        doc_seq        INTEGER NOT NULL,
        PRIMARY KEY (workflow_id, user_id, category),
        CHECK ((valid = 1 AND workflow IS NOT NULL AND invalid_reason IS NULL)
            OR (valid = 0 AND workflow IS NULL AND invalid_reason IS NOT NULL))
      );
      -- (A rowid table, not WITHOUT ROWID: rows carry whole workflow JSON, tens of KB each.)
      -- Visibility filters: own rows, public rows, categories.
      CREATE INDEX idx_workflow_index_user ON workflow_index (user_id, category);
      CREATE INDEX idx_workflow_index_category ON workflow_index (category, is_public);
      -- Orders, each with the deterministic tie-breakers (workflow_id, user_id) of the list query, so a
      -- page can be read in index order instead of sorting every visible row.
      CREATE INDEX idx_workflow_index_name ON workflow_index (name COLLATE NOCASE, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_created ON workflow_index (created_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_updated ON workflow_index (updated_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_public ON workflow_index (is_public, workflow_id, user_id);
      -- The same orders within one category (every library view filters on it).
      CREATE INDEX idx_workflow_index_cat_name ON workflow_index (category, name COLLATE NOCASE, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_created ON workflow_index (category, created_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_updated ON workflow_index (category, updated_at, workflow_id, user_id);

      -- "Opened" is per user (InvokeAI keeps one opened_at per workflow, so Recently Opened is global).
      -- No foreign key to users: rows of a deleted user are removed by the publisher with the rest.
      CREATE TABLE workflow_opened (
        user_id     TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        opened_at   TEXT NOT NULL,
        PRIMARY KEY (user_id, workflow_id)
      ) WITHOUT ROWID;
      CREATE INDEX idx_workflow_opened_workflow ON workflow_opened (workflow_id);

      -- Highest store seq of each library document that the index reflects; at start every document
      -- whose store seq is higher is reindexed, so a crash between commit and index cannot leave it stale.
      CREATE TABLE workflow_index_state (
        document TEXT NOT NULL PRIMARY KEY,
        seq      INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- Thumbnails as 256px webp inside the database, so all state stays in one file.
      CREATE TABLE workflow_thumbnails (
        workflow_id TEXT NOT NULL PRIMARY KEY,
        image       BLOB NOT NULL,
        -- Cache-buster for thumbnail_url; changes on every upload.
        version     TEXT NOT NULL
      );
    `);
  },
  verify(db: Database) {
    requireColumns(db, 'workflow_index', [
      'workflow_id', 'user_id', 'category', 'name', 'description', 'tags', 'is_public', 'created_at',
      'updated_at', 'opened_at', 'valid', 'invalid_reason', 'workflow', 'doc_seq',
    ]);
    requireColumns(db, 'workflow_opened', ['user_id', 'workflow_id', 'opened_at']);
    requireColumns(db, 'workflow_index_state', ['document', 'seq']);
    requireColumns(db, 'workflow_thumbnails', ['workflow_id', 'image', 'version']);
  },
};
