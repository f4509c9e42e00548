// Issue 9, finding 4: a workflow id belongs to one library (or to the defaults) for good. User B writes,
// with the stock y-websocket client, an entry under the id of A's shared workflow (as seen in `public`)
// into library/B, shared and with an old created_at: it is quarantined (kept, invalid for B with the
// reason), `public` and everyone's REST keep serving A's workflow, B's thumbnail PUT/DELETE on that id
// (or on a default's id) is refused and A's image is untouched, also after a restart that reindexes
// every library from scratch, and after A deletes the workflow.
import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import * as Y from 'yjs';
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { jsonToY, publicMap, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { api, createUser, setupAdmin, startTestServer, storeSql, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { userWorkflow } from '../api/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<{ ts: TestServer; restart(): Promise<TestServer> }> {
  const holder = { ts: await startTestServer() };
  cleanups.push(() => holder.ts.close());
  return {
    get ts() {
      return holder.ts;
    },
    async restart() {
      holder.ts = await holder.ts.restart();
      return holder.ts;
    },
  };
}

function client(ts: TestServer, document: string, user: TestUser): Client {
  const c = connect(ts.wsUrl, document, user.token);
  cleanups.push(() => c.destroy());
  return c;
}

/** What a hostile client writes: an entry under `id`, shared, claiming to be older than anything. */
function writeForeignEntry(doc: Y.Doc, id: string, name: string): void {
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    entry.set('workflow', jsonToY({ ...userWorkflow(name), id } as never));
    entry.set('is_public', true);
    entry.set('created_at', '2000-01-01T00:00:00.000Z');
    entry.set('updated_at', '2000-01-01T00:00:00.000Z');
    entry.set('opened_at', null);
    workflowsMap(doc).set(id, entry);
  });
}

async function image(color: string): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: color } }).png().toBuffer();
}

async function putThumbnail(ts: TestServer, token: string, id: string, png: Buffer): Promise<{ status: number; detail: unknown }> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'thumb.png');
  const res = await fetch(`${ts.url}/api/v1/workflows/i/${encodeURIComponent(id)}/thumbnail`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, detail: text === '' ? null : (JSON.parse(text) as { detail?: unknown } | null)?.detail };
}

async function thumbnailBytes(ts: TestServer, id: string): Promise<Buffer | null> {
  const res = await fetch(`${ts.url}/api/v1/workflows/i/${encodeURIComponent(id)}/thumbnail`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Resolves once the user's own REST listing shows an entry under `id` (their client's edit arrived). */
async function untilListed(ts: TestServer, user: TestUser, id: string): Promise<void> {
  let listed = false;
  const check = async () => {
    const items = (await api(ts, user.token)('GET', '/api/v1/workflows?categories=user&per_page=100')).body.items as { workflow_id: string; user_id: string }[];
    listed = items.some((i) => i.workflow_id === id && i.user_id === user.userId);
  };
  const deadline = Date.now() + 5000;
  for (await check(); !listed; await check()) {
    if (Date.now() > deadline) throw new Error(`${user.email}'s entry ${id} never reached the index`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function people(ts: TestServer) {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1', displayName: 'Bob' });
  const carol = await createUser(ts, admin.token, { email: 'carol@example.com', password: 'carol-password-1' });
  return { admin, alice, bob, carol };
}

/** Everything a reader other than A and B sees of the id, and what B is told. */
async function expectOwnedByAlice(ts: TestServer, id: string, users: Awaited<ReturnType<typeof people>>, aliceImage: Buffer) {
  const { admin, alice, bob, carol } = users;
  const reader = client(ts, PUBLIC_DOCUMENT, carol);
  await synced(reader);
  const entry = publicMap(reader.doc).get(id) as { user_id: string; workflow: { name: string } } | undefined;
  expect(entry?.user_id).toBe(alice.userId);
  expect(entry?.workflow.name).toBe('Alice original');
  for (const other of [carol, admin]) {
    const got = await api(ts, other.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ user_id: alice.userId, name: 'Alice original' });
    const listed = await api(ts, other.token)('GET', '/api/v1/workflows?categories=user&is_public=true&per_page=100');
    expect(listed.body.items.filter((i: { workflow_id: string }) => i.workflow_id === id).map((i: { user_id: string }) => i.user_id)).toEqual([
      alice.userId,
    ]);
  }
  const mine = await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user&per_page=100');
  const quarantined = mine.body.items.find((i: { workflow_id: string; user_id: string }) => i.workflow_id === id && i.user_id === bob.userId);
  expect(quarantined?.invalid_reason).toMatch(/belongs to another library/);
  expect(await thumbnailBytes(ts, id)).toEqual(aliceImage);
}

describe('workflow ids cannot be taken over', () => {
  it('an entry under another library\'s shared id is quarantined: public, REST and the thumbnail stay the owner\'s, also after a full reindex', async () => {
    const s = await server();
    const users = await people(s.ts);
    const { alice, bob } = users;
    const created = await api(s.ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Alice original') });
    const id: string = created.body.workflow_id;
    expect((await api(s.ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true })).status).toBe(200);
    expect((await putThumbnail(s.ts, alice.token, id, await image('#00ff00'))).status).toBe(200);
    const aliceImage = (await thumbnailBytes(s.ts, id))!;

    // B copies the id from `public` into their own library, shared and "older".
    const own = client(s.ts, libraryDocument(bob.userId), bob);
    await synced(own);
    writeForeignEntry(own.doc, id, 'Hijacked');
    // REST reads index every committed client edit first: once B's list shows the entry, it is indexed.
    await untilListed(s.ts, bob, id);
    // Kept in B's document: nothing is deleted from a user's library.
    expect(workflowsMap(own.doc).has(id)).toBe(true);

    // B's thumbnail writes on the id are refused and A's image is untouched.
    const put = await putThumbnail(s.ts, bob.token, id, await image('#ff0000'));
    expect(put.status).toBe(403);
    expect(put.detail).toMatch(/belongs to another library/);
    expect((await api(s.ts, bob.token)('DELETE', `/api/v1/workflows/i/${id}/thumbnail`)).status).toBe(403);
    // B reading the id gets their own quarantined copy explained, not A's workflow replaced.
    const bobGet = await api(s.ts, bob.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(bobGet.status).toBe(422);
    expect(bobGet.body.detail[0].msg).toMatch(/belongs to another library/);
    await expectOwnedByAlice(s.ts, id, users, aliceImage);

    // After a restart that rebuilds the whole index from the documents (B's library may well be
    // indexed first), ownership is the same: it is recorded, not derived from timestamps.
    await s.ts.server.close();
    const stored = await s.ts.openStore();
    await storeSql(stored, 'DELETE FROM workflow_index');
    await storeSql(stored, 'DELETE FROM workflow_index_state');
    await stored.close();
    const ts = await s.restart();
    await expectOwnedByAlice(ts, id, users, aliceImage);

    // A deletes the workflow: the id stays A's, so B's copy is still quarantined and never published.
    expect((await api(ts, alice.token)('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    // The publisher removes it from `public` after the delete answers (it runs on its own, so a
    // publishing budget never holds a REST call): wait for the removal, then B's quarantined copy must
    // not take its place.
    const reader = client(ts, PUBLIC_DOCUMENT, users.carol);
    await synced(reader);
    await waitFor(() => !publicMap(reader.doc).has(id), 'A\'s deleted workflow to leave public');
    expect((await api(ts, users.carol.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
    expect(publicMap(reader.doc).has(id)).toBe(false);
    const mine = await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user&per_page=100');
    expect(mine.body.items.find((i: { workflow_id: string }) => i.workflow_id === id)?.invalid_reason).toMatch(/belongs to another library/);
    expect((await putThumbnail(ts, bob.token, id, await image('#ff0000'))).status).toBe(403);
    expect(await thumbnailBytes(ts, id)).toBeNull();
  });

  it('a default workflow\'s id copied into a library never gets a thumbnail from it', async () => {
    const s = await server();
    const { bob, carol } = await people(s.ts);
    const reader = client(s.ts, PUBLIC_DOCUMENT, carol);
    await synced(reader);
    const defaultId = [...publicMap(reader.doc).keys()].find((k) => k.startsWith('default_'))!;
    expect(defaultId).toBeDefined();

    const own = client(s.ts, libraryDocument(bob.userId), bob);
    await synced(own);
    writeForeignEntry(own.doc, defaultId, 'Hijacked default');
    await untilListed(s.ts, bob, defaultId);
    const put = await putThumbnail(s.ts, bob.token, defaultId, await image('#ff0000'));
    expect(put.status).toBe(403);
    expect((await api(s.ts, bob.token)('DELETE', `/api/v1/workflows/i/${defaultId}/thumbnail`)).status).toBe(403);
    expect(await thumbnailBytes(s.ts, defaultId)).toBeNull();
    const entry = publicMap(reader.doc).get(defaultId) as { user_id: string; category: string; thumbnail?: string };
    expect(entry).toMatchObject({ user_id: 'system', category: 'default' });
    expect(entry.thumbnail).toBeUndefined();
    expect((await api(s.ts, carol.token)('GET', `/api/v1/workflows/i/${defaultId}`)).body).toMatchObject({ user_id: 'system' });
  });
});
