import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, login, startTestServer, type TestServer } from '../helpers/server.js';
import { ensureBuilt, run } from './built.js';

beforeAll(() => ensureBuilt(), 120_000);

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-cli-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const user = (...args: string[]) => run('cli.js', ['user', ...args, '--data-dir', dataDir]);

describe('flowshelf user', () => {
  it('adds, lists and removes users', async () => {
    const added = await user('add', '--email', 'Ann@Example.com', '--password', 'ann-password-1', '--admin', '--name', 'Ann');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^added administrator ann@example\.com \([0-9a-f-]{36}\)\n$/);
    expect((await user('add', '--email', 'bob@example.com', '--password', 'bob-password-1')).code).toBe(0);

    const listed = await user('list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^email\s+name\s+admin\s+active\s+password\s+id$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 1)[0])).toEqual(['ann@example.com', 'bob@example.com']);
    expect(lines[1]).toMatch(/^ann@example\.com\s+Ann\s+yes\s+yes\s+set\s+[0-9a-f-]{36}$/);
    expect(lines[2]).toMatch(/^bob@example\.com\s+no\s+yes\s+set\s+[0-9a-f-]{36}$/);
    expect(listed.stdout).not.toContain('system');

    const removed = await user('remove', '--email', 'bob@example.com');
    expect(removed.code).toBe(0);
    expect((await user('list')).stdout).not.toContain('bob@example.com');
  });

  it('finds the database through FLOWSHELF_DATA_DIR like the server', async () => {
    const added = await run('cli.js', ['user', 'add', '--email', 'env@example.com', '--password', 'env-password-1'], {
      FLOWSHELF_DATA_DIR: dataDir,
    });
    expect(added.code).toBe(0);
    expect((await user('list')).stdout).toContain('env@example.com');
  });

  it('refuses to remove the last administrator, with one line and exit 1', async () => {
    await user('add', '--email', 'ann@example.com', '--password', 'ann-password-1', '--admin');
    const res = await user('remove', '--email', 'ann@example.com');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('flowshelf user: Cannot delete the last administrator\n');
    expect((await user('list')).stdout).toContain('ann@example.com');
  });

  it('refuses a password the API would refuse (shorter than 8), with one line and exit 1', async () => {
    const res = await user('add', '--email', 'ann@example.com', '--password', 'short');
    expect(res).toMatchObject({ code: 1, stderr: 'flowshelf user: Password must be at least 8 characters\n' });
    expect((await user('list')).stdout).not.toContain('ann@example.com');
  });

  it('reports a duplicate email and an unknown user with one line and exit 1', async () => {
    await user('add', '--email', 'ann@example.com', '--password', 'ann-password-1');
    const dup = await user('add', '--email', 'ANN@example.com', '--password', 'other-password');
    expect(dup).toMatchObject({ code: 1, stderr: 'flowshelf user: User with email ann@example.com already exists\n' });
    const missing = await user('remove', '--email', 'nobody@example.com');
    expect(missing).toMatchObject({ code: 1, stderr: 'flowshelf user: no user with email nobody@example.com\n' });
    const badEmail = await user('add', '--email', 'not-an-email', '--password', 'password-1');
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('usage errors exit 2 with one line', async () => {
    for (const args of [['add', '--password', 'p'], ['add', '--email', 'a@example.com', '--pasword', 'p'], ['frobnicate'], []]) {
      const res = await user(...args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const unknown = await run('cli.js', ['nonsense']);
    expect(unknown).toMatchObject({ code: 2, stderr: 'flowshelf: unknown command "nonsense" (try: flowshelf help)\n' });
  });
});

describe('flowshelf user beside a running server', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ dataDir });
  });
  afterEach(async () => {
    await ts.close();
  });

  it('a user added by the CLI can log in at once; one removed by it loses access at once', async () => {
    expect((await user('add', '--email', 'admin@example.com', '--password', 'admin-password-1', '--admin')).code).toBe(0);
    expect((await api(ts)('GET', '/api/v1/auth/status')).body.setup_required).toBe(false);
    const admin = await login(ts, 'admin@example.com', 'admin-password-1');

    expect((await user('add', '--email', 'bob@example.com', '--password', 'bob-password-1')).code).toBe(0);
    const bob = await login(ts, 'bob@example.com', 'bob-password-1');
    expect((await api(ts, bob.token)('GET', '/api/v1/auth/me')).status).toBe(200);

    expect((await user('remove', '--email', 'bob@example.com')).code).toBe(0);
    expect((await api(ts, bob.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    expect(await ts.server.services.identity.current(bob.userId)).toBeNull();
    expect((await api(ts, admin.token)('GET', '/api/v1/auth/users')).body).toHaveLength(1);
  });
  it('set-password beside a running server: the old session and password are refused, the new one logs in', async () => {
    expect((await user('add', '--email', 'admin@example.com', '--password', 'admin-password-1', '--admin')).code).toBe(0);
    const admin = await login(ts, 'admin@example.com', 'admin-password-1');
    const changed = await user('set-password', '--email', 'admin@example.com', '--password', 'admin-password-2');
    expect([changed.code, changed.stdout, changed.stderr]).toEqual([
      0,
      `set a new password for admin@example.com (${admin.userId}); their sessions are signed out\n`,
      '',
    ]);
    expect((await api(ts, admin.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await api(ts)('POST', '/api/v1/auth/login', { email: 'admin@example.com', password: 'admin-password-1' })).status).toBe(401);
    await login(ts, 'admin@example.com', 'admin-password-2');
    expect(await user('set-password', '--email', 'admin@example.com')).toMatchObject({ code: 2 });
  });
});
