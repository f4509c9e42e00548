// One test per migration: migrate to N-1, insert rows, migrate to N, compare.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { migrateTo, schemaVersion } from '../../server/db/migrator.js';
import { tableColumns } from '../../server/db/schema-check.js';
import { LIST_INDEXES } from '../../migrations/0006-list-query-indexes.js';
import { tempDir } from './tmp.js';

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

describe('migration list', () => {
  it('is numbered 1..n in order without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });
});

describe('0001-users-and-settings', () => {
  it('creates users and app_settings with the system user, who has no password and no admin right', () => {
    migrateTo(db, migrations, 0);
    expect(schemaVersion(db)).toBe(0);
    migrateTo(db, migrations, 1);
    expect(schemaVersion(db)).toBe(1);
    expect(tableColumns(db, 'users').map((c) => c.name)).toEqual([
      'user_id', 'email', 'display_name', 'password_hash', 'is_admin', 'is_active', 'created_at', 'updated_at', 'last_login_at',
    ]);
    expect(db.prepare('SELECT user_id, email, display_name, password_hash, is_admin, is_active FROM users').all()).toEqual([
      { user_id: 'system', email: 'system@system.invokeai', display_name: 'System', password_hash: '', is_admin: 0, is_active: 1 },
    ]);
    expect(tableColumns(db, 'app_settings').map((c) => c.name)).toEqual(['key', 'value', 'created_at', 'updated_at']);
  });

  it('makes emails unique regardless of case', () => {
    migrateTo(db, migrations, 1);
    const insert = db.prepare("INSERT INTO users (user_id, email, created_at, updated_at) VALUES (?, ?, 'now', 'now')");
    insert.run('u1', 'ann@example.com');
    expect(() => insert.run('u2', 'ANN@example.com')).toThrow(/UNIQUE/);
  });
});

describe('0002-document-storage', () => {
  it('adds the document tables and keeps every user and setting', () => {
    migrateTo(db, migrations, 1);
    db.prepare(
      "INSERT INTO users (user_id, email, display_name, password_hash, is_admin, created_at, updated_at) VALUES ('u1', 'ann@example.com', 'Ann', 'scrypt$x', 1, 't1', 't2')",
    ).run();
    db.prepare("INSERT INTO app_settings (key, value, created_at, updated_at) VALUES ('jwt_secret', 'abc', 't1', 't1')").run();
    const usersBefore = db.prepare('SELECT * FROM users ORDER BY user_id').all();
    const settingsBefore = db.prepare('SELECT * FROM app_settings').all();

    migrateTo(db, migrations, 2);

    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT * FROM users ORDER BY user_id').all()).toEqual(usersBefore);
    expect(db.prepare('SELECT * FROM app_settings').all()).toEqual(settingsBefore);
    db.prepare("INSERT INTO doc_updates (doc, seq, data) VALUES ('library/u1', 1, x'0102')").run();
    db.prepare("INSERT INTO doc_snapshots (doc, data, seq, updated_at) VALUES ('library/u1', x'03', 1, 't')").run();
    expect(() => db.prepare("INSERT INTO doc_updates (doc, seq, data) VALUES ('library/u1', 1, x'09')").run()).toThrow(/UNIQUE|PRIMARY/);
    const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'doc_updates'").get() as { sql: string };
    expect(ddl.sql).toMatch(/WITHOUT ROWID/);
  });
});

describe('0006-list-query-indexes', () => {
  it('keeps every index row and its checks, moves the workflow JSON to the last column, adds the list indexes and statistics', () => {
    migrateTo(db, migrations, 5);
    const insert = db.prepare(
      `INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at,
         opened_at, valid, invalid_reason, workflow, doc_seq, unpublished_reason)
       VALUES (?, ?, 'user', ?, 'd', 'flux, shared', 1, 't1', 't2', NULL, ?, ?, ?, 7, ?)`,
    );
    insert.run('w1', 'alice', 'One', 1, null, '{"big":"' + 'x'.repeat(20_000) + '"}', 'too large');
    insert.run('w2', 'bob', 'Two', 0, 'meta.version: Required', null, null);
    db.prepare("INSERT INTO workflow_opened (user_id, workflow_id, opened_at) VALUES ('alice', 'w1', 't3')").run();
    const before = db.prepare('SELECT * FROM workflow_index ORDER BY workflow_id').all();

    migrateTo(db, migrations, 6);

    expect(schemaVersion(db)).toBe(6);
    expect(db.prepare('SELECT * FROM workflow_index ORDER BY workflow_id').all()).toEqual(before);
    expect(tableColumns(db, 'workflow_index').at(-1)?.name).toBe('workflow');
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('workflow_index', 'workflow_opened')").all() as {
      name: string;
    }[]).map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining([...LIST_INDEXES, 'idx_workflow_index_filter']));
    expect(indexes).not.toContain('idx_workflow_index_user');
    // ANALYZE ran: the planner knows the table's size.
    expect(db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'idx_workflow_index_own_name'").get()).toEqual({ stat: expect.stringMatching(/^2 /) });
    // The row checks are still there: a valid row needs its JSON.
    expect(() =>
      db.prepare(
        `INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at,
           valid, workflow, doc_seq) VALUES ('w3', 'alice', 'user', 'n', '', '', 0, 't', 't', 1, NULL, 1)`,
      ).run(),
    ).toThrow(/CHECK/);
  });
});
