// Version history and trash (issue 12), as SQLite's migrations/0007 (read it for the why of each
// column): workflow_versions keyed by (owner, workflow, key) so creation is idempotent across nodes,
// `seq` (an identity) for the order of versions created in the same millisecond; workflow_trash. Text
// compared or ordered is COLLATE "C" (byte order, SQLite's BINARY); times are ISO-8601 UTC text.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresColumns } from '../../server/storage/postgres/migrator.js';

export const workflowVersions: PostgresMigration = {
  version: 6,
  name: 'workflow-versions',
  async up(tx) {
    await tx.query(`
      CREATE TABLE workflow_versions (
        seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version_id   text COLLATE "C" NOT NULL UNIQUE,
        owner_id     text COLLATE "C" NOT NULL,
        workflow_id  text COLLATE "C" NOT NULL,
        key          text COLLATE "C" NOT NULL,
        kind         text COLLATE "C" NOT NULL CHECK (kind IN ('save', 'auto', 'restore', 'delete')),
        created_at   text COLLATE "C" NOT NULL,
        user_id      text COLLATE "C",
        user_name    text,
        device       text COLLATE "C",
        device_label text,
        summary      text NOT NULL,
        workflow     text NOT NULL,
        UNIQUE (owner_id, workflow_id, key)
      );
      CREATE INDEX idx_workflow_versions_list ON workflow_versions (owner_id, workflow_id, created_at, seq);
      CREATE INDEX idx_workflow_versions_created ON workflow_versions (created_at);
      CREATE TABLE workflow_trash (
        workflow_id text COLLATE "C" NOT NULL PRIMARY KEY,
        owner_id    text COLLATE "C" NOT NULL,
        name        text NOT NULL,
        deleted_at  text COLLATE "C" NOT NULL,
        deleted_by  text COLLATE "C",
        purge_at    text COLLATE "C" NOT NULL,
        entry       text NOT NULL
      );
      CREATE INDEX idx_workflow_trash_owner ON workflow_trash (owner_id, deleted_at);
      CREATE INDEX idx_workflow_trash_purge ON workflow_trash (purge_at);
    `);
  },
  async verify(tx) {
    await requirePostgresColumns(tx, 'workflow_versions', [
      'seq', 'version_id', 'owner_id', 'workflow_id', 'key', 'kind', 'created_at', 'user_id', 'user_name', 'device', 'device_label', 'summary', 'workflow',
    ]);
    await requirePostgresColumns(tx, 'workflow_trash', ['workflow_id', 'owner_id', 'name', 'deleted_at', 'deleted_by', 'purge_at', 'entry']);
  },
};
