// Moving in from InvokeAI keeps the accounts (issue 11, item 5): an InvokeAI database built with its
// migrations' schema (reference §4: workflow_library after migrations 2, 17, 18, 28; users after 27),
// with passlib bcrypt hashes, imported by the built CLI, then every user logs in over HTTP with the
// password they had in InvokeAI, and again once the first login has rehashed it to scrypt.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../server/auth/users.js';
import { SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';
import { databaseFile } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { fixtures } from '../api/fixtures.js';
import { ensureBuilt, run } from '../cli/built.js';
import { api, login, startTestServer, type TestServer } from '../helpers/server.js';

beforeAll(() => ensureBuilt(), 120_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-invokeai-accounts-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(dataDir: string): Promise<TestServer> {
  const ts = await startTestServer({ dataDir, multiuser: true });
  cleanups.push(() => ts.close());
  return ts;
}

/**
 * Hashes made by InvokeAI's own path: passlib 1.7.4 over the Python bcrypt library (3.2.2), with
 * InvokeAI's context (schemes=["bcrypt"], truncate_error=False) and its 72-byte UTF-8 cut, at cost 4
 * so the test is fast:
 *   CryptContext(schemes=["bcrypt"], bcrypt__truncate_error=False, bcrypt__rounds=4).hash(pw)
 * Made with a library independent of the one that verifies them here (bcryptjs).
 */
const PEOPLE = {
  admin: { id: 'u-admin', email: 'Admin@Example.com', name: 'Ada Admin', password: 'Admin-Pass-1', hash: '$2b$04$MEOAmNbLZA/002Fq8O9nVe3yWzTLsjl3143QJOARXR82rlaoYFUMS', admin: true, active: true },
  alice: { id: 'u-alice', email: 'alice@example.com', name: 'Älice', password: 'Älice-pässwörd-2', hash: '$2b$04$ILUej5yhE39dD1rI718DCeF7yCYxko0zQ8WYAT6bGuDaVHfVWBU7S', admin: false, active: true },
  // 71 ASCII bytes and then '€' (3 bytes) across InvokeAI's 72-byte cut: it hashed the 71 bytes only.
  bob: { id: 'u-bob', email: 'bob@example.com', name: null, password: `${'b'.repeat(71)}€ and more`, hash: '$2b$04$hjUjHPqIeX2IipMiYBuS3u9aizegFP5LU1gaH0RFVVPfGuGe8i7bm', admin: false, active: true },
  carol: { id: 'u-carol', email: 'carol@example.com', name: 'Carol', password: 'Carol-Pass-3', hash: '$2b$04$UyU.fjkiS8W/0M0J.zHFKOD6gopHVpYibvPtK9wCDtXqkye//seu6', admin: false, active: false },
  // Already a Flowshelf account (created below): that account stays as it is.
  dave: { id: 'u-dave', email: 'dave@example.com', name: 'Dave from InvokeAI', password: 'Dave-Invoke-1', hash: '$2b$04$Ihb33GCVLbuPukzUjU/PoOzFiicFrnl7GejikGq81mAV/9Z65Kile', admin: true, active: true },
} as const;
/** InvokeAI's system row as an older InvokeAI could leave it (admin, a password): it must never log in. */
const SYSTEM = { password: 'System-Pass-1', hash: '$2b$04$MC2vuN0xG4RtDG5dwCoL9.qdmHYc.PMZYmFjSHUa.VGpx2D4kV3bK' };
const DAVE_FLOWSHELF_PASSWORD = 'dave-flowshelf-1';

const WF = {
  alicePrivate: '22222222-0000-4000-8000-000000000001',
  aliceShared: '22222222-0000-4000-8000-000000000002',
  bobShared: '22222222-0000-4000-8000-000000000003',
  adminPrivate: '22222222-0000-4000-8000-000000000004',
  legacy: '22222222-0000-4000-8000-000000000005',
  daves: '22222222-0000-4000-8000-000000000006',
};

function invokeWorkflow(id: string, name: string): string {
  const base = fixtures()[5]!.json;
  return JSON.stringify({ ...base, id, name, meta: { ...base.meta, category: 'user' } });
}

/** An InvokeAI database as its migrations leave it, with the users above and their workflows. */
function invokeaiDatabase(file: string): void {
  const db = new Database(file);
  db.exec(`
    -- migration 2
    CREATE TABLE workflow_library (
      workflow_id TEXT NOT NULL PRIMARY KEY,
      workflow TEXT NOT NULL,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      opened_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      category TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.meta.category')) VIRTUAL NOT NULL,
      name TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.name')) VIRTUAL NOT NULL,
      description TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.description')) VIRTUAL NOT NULL
    );
    CREATE INDEX idx_workflow_library_created_at ON workflow_library(created_at);
    CREATE INDEX idx_workflow_library_updated_at ON workflow_library(updated_at);
    CREATE INDEX idx_workflow_library_opened_at ON workflow_library(opened_at);
    CREATE INDEX idx_workflow_library_category ON workflow_library(category);
    CREATE INDEX idx_workflow_library_name ON workflow_library(name);
    CREATE INDEX idx_workflow_library_description ON workflow_library(description);
    CREATE TRIGGER tg_workflow_library_updated_at AFTER UPDATE ON workflow_library FOR EACH ROW BEGIN
      UPDATE workflow_library SET updated_at = STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW') WHERE workflow_id = old.workflow_id;
    END;
    -- migration 17
    ALTER TABLE workflow_library ADD COLUMN tags TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.tags')) VIRTUAL;
    -- migration 18
    DROP INDEX idx_workflow_library_opened_at;
    ALTER TABLE workflow_library DROP COLUMN opened_at;
    ALTER TABLE workflow_library ADD COLUMN opened_at DATETIME;
    CREATE INDEX idx_workflow_library_opened_at ON workflow_library(opened_at);
    -- migration 27 (users and the system row)
    CREATE TABLE users (
      user_id TEXT NOT NULL PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      display_name TEXT,
      password_hash TEXT NOT NULL,
      is_admin BOOLEAN NOT NULL DEFAULT FALSE,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      last_login_at DATETIME
    );
    CREATE INDEX idx_users_email ON users(email);
    CREATE INDEX idx_users_is_admin ON users(is_admin);
    CREATE INDEX idx_users_is_active ON users(is_active);
    CREATE TRIGGER tg_users_updated_at AFTER UPDATE ON users FOR EACH ROW BEGIN
      UPDATE users SET updated_at = STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW') WHERE user_id = old.user_id;
    END;
    -- migration 28
    ALTER TABLE workflow_library ADD COLUMN user_id TEXT DEFAULT 'system';
    CREATE INDEX idx_workflow_library_user_id ON workflow_library(user_id);
    ALTER TABLE workflow_library ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
    CREATE INDEX idx_workflow_library_is_public ON workflow_library(is_public);
  `);
  const addUser = db.prepare(
    'INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  addUser.run('system', 'system@system.invokeai', 'System', SYSTEM.hash, 1, 1, '2025-01-01 00:00:00.000');
  Object.values(PEOPLE).forEach((p, i) => addUser.run(p.id, p.email, p.name, p.hash, p.admin ? 1 : 0, p.active ? 1 : 0, `2025-01-0${i + 2} 00:00:00.000`));
  const add = db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public) VALUES (?, ?, ?, ?)');
  add.run(WF.alicePrivate, invokeWorkflow(WF.alicePrivate, 'Alice private'), 'u-alice', 0);
  add.run(WF.aliceShared, invokeWorkflow(WF.aliceShared, 'Alice shared'), 'u-alice', 1);
  add.run(WF.bobShared, invokeWorkflow(WF.bobShared, 'Bob shared'), 'u-bob', 1);
  add.run(WF.adminPrivate, invokeWorkflow(WF.adminPrivate, 'Admin private'), 'u-admin', 0);
  add.run(WF.legacy, invokeWorkflow(WF.legacy, 'Legacy'), 'system', 1);
  add.run(WF.daves, invokeWorkflow(WF.daves, 'Daves'), 'u-dave', 0);
  db.close();
}

/** InvokeAI's workflow_thumbnails folder: `<workflow_id>.webp`, as its disk storage names them. */
async function thumbnailFolder(dir: string): Promise<{ folder: string; bad: string }> {
  const folder = join(dir, 'workflow_thumbnails');
  mkdirSync(folder);
  const image = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).webp().toBuffer();
  // Larger than 256 on purpose: the upload path makes it a 256px thumbnail.
  writeFileSync(join(folder, `${WF.alicePrivate}.webp`), await image(512, 300));
  writeFileSync(join(folder, `${WF.aliceShared}.webp`), await image(256, 256));
  const bad = join(folder, `${WF.bobShared}.webp`);
  writeFileSync(bad, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  // WF.adminPrivate, WF.legacy and WF.daves have none.
  return { folder, bad };
}

function hashOf(dataDir: string, email: string): string {
  const db = new Database(databaseFile({ dataDir }), { readonly: true });
  try {
    return (db.prepare('SELECT password_hash FROM users WHERE email = ?').get(email) as { password_hash: string }).password_hash;
  } finally {
    db.close();
  }
}

describe('import-invokeai keeps the accounts', () => {
  it('every InvokeAI user logs in with their InvokeAI password, rehashed to scrypt on the first login; thumbnails come along', async () => {
    const dir = tempDir();
    const source = join(dir, 'invokeai.db');
    invokeaiDatabase(source);
    const { folder, bad } = await thumbnailFolder(dir);
    const dataDir = join(dir, 'data');
    // Dave already has a Flowshelf account (not an administrator, his own password).
    const pre = openDatabase(databaseFile({ dataDir }));
    await new UserStore(new SqliteUserRepository(pre)).create({ email: 'dave@example.com', password: DAVE_FLOWSHELF_PASSWORD, displayName: 'Dave' });
    pre.close();
    const cli = (...args: string[]) => run('cli.js', ['import-invokeai', source, '--thumbnails', folder, '--data-dir', dataDir, ...args]);

    // The dry run says everything before anything is written.
    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = dry.stdout.trimEnd().split('\n');
    expect(planned).toEqual(
      expect.arrayContaining([
        "would skip user system@system.invokeai: InvokeAI's system user is not an account anyone logs in to; its workflows go to Flowshelf's system library",
        'would create user admin@example.com (administrator, active) with their InvokeAI password',
        'would create user alice@example.com (user, active) with their InvokeAI password',
        'would create user bob@example.com (user, active) with their InvokeAI password',
        'would create user carol@example.com (user, inactive) with their InvokeAI password',
        "would keep user dave@example.com: a Flowshelf account already has this email; its password, flags and name stay as they are (InvokeAI's administrator, active account and password are not taken)",
        `would import ${WF.alicePrivate} "Alice private" for alice@example.com (private, with thumbnail)`,
        `would import ${WF.adminPrivate} "Admin private" for admin@example.com (private, no thumbnail)`,
        `would skip thumbnail ${bad}: Failed to read image: thumbnails must be PNG, JPEG, WebP or GIF images (SVG and other formats are not accepted)`,
        `would import ${WF.bobShared} "Bob shared" for bob@example.com (shared, thumbnail refused)`,
      ]),
    );
    expect(planned.at(-1)).toBe(
      'dry run: 6 workflow(s) to import, 0 skipped, 4 user(s) to create (4 with their InvokeAI password), 1 existing user(s) kept; ' +
        'thumbnails: 2 found, 3 missing, 1 refused',
    );
    const untouched = new Database(databaseFile({ dataDir }), { readonly: true });
    expect(untouched.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 2 }); // system + dave
    untouched.close();

    const done = await cli();
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`skip thumbnail ${bad}: Failed to read image`);
    expect(done.stdout.trimEnd().split('\n').at(-1)).toBe(
      '6 workflow(s) imported, 0 skipped, 4 user(s) created (4 with their InvokeAI password), 1 existing user(s) kept; ' +
        'thumbnails: 2 imported, 3 missing, 1 refused',
    );

    const ts = await serve(dataDir);
    const anyone = api(ts);
    // The InvokeAI administrator is the administrator here: no setup to run again.
    expect((await anyone('GET', '/api/v1/auth/status')).body).toMatchObject({ setup_required: false, multiuser_enabled: true });

    const active = [PEOPLE.admin, PEOPLE.alice, PEOPLE.bob];
    for (const person of active) {
      const email = person.email.toLowerCase();
      expect(hashOf(dataDir, email)).toBe(person.hash);
      const res = await anyone('POST', '/api/v1/auth/login', { email: person.email, password: person.password });
      expect([res.status, res.body.user?.email]).toEqual([200, email]);
      expect(res.body.user).toMatchObject({ is_admin: person.admin, is_active: true, display_name: person.name });
      // Rehashed at that login: the bcrypt hash is gone for good.
      expect(hashOf(dataDir, email)).toMatch(/^scrypt\$/);
      // And the same password still signs in, now against scrypt; a wrong one does not.
      expect((await anyone('POST', '/api/v1/auth/login', { email, password: person.password })).status).toBe(200);
      expect((await anyone('POST', '/api/v1/auth/login', { email, password: `${person.password}x` })).status).toBe(401);
    }

    // The inactive user gets InvokeAI's inactive answer (her password is right) and cannot sign in.
    const carol = await anyone('POST', '/api/v1/auth/login', { email: PEOPLE.carol.email, password: PEOPLE.carol.password });
    expect([carol.status, carol.body]).toEqual([403, { detail: 'User account is disabled' }]);
    const carolWrong = await anyone('POST', '/api/v1/auth/login', { email: PEOPLE.carol.email, password: 'not-her-password' });
    expect(carolWrong.status).toBe(401);

    // InvokeAI's system user never logs in, whatever hash it had there; it was not imported as an account.
    const system = await anyone('POST', '/api/v1/auth/login', { email: 'system@system.invokeai', password: SYSTEM.password });
    expect([system.status, system.body]).toEqual([401, { detail: 'Incorrect email or password' }]);
    expect(hashOf(dataDir, 'system@system.invokeai')).toBe('');

    // Dave's Flowshelf account is kept as it was: his Flowshelf password, not InvokeAI's, and no admin right.
    expect((await anyone('POST', '/api/v1/auth/login', { email: 'dave@example.com', password: PEOPLE.dave.password })).status).toBe(401);
    const dave = await login(ts, 'dave@example.com', DAVE_FLOWSHELF_PASSWORD);
    const daveMe = (await api(ts, dave.token)('GET', '/api/v1/auth/me')).body;
    expect(daveMe).toMatchObject({ is_admin: false, display_name: 'Dave' });
    expect((await api(ts, dave.token)('GET', `/api/v1/workflows/i/${WF.daves}`)).body).toMatchObject({ user_id: dave.userId, name: 'Daves' });

    // The administrator sees every account with InvokeAI's names and flags.
    const admin = await login(ts, PEOPLE.admin.email, PEOPLE.admin.password);
    const asAdmin = api(ts, admin.token);
    const users = (await asAdmin('GET', '/api/v1/auth/users')).body as { email: string; is_admin: boolean; is_active: boolean; display_name: string | null }[];
    expect(users.map((u) => [u.email, u.is_admin, u.is_active, u.display_name]).sort()).toEqual(
      [
        ['admin@example.com', true, true, 'Ada Admin'],
        ['alice@example.com', false, true, 'Älice'],
        ['bob@example.com', false, true, null],
        ['carol@example.com', false, false, 'Carol'],
        ['dave@example.com', false, true, 'Dave'],
      ].sort(),
    );

    // Workflows with their owners and sharing; thumbnails stored as an upload would be (256px webp).
    const alice = await login(ts, PEOPLE.alice.email, PEOPLE.alice.password);
    const asAlice = api(ts, alice.token);
    const alicePrivate = (await asAlice('GET', `/api/v1/workflows/i/${WF.alicePrivate}`)).body;
    expect(alicePrivate).toMatchObject({ user_id: alice.userId, is_public: false });
    expect(alicePrivate.thumbnail_url).toMatch(new RegExp(`^/api/v1/workflows/i/${WF.alicePrivate}/thumbnail\\?`));
    const image = await fetch(ts.url + alicePrivate.thumbnail_url);
    expect(image.status).toBe(200);
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 150]);
    const bob = await login(ts, 'bob@example.com', PEOPLE.bob.password);
    const bobShared = (await api(ts, bob.token)('GET', `/api/v1/workflows/i/${WF.bobShared}`)).body;
    expect(bobShared).toMatchObject({ user_id: bob.userId, is_public: true, thumbnail_url: null });
    // Shared workflows are readable by others, private ones are not; the legacy system row is shared.
    expect((await asAlice('GET', `/api/v1/workflows/i/${WF.bobShared}`)).status).toBe(200);
    expect((await asAlice('GET', `/api/v1/workflows/i/${WF.adminPrivate}`)).status).toBe(403);
    expect((await asAlice('GET', `/api/v1/workflows/i/${WF.legacy}`)).body).toMatchObject({ user_id: 'system', is_public: true });
  });

  it('InvokeAI cut passwords at 72 bytes: what it accepted signs in once, then only the password typed at that login', async () => {
    const dir = tempDir();
    const source = join(dir, 'invokeai.db');
    invokeaiDatabase(source);
    const dataDir = join(dir, 'data');
    const done = await run('cli.js', ['import-invokeai', source, '--data-dir', dataDir]);
    expect(done.code, done.stderr).toBe(0);
    const ts = await serve(dataDir);
    const anyone = api(ts);
    // InvokeAI hashed the 71 bytes before the split '€': anything starting with them verified there.
    const typed = `${'b'.repeat(71)}€ typed differently`;
    expect((await anyone('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: typed })).status).toBe(200);
    // The rehash keeps exactly what was typed: from now on that is the password, in full.
    expect((await anyone('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: typed })).status).toBe(200);
    expect((await anyone('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: PEOPLE.bob.password })).status).toBe(401);
    // Shorter than the cut is a different password, in InvokeAI and here.
    expect((await anyone('POST', '/api/v1/auth/login', { email: 'alice@example.com', password: PEOPLE.alice.password.slice(0, -1) })).status).toBe(401);
  });

  it("a thumbnail over its owner's storage quota is skipped with one line naming it; a hash that cannot be verified gives no password", async () => {
    const dir = tempDir();
    const source = join(dir, 'invokeai.db');
    invokeaiDatabase(source);
    // Alice has many large workflows (about 1.5 MB stored): her library alone is over a 1 MB quota.
    const big = fixtures().find((f) => f.file === 'Tiled Upscaling (Beta).json')!.json;
    const db = new Database(source);
    const ids = Array.from({ length: 30 }, (_, i) => `33333333-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const id of ids) {
      db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public) VALUES (?, ?, ?, 0)').run(
        id,
        JSON.stringify({ ...big, id, meta: { ...big.meta, category: 'user' } }),
        'u-alice',
      );
    }
    // Bob's hash with a cost bcryptjs would spend minutes on, and Carol's of a scheme we do not verify.
    db.prepare("UPDATE users SET password_hash = ? WHERE user_id = 'u-bob'").run(`$2b$31$${'a'.repeat(53)}`);
    db.prepare("UPDATE users SET password_hash = ? WHERE user_id = 'u-carol'").run('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
    db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public) VALUES (?, ?, ?, 0)').run(
      '../outside',
      JSON.stringify({ ...big, id: '../outside', meta: { ...big.meta, category: 'user' } }),
      'u-admin',
    );
    // An InvokeAI account (not InvokeAI's system row) under the email of Flowshelf's system user.
    db.prepare("UPDATE users SET user_id = 'u-imposter' WHERE user_id = 'system'").run();
    db.close();
    const folder = join(dir, 'thumbs');
    mkdirSync(folder);
    const thumb = join(folder, `${ids[0]}.webp`);
    writeFileSync(thumb, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#08f' } }).png().toBuffer());
    // A file over the upload limit is refused before it is read (a sparse file: no disk used).
    const huge = join(folder, `${ids[1]}.webp`);
    closeSync(openSync(huge, 'w'));
    truncateSync(huge, 32 * 1024 * 1024 + 1);
    // A crafted id naming a file outside the folder finds nothing there.
    writeFileSync(join(dir, 'outside.webp'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).webp().toBuffer());
    const dataDir = join(dir, 'data');

    const bad = await run('cli.js', ['import-invokeai', source, '--thumbnails', folder, '--user-quota-mb', 'lots', '--data-dir', dataDir]);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'flowshelf import-invokeai: --user-quota-mb must be an integer from 0 to 1048576, got "lots" (see: flowshelf help import-invokeai)']);

    const done = await run('cli.js', ['import-invokeai', source, '--thumbnails', folder, '--data-dir', dataDir], { FLOWSHELF_USER_QUOTA_MB: '1' });
    expect(done.code, done.stderr).toBe(0);
    const lines = done.stdout.trimEnd().split('\n');
    expect(lines).toContain('create user bob@example.com (user, active) without a password: its bcrypt cost 31 is outside 4..14 (an administrator must set one)');
    expect(lines).toContain('create user carol@example.com (user, inactive) without a password: its password hash is not bcrypt (an administrator must set one)');
    expect(lines).toContain("skip user system@system.invokeai: the email of Flowshelf's system user (their workflows are skipped too)");
    expect(lines).toContain(`skip thumbnail ${huge}: larger than the 33554432-byte upload limit`);
    expect(lines).toContain('import ../outside "Upscaler - SD1.5, Tiled" for admin@example.com (private, no thumbnail)');
    expect(lines.find((l) => l.startsWith(`skip thumbnail ${thumb}: `))).toMatch(/: Your library is over its storage quota \(\d+\.\d of 1\.0 MB\)/);
    expect(lines.at(-1)).toBe(
      '37 workflow(s) imported, 0 skipped, 5 user(s) created (3 with their InvokeAI password), 0 existing user(s) kept; thumbnails: 0 imported, 35 missing, 2 refused',
    );
    expect(hashOf(dataDir, 'bob@example.com')).toBe('');
    const ts = await serve(dataDir);
    const refused = await api(ts)('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: PEOPLE.bob.password });
    expect([refused.status, refused.body]).toEqual([401, { detail: 'Incorrect email or password' }]);
    const imposter = await api(ts)('POST', '/api/v1/auth/login', { email: 'system@system.invokeai', password: SYSTEM.password });
    expect([imposter.status, imposter.body]).toEqual([401, { detail: 'Incorrect email or password' }]);
  });
});
