// The migrator's promises (contract §5): backup first, one transaction per migration with verify(),
// nothing changed on failure, newer databases refused.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { openDatabase } from '../../server/db/database.js';
import type { Migration } from '../../server/db/migration.js';
import { migrate, MigrationError, migrationLabel, schemaVersion } from '../../server/db/migrator.js';
import { hasColumn, requireColumns } from '../../server/db/schema-check.js';
import { tempDir } from './tmp.js';

let tmp: ReturnType<typeof tempDir>;
let file: string;
const open: Database.Database[] = [];
function track(db: Database.Database): Database.Database {
  open.push(db);
  return db;
}
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'data', 'flowshelf.db');
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  tmp.cleanup();
});

const latest = migrations.length;

function backups(): string[] {
  return readdirSync(join(tmp.dir, 'data')).filter((f) => f.includes('.backup-'));
}

function seedUser(db: Database.Database): void {
  db.prepare(
    "INSERT INTO users (user_id, email, password_hash, created_at, updated_at) VALUES ('u1', 'ann@example.com', 'h', 't', 't')",
  ).run();
}

function dump(db: Database.Database) {
  const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
    name: string;
    sql: string | null;
  }[];
  return tables.map((t) => ({ ...t, rows: t.sql?.startsWith('CREATE TABLE') ? db.prepare(`SELECT * FROM "${t.name}"`).all() : [] }));
}

describe('openDatabase', () => {
  it('creates the folder, migrates to the newest schema and sets WAL and foreign keys', () => {
    const db = track(openDatabase(file));
    expect(existsSync(file)).toBe(true);
    expect(schemaVersion(db)).toBe(latest);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
  });

  it('makes no backup of a new database and none when nothing is pending', () => {
    track(openDatabase(file)).close();
    track(openDatabase(file)).close();
    expect(backups()).toEqual([]);
  });

  it('records each applied migration with its name and time', () => {
    const db = track(openDatabase(file));
    const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
      version: number;
      name: string;
      applied_at: string;
    }[];
    expect(rows.map((r) => [r.version, r.name])).toEqual(migrations.map((m) => [m.version, m.name]));
    for (const r of rows) expect(Number.isNaN(Date.parse(r.applied_at))).toBe(false);
  });
});

describe('backup before migrating', () => {
  it('copies the file, holding the pre-migration schema and data, before an upgrade', () => {
    const old = track(openDatabase(file, { migrations: migrations.slice(0, 1) }));
    seedUser(old);
    old.close();

    const db = track(new Database(file));
    const report = migrate(db, migrations);
    expect(report).toMatchObject({ from: 1, to: latest, applied: migrations.slice(1).map(migrationLabel) });
    expect(report.backup).not.toBeNull();
    expect(backups()).toEqual([expect.stringMatching(new RegExp(`^flowshelf\\.backup-1-to-${latest}-\\d{8}-\\d{6}\\.db$`))]);

    const copy = track(new Database(report.backup!, { readonly: true }));
    expect(schemaVersion(copy)).toBe(1);
    expect(copy.prepare("SELECT email FROM users WHERE user_id = 'u1'").get()).toEqual({ email: 'ann@example.com' });
    expect(hasColumn(copy, 'doc_updates', 'doc')).toBe(false);
  });
});

describe('a failing migration', () => {
  const broken: Migration = {
    version: latest + 1,
    name: 'broken-step',
    up(db) {
      db.exec('CREATE TABLE half_done (x INTEGER)');
      db.exec("UPDATE users SET display_name = 'changed'");
      throw new Error('disk says no');
    },
    verify() {},
  };
  const failsVerify: Migration = {
    version: latest + 1,
    name: 'forgets-column',
    up(db) {
      db.exec("UPDATE users SET display_name = 'changed'");
    },
    verify(db) {
      requireColumns(db, 'users', ['favourite_colour']);
    },
  };

  for (const bad of [broken, failsVerify]) {
    it(`(${bad.name}) leaves the database exactly as it was and names the migration`, () => {
      const db = track(openDatabase(file));
      seedUser(db);
      const before = dump(db);

      let error: unknown;
      try {
        migrate(db, [...migrations, bad]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toMatch(new RegExp(`^migration ${migrationLabel(bad)} failed: `));
      expect(dump(db)).toEqual(before);
      expect(schemaVersion(db)).toBe(latest);
    });
  }

  it('stops start-up: openDatabase throws and closes the file', () => {
    track(openDatabase(file)).close();
    expect(() => openDatabase(file, { migrations: [...migrations, broken] })).toThrow(
      `migration ${migrationLabel(broken)} failed: disk says no`,
    );
    // Still usable and unchanged at the old version.
    const db = track(openDatabase(file));
    expect(schemaVersion(db)).toBe(latest);
  });
});

describe('a database from a newer Flowshelf', () => {
  it('is refused with a message saying what to do, and left untouched', () => {
    const newer: Migration[] = [
      ...migrations,
      { version: latest + 1, name: 'future-one', up: (db) => db.exec('CREATE TABLE future_one (x)'), verify() {} },
      { version: latest + 2, name: 'future-two', up: (db) => db.exec('CREATE TABLE future_two (x)'), verify() {} },
    ];
    track(openDatabase(file, { migrations: newer })).close();
    expect(() => openDatabase(file)).toThrow(
      `database is at schema ${latest + 2} but this Flowshelf only knows up to ${latest}: upgrade Flowshelf or restore a backup`,
    );
    const db = track(new Database(file));
    expect(schemaVersion(db)).toBe(latest + 2);
    expect(backups()).toEqual([]);
  });
});

describe('the migration list itself', () => {
  it('refuses gaps and repeats', () => {
    const db = track(new Database(':memory:'));
    const m = (version: number): Migration => ({ version, name: `m-${version}`, up() {}, verify() {} });
    expect(() => migrate(db, [m(1), m(3)])).toThrow(MigrationError);
    expect(() => migrate(db, [m(1), m(1)])).toThrow(MigrationError);
  });
});

// InvokeAI's workflow_library has VIRTUAL generated columns (category, name, description, tags).
// PRAGMA table_info does not list them; PRAGMA table_xinfo does. A migration that inspects the table
// through table_info sees a different table from the real one.
describe('migrating a table with VIRTUAL generated columns', () => {
  const createLibrary: Migration = {
    version: latest + 1,
    name: 'test-workflow-library',
    up(db) {
      db.exec(`CREATE TABLE workflow_library (
        workflow_id TEXT NOT NULL PRIMARY KEY,
        workflow TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
        category TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.meta.category')) VIRTUAL NOT NULL,
        name TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.name')) VIRTUAL NOT NULL,
        tags TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.tags')) VIRTUAL
      )`);
    },
    verify(db) {
      requireColumns(db, 'workflow_library', ['workflow_id', 'workflow', 'category', 'name', 'tags']);
    },
  };

  /** Adds user_id / is_public when missing, looking with table_xinfo (via hasColumn). */
  const addOwnership: Migration = {
    version: latest + 2,
    name: 'test-workflow-ownership',
    up(db) {
      if (!hasColumn(db, 'workflow_library', 'user_id')) {
        db.exec("ALTER TABLE workflow_library ADD COLUMN user_id TEXT NOT NULL DEFAULT 'system'");
        db.exec('CREATE INDEX idx_workflow_library_user_id ON workflow_library(user_id)');
      }
      if (!hasColumn(db, 'workflow_library', 'is_public')) {
        db.exec('ALTER TABLE workflow_library ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0');
        db.exec("UPDATE workflow_library SET is_public = 1 WHERE user_id = 'system'");
      }
    },
    verify(db) {
      requireColumns(db, 'workflow_library', ['user_id', 'is_public', 'category', 'name', 'tags']);
      const wrong = db.prepare("SELECT COUNT(*) AS n FROM workflow_library WHERE user_id = 'system' AND is_public <> 1").get() as {
        n: number;
      };
      if (wrong.n > 0) throw new Error(`${wrong.n} legacy workflow(s) not public`);
    },
  };

  /**
   * The same intent, written the way that fails: it only touches "a real workflow_library", which it
   * recognises by its `category` column, but reads the columns with table_info, never sees `category`,
   * and so silently does nothing.
   */
  const tableInfoOwnership: Migration = {
    ...addOwnership,
    name: 'test-workflow-ownership-table-info',
    up(db) {
      const cols = (db.prepare('PRAGMA table_info(workflow_library)').all() as { name: string }[]).map((c) => c.name);
      if (!cols.includes('category')) return; // "not our table"
      addOwnership.up(db);
    },
  };

  function seedLibrary(db: Database.Database): void {
    const insert = db.prepare('INSERT INTO workflow_library (workflow_id, workflow) VALUES (?, ?)');
    insert.run('w1', JSON.stringify({ name: 'Upscale', tags: 'upscale, image', meta: { category: 'default' } }));
    insert.run('w2', JSON.stringify({ name: 'Mine', tags: '', meta: { category: 'user' } }));
  }

  it('table_info hides the generated columns that table_xinfo shows', () => {
    const db = track(new Database(':memory:'));
    migrate(db, [...migrations, createLibrary]);
    const info = (db.prepare('PRAGMA table_info(workflow_library)').all() as { name: string }[]).map((c) => c.name);
    expect(info).not.toContain('category');
    expect(hasColumn(db, 'workflow_library', 'category')).toBe(true);
  });

  it('adds the columns, keeps the generated ones working and marks legacy rows public', () => {
    const db = track(openDatabase(file, { migrations: [...migrations, createLibrary] }));
    seedLibrary(db);
    db.close();

    const upgraded = track(openDatabase(file, { migrations: [...migrations, createLibrary, addOwnership] }));
    expect(
      upgraded.prepare('SELECT workflow_id, name, category, tags, user_id, is_public FROM workflow_library ORDER BY workflow_id').all(),
    ).toEqual([
      { workflow_id: 'w1', name: 'Upscale', category: 'default', tags: 'upscale, image', user_id: 'system', is_public: 1 },
      { workflow_id: 'w2', name: 'Mine', category: 'user', tags: '', user_id: 'system', is_public: 1 },
    ]);
  });

  it('running it over a table that already has the columns changes nothing', () => {
    const db = track(openDatabase(file, { migrations: [...migrations, createLibrary] }));
    db.exec("ALTER TABLE workflow_library ADD COLUMN user_id TEXT NOT NULL DEFAULT 'system'");
    db.exec('ALTER TABLE workflow_library ADD COLUMN is_public INTEGER NOT NULL DEFAULT 1');
    seedLibrary(db);
    migrate(db, [...migrations, createLibrary, addOwnership]);
    expect(schemaVersion(db)).toBe(latest + 2);
  });

  it('verify catches the table_info version that silently did nothing, and nothing changes', () => {
    const db = track(openDatabase(file, { migrations: [...migrations, createLibrary] }));
    seedLibrary(db);
    const before = dump(db);
    expect(() => migrate(db, [...migrations, createLibrary, tableInfoOwnership])).toThrow(
      `migration ${migrationLabel(tableInfoOwnership)} failed: table workflow_library lacks column(s) user_id, is_public`,
    );
    expect(dump(db)).toEqual(before);
    expect(schemaVersion(db)).toBe(latest + 1);
  });
});
