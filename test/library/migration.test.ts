// Migration 0003 (workflow index) on a database at schema 2 that already holds documents: it adds the
// index tables, keeps the documents, and the server then indexes those documents on its first start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { databaseFile } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { migrateTo, schemaVersion } from '../../server/db/migrator.js';
import { tableColumns } from '../../server/db/schema-check.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { migrations } from '../../migrations/index.js';
import { libraryDocument } from '../../shared/protocol.js';
import { createEntry, type Workflow } from '../../shared/workflow/index.js';
import { api, startTestServer } from '../helpers/server.js';
import { userWorkflow } from '../api/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('0003 adds the index tables over a schema-2 database and the first start indexes its documents', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-mig3-'));
  dirs.push(dataDir);
  const db = openDatabase(databaseFile({ dataDir }), { migrations: migrations.slice(0, 2) });
  expect(schemaVersion(db)).toBe(2);
  const doc = new Y.Doc();
  const id = '0d000000-0000-4000-8000-000000000003';
  createEntry(doc, id, { ...userWorkflow('Before the index'), id } as Workflow, { isPublic: true });
  await new SqliteStore(db).append([{ name: libraryDocument('system'), update: Y.encodeStateAsUpdate(doc) }]);
  doc.destroy();

  const report = migrateTo(db, migrations, 3);
  expect(report.applied).toEqual(['0003-workflow-index']);
  expect(report.backup).not.toBeNull();
  expect(tableColumns(db, 'workflow_index').map((c) => c.name)).toContain('invalid_reason');
  expect((db.prepare('SELECT COUNT(*) AS n FROM doc_updates').get() as { n: number }).n).toBe(1);
  db.close();

  const ts = await startTestServer({ dataDir, multiuser: false });
  try {
    const listed = await api(ts)('GET', '/api/v1/workflows?categories=user');
    expect(listed.body.items.map((i: any) => i.workflow_id)).toEqual([id]);
  } finally {
    await ts.close();
  }
});

it('a failing 0003 leaves the database at schema 2 with nothing half-made', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-mig3-'));
  dirs.push(dataDir);
  const db = openDatabase(databaseFile({ dataDir }), { migrations: migrations.slice(0, 2) });
  // A table in the way: 0003's CREATE TABLE fails midway.
  db.exec('CREATE TABLE workflow_thumbnails (x INTEGER)');
  expect(() => migrateTo(db, migrations, 3)).toThrow(/0003-workflow-index/);
  expect(schemaVersion(db)).toBe(2);
  expect(tableColumns(db, 'workflow_index')).toEqual([]);
  db.close();
});
