// The workflow index the REST lists are answered from, with what SQLite reaches after migrations/0003
// and 0004: workflow_index (with unpublished_reason), workflow_opened, workflow_index_state,
// workflow_owners and thumbnails keyed by their owner. Meanings are those of the SQLite migrations
// (read them for the why of each column); only the types differ: boolean for SQLite's 0/1 columns,
// bigint for sequence numbers, bytea for images. Text the lists order by is COLLATE "C" (byte order,
// SQLite's BINARY); SQLite's `name COLLATE NOCASE` order is lower(name) here ("C" folds ASCII only).
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresColumns, requirePostgresIndexes } from '../../server/storage/postgres/migrator.js';

const INDEXES = [
  'idx_workflow_index_user',
  'idx_workflow_index_category',
  'idx_workflow_index_name',
  'idx_workflow_index_created',
  'idx_workflow_index_updated',
  'idx_workflow_index_public',
  'idx_workflow_index_cat_name',
  'idx_workflow_index_cat_created',
  'idx_workflow_index_cat_updated',
  'idx_workflow_opened_workflow',
  'idx_workflow_owners_user',
];

export const workflowIndex: PostgresMigration = {
  version: 3,
  name: 'workflow-index',
  async up(tx) {
    await tx.query(`
      CREATE TABLE workflow_index (
        workflow_id        text COLLATE "C" NOT NULL,
        user_id            text COLLATE "C" NOT NULL,
        category           text COLLATE "C" NOT NULL CHECK (category IN ('user', 'default')),
        name               text COLLATE "C" NOT NULL,
        description        text COLLATE "C" NOT NULL,
        tags               text COLLATE "C" NOT NULL,
        is_public          boolean NOT NULL,
        created_at         text COLLATE "C" NOT NULL,
        updated_at         text COLLATE "C" NOT NULL,
        opened_at          text COLLATE "C",
        valid              boolean NOT NULL,
        invalid_reason     text,
        workflow           text,
        -- Store sequence number of the library document this row reflects (0 for defaults). Several
        -- nodes index: an upsert never replaces a row with a higher doc_seq.
        doc_seq            bigint NOT NULL,
        unpublished_reason text,
        PRIMARY KEY (workflow_id, user_id, category),
        CHECK ((valid AND workflow IS NOT NULL AND invalid_reason IS NULL)
            OR (NOT valid AND workflow IS NULL AND invalid_reason IS NOT NULL))
      );
      CREATE INDEX idx_workflow_index_user ON workflow_index (user_id, category);
      CREATE INDEX idx_workflow_index_category ON workflow_index (category, is_public);
      CREATE INDEX idx_workflow_index_name ON workflow_index (lower(name), workflow_id, user_id);
      CREATE INDEX idx_workflow_index_created ON workflow_index (created_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_updated ON workflow_index (updated_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_public ON workflow_index (is_public, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_name ON workflow_index (category, lower(name), workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_created ON workflow_index (category, created_at, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_updated ON workflow_index (category, updated_at, workflow_id, user_id);

      CREATE TABLE workflow_opened (
        user_id     text COLLATE "C" NOT NULL,
        workflow_id text COLLATE "C" NOT NULL,
        opened_at   text COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, workflow_id)
      );
      CREATE INDEX idx_workflow_opened_workflow ON workflow_opened (workflow_id);

      CREATE TABLE workflow_index_state (
        document text COLLATE "C" NOT NULL PRIMARY KEY,
        seq      bigint NOT NULL
      );

      CREATE TABLE workflow_owners (
        workflow_id text COLLATE "C" NOT NULL PRIMARY KEY,
        user_id     text COLLATE "C" NOT NULL,
        category    text COLLATE "C" NOT NULL CHECK (category IN ('user', 'default')),
        claimed_at  text COLLATE "C" NOT NULL
      );
      CREATE INDEX idx_workflow_owners_user ON workflow_owners (user_id);

      CREATE TABLE workflow_thumbnails (
        workflow_id text COLLATE "C" NOT NULL,
        user_id     text COLLATE "C" NOT NULL,
        image       bytea NOT NULL,
        version     text NOT NULL,
        PRIMARY KEY (workflow_id, user_id)
      );
    `);
  },
  async verify(tx) {
    await requirePostgresColumns(tx, 'workflow_index', [
      'workflow_id', 'user_id', 'category', 'name', 'description', 'tags', 'is_public', 'created_at',
      'updated_at', 'opened_at', 'valid', 'invalid_reason', 'workflow', 'doc_seq', 'unpublished_reason',
    ]);
    await requirePostgresColumns(tx, 'workflow_opened', ['user_id', 'workflow_id', 'opened_at']);
    await requirePostgresColumns(tx, 'workflow_index_state', ['document', 'seq']);
    await requirePostgresColumns(tx, 'workflow_owners', ['workflow_id', 'user_id', 'category', 'claimed_at']);
    await requirePostgresColumns(tx, 'workflow_thumbnails', ['workflow_id', 'user_id', 'image', 'version']);
    await requirePostgresIndexes(tx, INDEXES);
  },
};
