// Workflow ids belong to one library (or to the default workflows) for good (issue 9, findings 4 and 5).
//
// - workflow_owners: the first library (or the defaults folder) an id was seen in owns it; the record
//   stays when the workflow or its user is deleted, so no other library can ever take the id over.
//   Backfilled from the current index: defaults first, then every other id to the library holding it.
//   An id found in several libraries (clients only ever make random ids, so that is a copy, likely a
//   takeover) goes to the one library whose entry is valid if there is exactly one; otherwise it is
//   nobody's (user_id ''): until now the entry with the oldest created_at won, and that is what an
//   attacker writes, so no stored value can tell who came first; every copy is then quarantined and
//   its owner told to save it as a new workflow. Ids starting with "default_" are never a library's.
//   Unlike the index, these records are not derived from the documents: they remember who came
//   first, which no document can tell.
// - workflow_thumbnails gains the owner in its key, so an image is only ever the owner's.
// - workflow_index gains unpublished_reason: why a shared workflow is kept out of `public` (its size
//   or its owner's publishing budget); written by the publisher, NULL when published or not shared.
// - Every library is reindexed at the next start (its indexed seq is forgotten), so an entry holding an
//   id owned elsewhere is marked as such at once.
import type { Database } from 'better-sqlite3';
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const workflowOwnersMigration: Migration = {
  version: 4,
  name: 'workflow-owners',
  up(db: Database) {
    const now = new Date().toISOString();
    db.exec(`
      CREATE TABLE workflow_owners (
        workflow_id TEXT NOT NULL PRIMARY KEY,
        -- The library's user, or 'system' for the defaults (category 'default').
        user_id     TEXT NOT NULL,
        category    TEXT NOT NULL CHECK (category IN ('user', 'default')),
        claimed_at  TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX idx_workflow_owners_user ON workflow_owners (user_id);
    `);
    db.prepare(
      `INSERT OR IGNORE INTO workflow_owners (workflow_id, user_id, category, claimed_at)
       SELECT workflow_id, user_id, 'default', @now FROM workflow_index WHERE category = 'default'`,
    ).run({ now });
    const libraryRows = `FROM workflow_index WHERE category = 'user' AND substr(workflow_id, 1, 8) <> 'default_'`;
    db.prepare(
      `INSERT OR IGNORE INTO workflow_owners (workflow_id, user_id, category, claimed_at)
       SELECT workflow_id, CASE WHEN COUNT(*) = 1 THEN MIN(user_id) ELSE MIN(CASE WHEN valid = 1 THEN user_id END) END, 'user', @now
       ${libraryRows} GROUP BY workflow_id HAVING COUNT(*) = 1 OR SUM(valid) = 1`,
    ).run({ now });
    // Contested: nobody's.
    db.prepare(
      `INSERT OR IGNORE INTO workflow_owners (workflow_id, user_id, category, claimed_at)
       SELECT DISTINCT workflow_id, '', 'user', @now ${libraryRows}`,
    ).run({ now });

    db.exec(`
      CREATE TABLE workflow_thumbnails_by_owner (
        workflow_id TEXT NOT NULL,
        -- The owner of the id (workflow_owners); a library holding someone else's id has no thumbnail.
        user_id     TEXT NOT NULL,
        image       BLOB NOT NULL,
        version     TEXT NOT NULL,
        PRIMARY KEY (workflow_id, user_id)
      );
      INSERT INTO workflow_thumbnails_by_owner (workflow_id, user_id, image, version)
        SELECT t.workflow_id, o.user_id, t.image, t.version
        FROM workflow_thumbnails t JOIN workflow_owners o ON o.workflow_id = t.workflow_id WHERE o.user_id <> '';
      DROP TABLE workflow_thumbnails;
      ALTER TABLE workflow_thumbnails_by_owner RENAME TO workflow_thumbnails;

      ALTER TABLE workflow_index ADD COLUMN unpublished_reason TEXT;

      DELETE FROM workflow_index_state;
    `);
  },
  verify(db: Database) {
    requireColumns(db, 'workflow_owners', ['workflow_id', 'user_id', 'category', 'claimed_at']);
    requireColumns(db, 'workflow_thumbnails', ['workflow_id', 'user_id', 'image', 'version']);
    requireColumns(db, 'workflow_index', ['unpublished_reason']);
  },
};
