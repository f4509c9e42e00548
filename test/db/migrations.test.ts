// One test per migration: migrate to N-1, insert rows, migrate to N, compare.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { migrateTo, schemaVersion } from '../../server/db/migrator.js';
import { tableColumns } from '../../server/db/schema-check.js';
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
