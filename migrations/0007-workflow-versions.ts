// Version history and trash (issue 12): workflow_versions keeps a workflow's versions (one per Save,
// at most one "auto" per interval, restores, the state at a delete), keyed by the id's owner so a copy
// of an id in another library never mixes into the owner's history; `key` makes creation idempotent
// (`save:<save id>`, `auto:<interval start>`), so a retry or a second node never doubles a version.
// `seq` orders versions created in the same millisecond. workflow_trash holds deleted workflows
// (the whole library entry as JSON) until purge_at. Times are ISO-8601 UTC text, which sorts as time.
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const workflowVersionsMigration: Migration = {
  version: 7,
  name: 'workflow-versions',
  up(db) {
    db.exec(`
      CREATE TABLE workflow_versions (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        version_id   TEXT NOT NULL UNIQUE,
        owner_id     TEXT NOT NULL,
        workflow_id  TEXT NOT NULL,
        key          TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('save', 'auto', 'restore', 'delete')),
        created_at   TEXT NOT NULL,
        user_id      TEXT,
        user_name    TEXT,
        device       TEXT,
        device_label TEXT,
        summary      TEXT NOT NULL,
        workflow     TEXT NOT NULL,
        UNIQUE (owner_id, workflow_id, key)
      );
      CREATE INDEX idx_workflow_versions_list ON workflow_versions (owner_id, workflow_id, created_at, seq);
      CREATE INDEX idx_workflow_versions_created ON workflow_versions (created_at);
      CREATE TABLE workflow_trash (
        workflow_id TEXT NOT NULL PRIMARY KEY,
        owner_id    TEXT NOT NULL,
        name        TEXT NOT NULL,
        deleted_at  TEXT NOT NULL,
        deleted_by  TEXT,
        purge_at    TEXT NOT NULL,
        entry       TEXT NOT NULL
      );
      CREATE INDEX idx_workflow_trash_owner ON workflow_trash (owner_id, deleted_at);
      CREATE INDEX idx_workflow_trash_purge ON workflow_trash (purge_at);
    `);
  },
  verify(db) {
    requireColumns(db, 'workflow_versions', [
      'seq', 'version_id', 'owner_id', 'workflow_id', 'key', 'kind', 'created_at', 'user_id', 'user_name', 'device', 'device_label', 'summary', 'workflow',
    ]);
    requireColumns(db, 'workflow_trash', ['workflow_id', 'owner_id', 'name', 'deleted_at', 'deleted_by', 'purge_at', 'entry']);
  },
};
