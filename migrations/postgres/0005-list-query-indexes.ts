// Indexes the REST lists can be answered from (issue 10 item 3), PostgreSQL's counterpart of SQLite's
// migrations/0006 (read it for the why of each):
// - per-library order indexes (user_id, category, order, workflow_id): a regular user's "Your Workflows"
//   reads their own rows in order, and their tag filters and counts read the tags from the index;
// - the order indexes within a category carry the visibility columns (INCLUDE), so the visibility rules
//   are checked in the index and an index-only scan can count;
// - the Shared view (category 'user', is_public, by lower(name)) and Recently Opened (the viewer's opens
//   by opened_at) get an index each;
// - the workflow JSON is moved out of the table's rows (toast_tuple_target at its minimum): a row kept
//   the compressed JSON inline when it fitted in 2 KB, so every scan that has to read rows (a substring
//   search or tag filter over everybody's rows, which no B-tree can seek) read the JSON as well. The
//   rows written before are rewritten once here.
// Statistics: PostgreSQL's autovacuum analyzes a table once enough of it changed
// (autovacuum_analyze_scale_factor), so nothing here keeps them current; ANALYZE runs once at the end.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresIndexes } from '../../server/storage/postgres/migrator.js';

/** Every index the list queries rely on (test/storage/query-plans.test.ts checks they are used). */
export const POSTGRES_LIST_INDEXES = [
  'idx_workflow_index_name',
  'idx_workflow_index_created',
  'idx_workflow_index_updated',
  'idx_workflow_index_public',
  'idx_workflow_index_cat_name',
  'idx_workflow_index_cat_created',
  'idx_workflow_index_cat_updated',
  'idx_workflow_index_cat_public_name',
  'idx_workflow_index_own_name',
  'idx_workflow_index_own_created',
  'idx_workflow_index_own_updated',
  'idx_workflow_opened_recent',
] as const;

export const listQueryIndexes: PostgresMigration = {
  version: 5,
  name: 'list-query-indexes',
  async up(tx) {
    await tx.query(`
      DROP INDEX idx_workflow_index_user;
      DROP INDEX idx_workflow_index_category;
      DROP INDEX idx_workflow_index_cat_name;
      DROP INDEX idx_workflow_index_cat_created;
      DROP INDEX idx_workflow_index_cat_updated;
      CREATE INDEX idx_workflow_index_cat_name ON workflow_index (category, lower(name), workflow_id, user_id)
        INCLUDE (valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_created ON workflow_index (category, created_at, workflow_id, user_id)
        INCLUDE (valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_updated ON workflow_index (category, updated_at, workflow_id, user_id)
        INCLUDE (valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_public_name ON workflow_index (category, is_public, lower(name), workflow_id, user_id)
        INCLUDE (valid, unpublished_reason);
      CREATE INDEX idx_workflow_index_own_name ON workflow_index (user_id, category, lower(name), workflow_id) INCLUDE (tags);
      CREATE INDEX idx_workflow_index_own_created ON workflow_index (user_id, category, created_at, workflow_id) INCLUDE (tags);
      CREATE INDEX idx_workflow_index_own_updated ON workflow_index (user_id, category, updated_at, workflow_id) INCLUDE (tags);
      CREATE INDEX idx_workflow_opened_recent ON workflow_opened (user_id, opened_at, workflow_id);

      ALTER TABLE workflow_index SET (toast_tuple_target = 128);
      UPDATE workflow_index SET workflow = workflow WHERE workflow IS NOT NULL;
      ANALYZE workflow_index;
      ANALYZE workflow_opened;
    `);
  },
  async verify(tx) {
    await requirePostgresIndexes(tx, POSTGRES_LIST_INDEXES);
    const { rows } = await tx.query<{ options: string[] | null }>(
      "SELECT reloptions AS options FROM pg_class WHERE oid = 'workflow_index'::regclass",
    );
    if (!(rows[0]?.options ?? []).includes('toast_tuple_target=128')) throw new Error('workflow_index: toast_tuple_target is not set');
  },
};
