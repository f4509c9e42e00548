// Issue 9, finding 9: deleting a user removes what they owned, whichever way they are deleted. The CLI's
// `user remove` (the built CLI, the server stopped) and then a restart: nothing of theirs in `public`
// (read with the stock client), nor served over REST, nor their thumbnail; their ids stay theirs, so no
// other library can take one over. The same beside a running server (the server's sweep removes the
// library), through the API, and for a user row deleted behind the server's back (the start-up check).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import * as Y from 'yjs';
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { jsonToY, publicMap, workflowsMap } from '../../shared/workflow/index.js';
import { api, createUser, setupAdmin, startTestServer, storeSql, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { ensureBuilt, run } from '../cli/built.js';
import { userWorkflow } from '../api/fixtures.js';
import { onPostgres } from '../helpers/test-backend.js';

beforeAll(() => ensureBuilt(), 120_000);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-delete-user-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(dir: string): Promise<TestServer> {
  const ts = await startTestServer({ dataDir: dir });
  let closed = false;
  cleanups.push(() => (closed ? undefined : ts.close()));
  const close = ts.close.bind(ts);
  ts.close = async () => {
    closed = true;
    await close();
  };
  return ts;
}

function client(ts: TestServer, document: string, user: TestUser): Client {
  const c = connect(ts.wsUrl, document, user.token);
  cleanups.push(() => c.destroy());
  return c;
}

interface World {
  admin: TestUser;
  alice: TestUser;
  bob: TestUser;
  /** Alice's shared workflow, with a thumbnail. */
  sharedId: string;
}

/** Alice shares a workflow with a thumbnail and records an open; bob is the other reader. */
async function world(ts: TestServer): Promise<World> {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  const asAlice = api(ts, alice.token);
  const created = await asAlice('POST', '/api/v1/workflows', { workflow: userWorkflow('Alice shares this') });
  const sharedId: string = created.body.workflow_id;
  expect((await asAlice('PATCH', `/api/v1/workflows/i/${sharedId}/is_public`, { is_public: true })).status).toBe(200);
  const form = new FormData();
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#0000ff' } }).png().toBuffer();
  form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'thumb.png');
  const put = await fetch(`${ts.url}/api/v1/workflows/i/${sharedId}/thumbnail`, { method: 'PUT', headers: { authorization: `Bearer ${alice.token}` }, body: form });
  expect(put.status).toBe(200);
  expect((await asAlice('PUT', `/api/v1/workflows/i/${sharedId}/opened_at`)).status).toBe(200);
  // Bob sees it before.
  expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${sharedId}`)).status).toBe(200);
  return { admin, alice, bob, sharedId };
}

/** Nothing of alice's is served or published; her id cannot be taken over by bob. */
async function expectAliceGone(ts: TestServer, w: World, timeoutMs = 5000): Promise<void> {
  const pub = client(ts, PUBLIC_DOCUMENT, w.bob);
  await synced(pub);
  await waitFor(() => !publicMap(pub.doc).has(w.sharedId), 'alice\'s workflow gone from public', timeoutMs);
  for (const entry of publicMap(pub.doc).values()) expect((entry as { user_id: string }).user_id).not.toBe(w.alice.userId);
  for (const reader of [w.bob, w.admin]) {
    expect((await api(ts, reader.token)('GET', `/api/v1/workflows/i/${w.sharedId}`)).status).toBe(404);
    const listed = await api(ts, reader.token)('GET', '/api/v1/workflows?per_page=1000');
    expect(listed.body.items.filter((i: { user_id: string }) => i.user_id === w.alice.userId)).toEqual([]);
  }
  expect((await fetch(`${ts.url}/api/v1/workflows/i/${w.sharedId}/thumbnail`)).status).toBe(404);
  const [left] = await storeSql(
    ts.server.backend,
    `SELECT (SELECT COUNT(*) FROM workflow_index WHERE user_id = ?) + (SELECT COUNT(*) FROM workflow_opened WHERE user_id = ?)
      + (SELECT COUNT(*) FROM workflow_thumbnails WHERE user_id = ?) AS n`,
    [w.alice.userId, w.alice.userId, w.alice.userId],
  );
  expect(Number(left!.n)).toBe(0);
}

/** The id stays alice's: bob cannot reuse it, it is never published again. */
async function expectIdStillAlices(ts: TestServer, w: World): Promise<void> {
  const pub = client(ts, PUBLIC_DOCUMENT, w.admin);
  await synced(pub);
  const own = client(ts, libraryDocument(w.bob.userId), w.bob);
  await synced(own);
  own.doc.transact(() => {
    const entry = new Y.Map<unknown>();
    entry.set('workflow', jsonToY({ ...userWorkflow('Reused'), id: w.sharedId } as never));
    entry.set('is_public', true);
    entry.set('created_at', '2000-01-01T00:00:00.000Z');
    entry.set('updated_at', '2000-01-01T00:00:00.000Z');
    entry.set('opened_at', null);
    workflowsMap(own.doc).set(w.sharedId, entry);
  });
  // REST indexes every committed client edit before it answers: poll until bob's edit has arrived.
  let reason: string | undefined;
  const deadline = Date.now() + 5000;
  while (reason === undefined && Date.now() < deadline) {
    const items = (await api(ts, w.bob.token)('GET', '/api/v1/workflows?categories=user&per_page=100')).body.items;
    reason = items.find((i: { workflow_id: string }) => i.workflow_id === w.sharedId)?.invalid_reason ?? undefined;
    if (reason === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(reason).toMatch(/belongs to another library/);
  expect(publicMap(pub.doc).has(w.sharedId)).toBe(false);
}

describe('deleting a user removes their library everywhere', () => {
  it('CLI (server stopped), then a restart: nothing of theirs is in public or served', async () => {
    const dir = dataDir();
    const ts = await server(dir);
    const w = await world(ts);
    await ts.close();

    // On PostgreSQL the CLI is pointed at the server's database, as an operator would.
    const store = ts.server.config.databaseUrl === null ? [] : ['--database-url', ts.server.config.databaseUrl];
    const removed = await run('cli.js', ['user', 'remove', '--email', 'alice@example.com', '--data-dir', dir, ...store]);
    expect(removed.stderr).toBe('');
    expect(removed).toMatchObject({ code: 0, stdout: `removed alice@example.com (${w.alice.userId}) and their library (1 workflow)\n` });

    const again = await server(dir);
    await expectAliceGone(again, w);
    await expectIdStillAlices(again, w);
  });

  // SQLite only: beside a running server the CLI finds it by the data folder's lock (PostgreSQL nodes are
  // told through Redis: test/multinode).
  it.skipIf(onPostgres)('CLI beside a running server: access ends at once and the server removes the library by itself', async () => {
    const dir = dataDir();
    const ts = await server(dir);
    const w = await world(ts);
    const removed = await run('cli.js', ['user', 'remove', '--email', 'alice@example.com', '--data-dir', dir]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/the running server \(pid \d+\) removes their library/);
    expect((await api(ts, w.alice.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    // The sweep runs every ORPHAN_SWEEP_MS (5 s).
    await expectAliceGone(ts, w, 20_000);
    await ts.close();
    const again = await server(dir);
    await expectAliceGone(again, w);
    await expectIdStillAlices(again, w);
  });

  it('API: DELETE /auth/users/{id} answers once their library is gone, and it stays gone after a restart', async () => {
    const dir = dataDir();
    const ts = await server(dir);
    const w = await world(ts);
    expect((await api(ts, w.admin.token)('DELETE', `/api/v1/auth/users/${w.alice.userId}`)).status).toBe(204);
    // No waiting: the 204 comes after the removal.
    expect((await api(ts, w.bob.token)('GET', `/api/v1/workflows/i/${w.sharedId}`)).status).toBe(404);
    await expectAliceGone(ts, w);
    await ts.close();
    const again = await server(dir);
    await expectAliceGone(again, w);
    await expectIdStillAlices(again, w);
  });

  it('start-up removes the library of a user whose row is gone (as the old CLI left it), with one log line', async () => {
    const dir = dataDir();
    const ts = await server(dir);
    const w = await world(ts);
    await ts.close();
    const stored = await ts.openStore();
    await storeSql(stored, 'DELETE FROM users WHERE user_id = ?', [w.alice.userId]);
    await stored.close();

    const warn = vi.spyOn(console, 'warn');
    const again = await server(dir);
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(w.alice.userId));
    expect(lines).toEqual([`[library] removed the library of deleted user ${w.alice.userId} (1 workflow)`]);
    await expectAliceGone(again, w);
    await expectIdStillAlices(again, w);
  });
});
