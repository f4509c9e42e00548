// `flowshelf import-invokeai` on InvokeAI-shaped databases built here with the reference's schema
// (§4: VIRTUAL generated columns, migrations 17/18/27/28), then checked through a real server.
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importInvokeAICommand } from '../../server/cli/import-invokeai.js';
import { workflowsCommand } from '../../server/cli/workflows.js';
import { UserStore } from '../../server/auth/users.js';
import { SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';
import { databaseFile } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { api, login, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { fixtures } from '../api/fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(dataDir: string, multiuser = true): Promise<TestServer> {
  const ts = await startTestServer({ dataDir, multiuser });
  cleanups.push(() => ts.close());
  return ts;
}

/** InvokeAI's workflow_library as migrations 2, 17, 18 (and, unless `legacy`, 27 + 28) leave it. */
function invokeaiDatabase(file: string, legacy = false): Database.Database {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE workflow_library (
      workflow_id TEXT NOT NULL PRIMARY KEY,
      workflow TEXT NOT NULL,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      category TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.meta.category')) VIRTUAL NOT NULL,
      name TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.name')) VIRTUAL NOT NULL,
      description TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.description')) VIRTUAL NOT NULL
    );
    CREATE INDEX idx_workflow_library_category ON workflow_library(category);
    CREATE INDEX idx_workflow_library_name ON workflow_library(name);
    CREATE TRIGGER tg_workflow_library_updated_at AFTER UPDATE ON workflow_library FOR EACH ROW BEGIN
      UPDATE workflow_library SET updated_at = STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW') WHERE workflow_id = old.workflow_id;
    END;
    ALTER TABLE workflow_library ADD COLUMN tags TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.tags')) VIRTUAL;
    ALTER TABLE workflow_library ADD COLUMN opened_at DATETIME;
    CREATE INDEX idx_workflow_library_opened_at ON workflow_library(opened_at);
  `);
  if (!legacy) {
    db.exec(`
      CREATE TABLE users (user_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT, password_hash TEXT NOT NULL,
        is_admin BOOLEAN NOT NULL DEFAULT FALSE, is_active BOOLEAN NOT NULL DEFAULT TRUE,
        created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
        updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')), last_login_at DATETIME);
      INSERT INTO users (user_id, email, display_name, password_hash) VALUES ('system', 'system@system.invokeai', 'System', '');
      ALTER TABLE workflow_library ADD COLUMN user_id TEXT DEFAULT 'system';
      CREATE INDEX idx_workflow_library_user_id ON workflow_library(user_id);
      ALTER TABLE workflow_library ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
      CREATE INDEX idx_workflow_library_is_public ON workflow_library(is_public);
      UPDATE workflow_library SET is_public = TRUE WHERE user_id = 'system';
    `);
  }
  return db;
}

function invokeWorkflow(id: string, name: string, category: 'user' | 'default' = 'user'): string {
  const base = fixtures()[5]!.json;
  return JSON.stringify({ ...base, id, name, tags: 'flux', meta: { ...base.meta, category } });
}

async function cli(command: typeof importInvokeAICommand, args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await command.run(args, { env: {}, out: (line) => lines.push(line) });
  return lines;
}

const IDS = {
  legacy: '11111111-0000-4000-8000-000000000001',
  alicePrivate: '11111111-0000-4000-8000-000000000002',
  aliceShared: '11111111-0000-4000-8000-000000000003',
  carol: '11111111-0000-4000-8000-000000000004',
  broken: '11111111-0000-4000-8000-000000000005',
};

function multiuserSource(dir: string): string {
  const file = join(dir, 'invokeai.db');
  const db = invokeaiDatabase(file);
  db.exec(`INSERT INTO users (user_id, email, display_name, password_hash, is_admin) VALUES
    ('u-alice', 'Alice@Example.com', 'Alice', 'x', FALSE), ('u-carol', 'carol@example.com', 'Carol', 'x', FALSE)`);
  const insert = db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public, created_at, opened_at) VALUES (?, ?, ?, ?, ?, ?)');
  insert.run(IDS.legacy, invokeWorkflow(IDS.legacy, 'Legacy'), 'system', 1, '2025-01-02 03:04:05.678', null);
  insert.run(IDS.alicePrivate, invokeWorkflow(IDS.alicePrivate, 'Alice private'), 'u-alice', 0, '2025-02-01 00:00:00.000', '2025-03-01 10:00:00.000');
  insert.run(IDS.aliceShared, invokeWorkflow(IDS.aliceShared, 'Alice shared'), 'u-alice', 1, '2025-02-02 00:00:00.000', null);
  insert.run(IDS.carol, invokeWorkflow(IDS.carol, 'Carol private'), 'u-carol', 0, '2025-02-03 00:00:00.000', null);
  insert.run(IDS.broken, '{"name": "no nodes", "description": "", "meta": {"category": "user", "version": "3.0.0"}}', 'u-alice', 0, '2025-02-04 00:00:00.000', null);
  insert.run('default_abc', invokeWorkflow('default_abc', 'A default', 'default'), 'system', 0, '2025-01-01 00:00:00.000', null);
  db.close();
  return file;
}

describe('import-invokeai', () => {
  it('lands every workflow with the right owner, sharing and timestamps; skips defaults and invalid rows', async () => {
    const dir = tempDir('flowshelf-import-');
    const source = multiuserSource(dir);
    const dataDir = join(dir, 'data');
    // The target already knows alice (by email) and has an administrator.
    const db = openDatabase(databaseFile({ dataDir }));
    const users = new UserStore(new SqliteUserRepository(db));
    await users.create({ email: 'root@example.com', password: 'root-password-1', isAdmin: true });
    const alice = await users.create({ email: 'alice@example.com', password: 'alice-password-1' });
    db.close();

    const lines = await cli(importInvokeAICommand, [source, '--data-dir', dataDir]);
    expect(lines.at(-1)).toBe('4 workflow(s) imported, 2 skipped, 1 user(s) created (0 with their InvokeAI password), 1 existing user(s) kept');
    expect(lines).toContain(`skip default_abc: default workflow (Flowshelf ships its own)`);
    expect(lines.some((l) => l.startsWith(`skip ${IDS.broken}: not a valid workflow (author: `))).toBe(true);

    const ts = await serve(dataDir);
    const root = await login(ts, 'root@example.com', 'root-password-1');
    const asRoot = api(ts, root.token);
    const all = (await asRoot('GET', '/api/v1/workflows?categories=user')).body.items as any[];
    const byId = new Map(all.map((i) => [i.workflow_id, i]));
    expect([...byId.keys()].sort()).toEqual([IDS.legacy, IDS.alicePrivate, IDS.aliceShared, IDS.carol].sort());
    expect(byId.get(IDS.legacy)).toMatchObject({ user_id: 'system', is_public: true, tags: 'flux, shared', created_at: '2025-01-02T03:04:05.678Z' });
    expect(byId.get(IDS.alicePrivate)).toMatchObject({ user_id: alice.userId, is_public: false, tags: 'flux' });
    expect(byId.get(IDS.aliceShared)).toMatchObject({ user_id: alice.userId, is_public: true });
    const carol = byId.get(IDS.carol);
    expect(carol.is_public).toBe(false);
    expect(carol.user_id).not.toBe('u-carol');

    // Alice's own "opened" came along; the created user has no password until an admin sets one.
    const asAlice = api(ts, (await login(ts, 'alice@example.com', 'alice-password-1')).token);
    const recent = await asAlice('GET', '/api/v1/workflows?has_been_opened=true');
    expect(recent.body.items.map((i: any) => [i.workflow_id, i.opened_at])).toEqual([[IDS.alicePrivate, '2025-03-01T10:00:00.000Z']]);
    const created = (await asRoot('GET', `/api/v1/auth/users/${carol.user_id}`)).body;
    // Her hash ('x') is no bcrypt hash, so she has no password (test/invokeai/import-accounts.test.ts: real ones).
    expect(created).toMatchObject({ email: 'carol@example.com', display_name: 'Carol', is_admin: false, is_active: true });
    // No password at all (not a random one): any login answers exactly as a wrong password would.
    const hashOf = (userId: string) => {
      const check = new Database(databaseFile({ dataDir }), { readonly: true });
      try {
        return (check.prepare('SELECT password_hash FROM users WHERE user_id = ?').get(userId) as { password_hash: string }).password_hash;
      } finally {
        check.close();
      }
    };
    expect(hashOf(carol.user_id)).toBe('');
    for (const password of ['', 'carol-password-1']) {
      const refused = await api(ts)('POST', '/api/v1/auth/login', { email: 'carol@example.com', password });
      expect([refused.status, refused.body]).toEqual([401, { detail: 'Incorrect email or password' }]);
    }
    expect((await asRoot('PATCH', `/api/v1/auth/users/${carol.user_id}`, { password: 'carol-password-1' })).status).toBe(200);
    expect(hashOf(carol.user_id)).toMatch(/^scrypt\$/);
    const asCarol = api(ts, (await login(ts, 'carol@example.com', 'carol-password-1')).token);
    expect((await asCarol('GET', `/api/v1/workflows/i/${IDS.carol}`)).status).toBe(200);
    expect((await asCarol('GET', `/api/v1/workflows/i/${IDS.alicePrivate}`)).status).toBe(403);
    expect((await asCarol('GET', `/api/v1/workflows/i/${IDS.aliceShared}`)).status).toBe(200);

    // Refused while the server runs; a rerun after it stops imports nothing twice.
    await expect(cli(importInvokeAICommand, [source, '--data-dir', dataDir])).rejects.toThrow(/server \(pid \d+\) is running/);
    await ts.close();
    const again = await cli(importInvokeAICommand, [source, '--data-dir', dataDir]);
    expect(again.at(-1)).toBe('0 workflow(s) imported, 6 skipped, 0 user(s) created (0 with their InvokeAI password), 2 existing user(s) kept');
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const dir = tempDir('flowshelf-import-dry-');
    const source = multiuserSource(dir);
    const dataDir = join(dir, 'data');
    const db = openDatabase(databaseFile({ dataDir }));
    await new UserStore(new SqliteUserRepository(db)).create({ email: 'root@example.com', password: 'root-password-1', isAdmin: true });
    const count = () => db.prepare('SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM doc_updates) AS docs').get();
    const before = count();
    db.close();
    const lines = await cli(importInvokeAICommand, [source, '--dry-run', '--data-dir', dataDir]);
    expect(lines).toContain(`would import ${IDS.aliceShared} "Alice shared" for alice@example.com (shared)`);
    expect(lines).toContain(
      'would create user alice@example.com (user, active) without a password: its password hash is not bcrypt (an administrator must set one)',
    );
    expect(lines.at(-1)).toBe('dry run: 4 workflow(s) to import, 2 skipped, 2 user(s) to create (0 with their InvokeAI password), 0 existing user(s) kept');
    const reopened = openDatabase(databaseFile({ dataDir }));
    cleanups.push(() => reopened.close());
    expect(reopened.prepare('SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM doc_updates) AS docs').get()).toEqual(before);
  });

  it('a database from before multiuser (no users table, no user_id/is_public) imports into the system library, shared', async () => {
    const dir = tempDir('flowshelf-import-old-');
    const file = join(dir, 'old.db');
    const db = invokeaiDatabase(file, true);
    db.prepare('INSERT INTO workflow_library (workflow_id, workflow) VALUES (?, ?)').run(IDS.legacy, invokeWorkflow(IDS.legacy, 'Old one'));
    db.close();
    const dataDir = join(dir, 'data');
    expect((await cli(importInvokeAICommand, [file, '--data-dir', dataDir])).at(-1)).toBe('1 workflow(s) imported, 0 skipped, 0 user(s) created (0 with their InvokeAI password), 0 existing user(s) kept');
    const ts = await serve(dataDir, false);
    const got = await api(ts)('GET', `/api/v1/workflows/i/${IDS.legacy}`);
    expect(got.body).toMatchObject({ user_id: 'system', is_public: true, name: 'Old one' });
  });

  it('names the problem in one line for a file that is not an InvokeAI database', async () => {
    const dir = tempDir('flowshelf-import-bad-');
    const file = join(dir, 'empty.db');
    new Database(file).close();
    await expect(cli(importInvokeAICommand, [file, '--data-dir', join(dir, 'data')])).rejects.toThrow(/has no workflow_library table/);
    await expect(cli(importInvokeAICommand, ['--data-dir', join(dir, 'data')])).rejects.toThrow(/exactly one InvokeAI database/);
  });
});

describe('workflows import / export', () => {
  it('imports JSON files into a user library with new ids and exports them back', async () => {
    const dir = tempDir('flowshelf-wf-cli-');
    const dataDir = join(dir, 'data');
    const db = openDatabase(databaseFile({ dataDir }));
    const bob = await new UserStore(new SqliteUserRepository(db)).create({ email: 'bob@example.com', password: 'bob-password-1', isAdmin: true });
    db.close();
    const [a, b] = fixtures();
    const inputs = [a!, b!].map((f, i) => {
      const path = join(dir, `in-${i}.json`);
      writeFileSync(path, JSON.stringify(f.json));
      return path;
    });
    const lines = await cli(workflowsCommand, ['import', ...inputs, '--email', 'bob@example.com', '--shared', '--data-dir', dataDir]);
    expect(lines.at(-1)).toMatch(/^2 workflow\(s\) imported for bob@example.com/);

    const ts = await serve(dataDir);
    const asBob = api(ts, (await login(ts, 'bob@example.com', 'bob-password-1')).token);
    const mine = (await asBob('GET', '/api/v1/workflows?categories=user')).body.items as any[];
    expect(mine.map((i) => i.name).sort()).toEqual([a!.json.name, b!.json.name].sort());
    expect(mine.every((i) => i.is_public && i.user_id === bob.userId && !i.workflow_id.startsWith('default_'))).toBe(true);
    await ts.close();

    const out = join(dir, 'out');
    const exported = await cli(workflowsCommand, ['export', '--email', 'bob@example.com', '--out', out, '--data-dir', dataDir]);
    expect(exported.at(-1)).toBe(`2 workflow(s) exported to ${out}`);
    const back = JSON.parse(readFileSync(join(out, `${a!.json.name}.json`), 'utf8'));
    expect(back.nodes).toEqual(a!.json.nodes);
    expect(back.meta.category).toBe('user');
    expect(back.tags.split(', ')).toContain('shared');
  });

  it('a bad file stops the import with one line naming it, and nothing is written', async () => {
    const dir = tempDir('flowshelf-wf-cli-bad-');
    const dataDir = join(dir, 'data');
    const db = openDatabase(databaseFile({ dataDir }));
    await new UserStore(new SqliteUserRepository(db)).create({ email: 'bob@example.com', password: 'bob-password-1' });
    db.close();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(fixtures()[0]!.json));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...fixtures()[0]!.json, nodes: 'x' }));
    await expect(cli(workflowsCommand, ['import', good, bad, '--email', 'bob@example.com', '--data-dir', dataDir])).rejects.toThrow(
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: nodes: `),
    );
    const check = openDatabase(databaseFile({ dataDir }));
    cleanups.push(() => check.close());
    expect((check.prepare('SELECT COUNT(*) AS n FROM doc_updates').get() as { n: number }).n).toBe(0);
  });
});
