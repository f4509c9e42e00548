// Migration 0004 (workflow owners) on a schema-3 database holding index rows, thumbnails and index
// state: each id goes to the one library holding it (or the one valid copy), ids several libraries
// held with valid entries are nobody's (created_at, which an attacker writes, decides nothing),
// default ids stay the defaults', thumbnails are re-keyed by owner, every library is reindexed.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateTo, schemaVersion } from '../../server/db/migrator.js';
import { tableColumns } from '../../server/db/schema-check.js';
import { tempDir } from '../db/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
beforeEach(() => {
  tmp = tempDir();
  db = new Database(join(tmp.dir, 'flowshelf.db'));
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

function row(id: string, user: string, valid: boolean, createdAt: string, category = 'user') {
  db.prepare(
    `INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at,
       opened_at, valid, invalid_reason, workflow, doc_seq)
     VALUES (?, ?, ?, 'n', '', '', 1, ?, ?, NULL, ?, ?, ?, 1)`,
  ).run(id, user, category, createdAt, createdAt, valid ? 1 : 0, valid ? null : 'broken', valid ? '{}' : null);
}

it('0004 backfills owners without trusting timestamps, re-keys thumbnails by owner and forces a reindex', () => {
  migrateTo(db, migrations, 3);
  row('only-alice', 'alice', true, '2026-01-01T00:00:00.000Z');
  // A copy by bob that claims to be older: both valid, so nobody can tell who came first.
  row('contested', 'alice', true, '2026-01-01T00:00:00.000Z');
  row('contested', 'bob', true, '2000-01-01T00:00:00.000Z');
  // An invalid copy never showed anywhere: the valid one keeps the id.
  row('alice-valid', 'alice', true, '2026-01-01T00:00:00.000Z');
  row('alice-valid', 'bob', false, '2000-01-01T00:00:00.000Z');
  row('default_x', 'system', true, '2026-01-01T00:00:00.000Z', 'default');
  row('default_y', 'bob', false, '2000-01-01T00:00:00.000Z');
  const thumb = db.prepare('INSERT INTO workflow_thumbnails (workflow_id, image, version) VALUES (?, ?, ?)');
  thumb.run('only-alice', Buffer.from([1]), 'v1');
  thumb.run('contested', Buffer.from([2]), 'v2');
  thumb.run('default_x', Buffer.from([3]), 'v3');
  db.prepare("INSERT INTO workflow_index_state (document, seq) VALUES ('library/alice', 5), ('library/bob', 7)").run();

  const report = migrateTo(db, migrations, 4);
  expect(report.applied).toEqual(['0004-workflow-owners']);
  expect(schemaVersion(db)).toBe(4);
  expect(db.prepare('SELECT workflow_id, user_id, category FROM workflow_owners ORDER BY workflow_id').all()).toEqual([
    { workflow_id: 'alice-valid', user_id: 'alice', category: 'user' },
    { workflow_id: 'contested', user_id: '', category: 'user' },
    { workflow_id: 'default_x', user_id: 'system', category: 'default' },
    { workflow_id: 'only-alice', user_id: 'alice', category: 'user' },
  ]);
  expect(db.prepare('SELECT workflow_id, user_id, version FROM workflow_thumbnails ORDER BY workflow_id').all()).toEqual([
    { workflow_id: 'default_x', user_id: 'system', version: 'v3' },
    { workflow_id: 'only-alice', user_id: 'alice', version: 'v1' },
  ]);
  expect(tableColumns(db, 'workflow_index').map((c) => c.name)).toContain('unpublished_reason');
  expect(db.prepare('SELECT COUNT(*) AS n FROM workflow_index_state').get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT COUNT(*) AS n FROM workflow_index').get()).toEqual({ n: 7 });
});
