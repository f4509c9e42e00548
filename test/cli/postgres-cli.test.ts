// The account and workflow commands on PostgreSQL (--database-url), run as the built CLI against a real
// PostgreSQL (and Redis) from the services harness, with a real node on the same database: the first
// administrator made from the command line logs in on a node; a user removed or given a new password
// from the command line loses their open socket on a live node, through Redis's user events when
// --redis-url is given and through the node's periodic recheck without it; workflows import/export and
// import-invokeai write into and read from PostgreSQL, and refuse while a node runs on it.
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, libraryDocument } from '../../shared/protocol.js';
import { RedisUserEvents } from '../../server/cluster/user-events.js';
import { MAINTENANCE_LEASE } from '../../server/library/library.js';
import { openBackend } from '../../server/storage/backend.js';
import { fixtures, userWorkflow } from '../api/fixtures.js';
import { api, login, startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../helpers/services.js';
import { rawSocket, waitFor } from '../sync/clients.js';
import { ensureBuilt, run } from './built.js';

let postgres: PostgresService;
let redis: RedisService;
beforeAll(async () => {
  ensureBuilt();
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 180_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A node on `databaseUrl` (and Redis when asked), closed after the test; resolves once it holds the
 * library's maintenance lease (its first maintenance round), which is how the CLI tells a node runs.
 */
async function node(databaseUrl: string, withRedis: boolean): Promise<TestServer> {
  const ts = await startTestServer({ config: { databaseUrl, redisUrl: withRedis ? redis.url : null } });
  cleanups.push(() => ts.close());
  const store = await ts.openStore();
  try {
    // A probe of 1 ms: when granted (the node has not taken it yet) it is free again at once.
    await waitFor(async () => !(await store.leases.tryAcquire(MAINTENANCE_LEASE, 'test-probe', 1)), "the node's maintenance lease", 15_000);
  } finally {
    await store.close();
  }
  return ts;
}

/** The ports over a PostgreSQL database, as another process opens them. */
function openStoreOf(databaseUrl: string) {
  return openBackend({ dataDir: tmpdir(), databaseUrl }, { log: () => {} });
}

/** The built CLI with the database given by flag (or by FLOWSHELF_DATABASE_URL when `viaEnv`). */
function cli(databaseUrl: string, args: string[], options: { redis?: boolean; viaEnv?: boolean } = {}) {
  const store = options.viaEnv ? [] : ['--database-url', databaseUrl];
  const env = options.viaEnv ? { FLOWSHELF_DATABASE_URL: databaseUrl } : {};
  return run('cli.js', [...args, ...store, ...(options.redis ? ['--redis-url', redis.url] : [])], env);
}

/** An open socket on `userId`'s library, synced far enough to be accepted. */
async function librarySocket(ts: TestServer, userId: string, token: string) {
  const socket = rawSocket(`${ts.wsUrl}/${libraryDocument(userId)}?token=${encodeURIComponent(token)}`);
  cleanups.push(() => socket.ws.terminate());
  await socket.opened;
  await waitFor(() => socket.frames.length > 0, 'the first sync frame');
  return socket;
}

describe('flowshelf user on PostgreSQL', () => {
  it('creates the first administrator on an empty database; a node on it logs them in', async () => {
    const url = await postgres.createDatabase();
    const added = await cli(url, ['user', 'add', '--email', 'Root@Example.com', '--password', 'root-password-1', '--admin', '--name', 'Root']);
    expect(added.stderr).toBe('');
    expect([added.code, added.stdout]).toEqual([0, expect.stringMatching(/^added administrator root@example\.com \([0-9a-f-]{36}\)\n$/)]);
    // FLOWSHELF_DATABASE_URL finds the same database, as the server's does.
    expect((await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1'], { viaEnv: true })).code).toBe(0);
    const listed = await cli(url, ['user', 'list']);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^root@example\.com\s+Root\s+yes\s+yes\s+set\s+[0-9a-f-]{36}$/);
    expect(lines[2]).toMatch(/^bob@example\.com\s+no\s+yes\s+set\s+[0-9a-f-]{36}$/);

    const ts = await node(url, false);
    expect((await api(ts)('GET', '/api/v1/auth/status')).body.setup_required).toBe(false);
    const root = await login(ts, 'root@example.com', 'root-password-1');
    expect((await api(ts, root.token)('GET', '/api/v1/auth/me')).body).toMatchObject({ email: 'root@example.com', is_admin: true });
  });

  it('the same refusals and messages as on SQLite', async () => {
    const url = await postgres.createDatabase();
    expect((await cli(url, ['user', 'add', '--email', 'ann@example.com', '--password', 'ann-password-1', '--admin'])).code).toBe(0);
    expect(await cli(url, ['user', 'remove', '--email', 'ann@example.com'])).toMatchObject({
      code: 1,
      stderr: 'flowshelf user: Cannot delete the last administrator\n',
    });
    expect(await cli(url, ['user', 'add', '--email', 'ANN@example.com', '--password', 'other-password'])).toMatchObject({
      code: 1,
      stderr: 'flowshelf user: User with email ann@example.com already exists\n',
    });
    expect(await cli(url, ['user', 'set-password', '--email', 'nobody@example.com', '--password', 'new-password-1'])).toMatchObject({
      code: 1,
      stderr: 'flowshelf user: no user with email nobody@example.com\n',
    });
    expect(await cli(url, ['user', 'set-password', '--email', 'ann@example.com', '--password', 'short'])).toMatchObject({
      code: 1,
      stderr: 'flowshelf user: Password must be at least 8 characters\n',
    });
    // Flags parsed as the server parses them: a bad URL and Redis without PostgreSQL name the flag.
    const badUrl = await run('cli.js', ['user', 'list', '--database-url', 'mysql://x']);
    expect([badUrl.code, badUrl.stderr.trimEnd().split('\n')]).toEqual([2, [expect.stringMatching(/^flowshelf user: --database-url .*\(see: flowshelf help user\)$/)]]);
    const redisOnly = await run('cli.js', ['user', 'list', '--redis-url', redis.url]);
    expect(redisOnly).toMatchObject({
      code: 2,
      stderr: 'flowshelf user: --redis-url needs --database-url: nodes linked by Redis must share one PostgreSQL database (see: flowshelf help user)\n',
    });
    // An unreachable database: one line naming it without its password, exit 1.
    const port = postgres.port;
    const away = await run('cli.js', ['user', 'list', '--database-url', `postgres://someone:secret-pw@127.0.0.1:${port + 1}/nothing`]);
    expect(away.code).toBe(1);
    expect(away.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(away.stderr).toMatch(/^flowshelf user: cannot open PostgreSQL/);
    expect(away.stderr).not.toContain('secret-pw');
  });

  it('user remove with --redis-url: the user is cut on a live node at once (4403), the event is on Redis, the node removes the library', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'root@example.com', '--password', 'root-password-1', '--admin']);
    await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1']);
    const ts = await node(url, true);
    const bob = await login(ts, 'bob@example.com', 'bob-password-1');
    const created = await api(ts, bob.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Bob private') });
    expect(created.status).toBe(200);
    const socket = await librarySocket(ts, bob.userId, bob.token);
    const heard: string[] = [];
    const listener = await RedisUserEvents.connect({ url: redis.url, log: () => {} });
    cleanups.push(() => listener.close());
    listener.subscribe((userId) => heard.push(userId));

    const removed = await cli(url, ['user', 'remove', '--email', 'bob@example.com'], { redis: true });
    expect(removed.stderr).toBe('');
    // The node holds the maintenance lease, so the running nodes remove the library (as beside a SQLite server).
    expect([removed.code, removed.stdout]).toEqual([0, `removed bob@example.com (${bob.userId}); the running nodes remove their library\n`]);
    expect(heard).toContain(bob.userId);
    expect((await socket.closed).code).toBe(CloseCode.Forbidden);
    expect((await api(ts, bob.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    const root = await login(ts, 'root@example.com', 'root-password-1');
    await waitFor(
      async () => (await api(ts, root.token)('GET', `/api/v1/workflows/i/${created.body.workflow_id}`)).status === 404,
      "the node's removal of bob's library",
      15_000,
    );
  });

  it('user set-password with --redis-url closes the socket of the old session (4401) and the new password logs in', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'root@example.com', '--password', 'root-password-1', '--admin']);
    await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1']);
    const ts = await node(url, true);
    const bob = await login(ts, 'bob@example.com', 'bob-password-1');
    const socket = await librarySocket(ts, bob.userId, bob.token);
    const heard: string[] = [];
    const listener = await RedisUserEvents.connect({ url: redis.url, log: () => {} });
    cleanups.push(() => listener.close());
    listener.subscribe((userId) => heard.push(userId));

    const changed = await cli(url, ['user', 'set-password', '--email', 'bob@example.com', '--password', 'bob-new-password-1'], { redis: true });
    expect([changed.code, changed.stdout, changed.stderr]).toEqual([
      0,
      `set a new password for bob@example.com (${bob.userId}); their sessions are signed out\n`,
      '',
    ]);
    expect(heard).toContain(bob.userId);
    expect((await socket.closed).code).toBe(CloseCode.Unauthorized);
    expect((await api(ts, bob.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    const refused = await api(ts)('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: 'bob-password-1' });
    expect(refused.status).toBe(401);
    await login(ts, 'bob@example.com', 'bob-new-password-1');
  });

  it('without Redis, the node finds the removed user by its periodic recheck (4403)', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'root@example.com', '--password', 'root-password-1', '--admin']);
    await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1']);
    const ts = await node(url, false);
    const bob = await login(ts, 'bob@example.com', 'bob-password-1');
    const socket = await librarySocket(ts, bob.userId, bob.token);
    expect((await cli(url, ['user', 'remove', '--email', 'bob@example.com'])).code).toBe(0);
    expect((await socket.closed).code).toBe(CloseCode.Forbidden);
  });

  it('user remove with no node running removes the stored library too, as on SQLite', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'root@example.com', '--password', 'root-password-1', '--admin']);
    await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1']);
    const dir = tempDir('flowshelf-pg-cli-');
    const input = join(dir, 'in.json');
    writeFileSync(input, JSON.stringify(fixtures()[0]!.json));
    expect((await cli(url, ['workflows', 'import', input, '--email', 'bob@example.com'])).code).toBe(0);
    // A node indexes it and keeps a version of a REST create; then every node stops (the lease goes with it).
    const first = await node(url, false);
    const bob = await login(first, 'bob@example.com', 'bob-password-1');
    const created = await api(first, bob.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Bob versioned') });
    expect(created.status).toBe(200);
    await first.close();
    const before = await openStoreOf(url);
    expect((await before.versions.bytesByOwner()).get(bob.userId)).toBeGreaterThan(0);
    await before.close();

    const removed = await cli(url, ['user', 'remove', '--email', 'bob@example.com']);
    expect(removed.stderr).toBe('');
    expect([removed.code, removed.stdout]).toEqual([0, `removed bob@example.com (${bob.userId}) and their library (2 workflows)\n`]);
    // The stored document, its index rows and the versions are gone: a node starting now has nothing of bob's.
    const ts = await node(url, false);
    const store = await ts.openStore();
    cleanups.push(() => store.close());
    expect((await store.documents.storedSeqs(libraryDocument(bob.userId))).size).toBe(0);
    expect(await store.index.usersWithRows()).not.toContain(bob.userId);
    expect((await store.versions.bytesByOwner()).has(bob.userId)).toBe(false);
  });
});

/** A small InvokeAI database (migration 28's columns) with one user and two workflows of theirs. */
function invokeaiSource(dir: string): string {
  const file = join(dir, 'invokeai.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE workflow_library (workflow_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, created_at DATETIME, updated_at DATETIME,
      opened_at DATETIME, user_id TEXT NOT NULL DEFAULT 'system', is_public BOOLEAN NOT NULL DEFAULT FALSE);
    CREATE TABLE users (user_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT, password_hash TEXT NOT NULL,
      is_admin BOOLEAN NOT NULL DEFAULT FALSE, is_active BOOLEAN NOT NULL DEFAULT TRUE, created_at DATETIME);
  `);
  db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)').run('u-alice', 'alice@example.com', 'Alice', 'x', 0, 1, '2025-01-01 00:00:00.000');
  const insert = db.prepare('INSERT INTO workflow_library VALUES (?, ?, ?, ?, NULL, ?, ?)');
  const [a, b] = fixtures();
  for (const [id, fixture, isPublic] of [['11111111-1111-4111-8111-111111111111', a!, 1], ['22222222-2222-4222-8222-222222222222', b!, 0]] as const) {
    const workflow = { ...fixture.json, id, meta: { ...(fixture.json.meta as object), category: 'user' } };
    insert.run(id, JSON.stringify(workflow), '2025-02-01 00:00:00.000', '2025-02-01 00:00:00.000', 'u-alice', isPublic);
  }
  db.close();
  return file;
}

describe('workflows and import-invokeai on PostgreSQL', () => {
  it('workflows import writes into PostgreSQL, a node serves it, export reads it back; refused while a node runs', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'bob@example.com', '--password', 'bob-password-1', '--admin']);
    const dir = tempDir('flowshelf-pg-wf-');
    const [a, b] = fixtures();
    const inputs = [a!, b!].map((f, i) => {
      const path = join(dir, `in-${i}.json`);
      writeFileSync(path, JSON.stringify(f.json));
      return path;
    });
    const imported = await cli(url, ['workflows', 'import', ...inputs, '--email', 'bob@example.com', '--shared']);
    expect(imported.stderr).toBe('');
    expect(imported.stdout.trimEnd().split('\n').at(-1)).toMatch(/^2 workflow\(s\) imported for bob@example.com/);

    const ts = await node(url, false);
    const bob = await login(ts, 'bob@example.com', 'bob-password-1');
    const mine = (await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user')).body.items as any[];
    expect(mine.map((i) => i.name).sort()).toEqual([a!.json.name, b!.json.name].sort());
    expect(mine.every((i) => i.is_public && i.user_id === bob.userId)).toBe(true);

    // Beside a live node: export reads; import is refused with one line and writes nothing.
    const out = join(dir, 'out');
    const exported = await cli(url, ['workflows', 'export', '--email', 'bob@example.com', '--out', out]);
    expect(exported.stdout.trimEnd().split('\n').at(-1)).toBe(`2 workflow(s) exported to ${out}`);
    const back = JSON.parse(readFileSync(join(out, `${a!.json.name}.json`), 'utf8'));
    expect(back.nodes).toEqual(a!.json.nodes);
    expect(back.tags.split(', ')).toContain('shared');
    const refused = await cli(url, ['workflows', 'import', inputs[0]!, '--email', 'bob@example.com']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^flowshelf workflows: a Flowshelf node is running on postgres:\/\/.*: stop every node first\n$/);
    expect(refused.stderr).not.toContain(new URL(url).password || '\u0000');
    expect((await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user')).body.items).toHaveLength(2);
  });

  it('import-invokeai brings accounts and workflows into PostgreSQL; a dry run writes none; a rerun imports nothing twice', async () => {
    const url = await postgres.createDatabase();
    await cli(url, ['user', 'add', '--email', 'root@example.com', '--password', 'root-password-1', '--admin']);
    const dir = tempDir('flowshelf-pg-import-');
    const source = invokeaiSource(dir);
    const dry = await cli(url, ['import-invokeai', source, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.stdout.trimEnd().split('\n').at(-1)).toBe(
      'dry run: 2 workflow(s) to import, 0 skipped, 1 user(s) to create (0 with their InvokeAI password), 0 existing user(s) kept',
    );
    expect((await cli(url, ['user', 'list'])).stdout).not.toContain('alice@example.com');

    const done = await cli(url, ['import-invokeai', source]);
    expect(done.stderr).toBe('');
    expect(done.stdout.trimEnd().split('\n').at(-1)).toBe(
      '2 workflow(s) imported, 0 skipped, 1 user(s) created (0 with their InvokeAI password), 0 existing user(s) kept',
    );
    const again = await cli(url, ['import-invokeai', source]);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe(
      '0 workflow(s) imported, 2 skipped, 0 user(s) created (0 with their InvokeAI password), 1 existing user(s) kept',
    );

    const ts = await node(url, false);
    const root = await login(ts, 'root@example.com', 'root-password-1');
    const all = (await api(ts, root.token)('GET', '/api/v1/workflows?categories=user')).body.items as any[];
    expect(all.map((i) => [i.workflow_id, i.is_public]).sort()).toEqual([
      ['11111111-1111-4111-8111-111111111111', true],
      ['22222222-2222-4222-8222-222222222222', false],
    ]);
    const alice = (await api(ts, root.token)('GET', '/api/v1/auth/users')).body.find((u: any) => u.email === 'alice@example.com');
    expect(all.every((i) => i.user_id === alice.user_id)).toBe(true);
    // Refused while a node runs on the database.
    const refused = await cli(url, ['import-invokeai', source]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^flowshelf import-invokeai: a Flowshelf node is running on .*: stop every node first\n$/)]);
  });
});
