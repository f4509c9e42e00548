// The library over the sync endpoint, with the stock y-websocket client: sharing in one user's library
// document reaches every other user's `public` document, invalid entries never do, REST writes reach
// open clients, and a restart rebuilds `public` and catches up with writes the index missed.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { createEntry, openedMap, publicMap, readEntry, readOpened, readPublicEntry, recordOpened, setEntryPublic, updateEntryWorkflow, workflowsMap, jsonToY, type Workflow } from '../../shared/workflow/index.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { FIXTURES_DIR, userWorkflow } from '../api/fixtures.js';
import { onPostgres } from '../helpers/test-backend.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A test server closed after the test, also after restarts (the latest instance is closed). */
async function server(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const holder = { ts: await startTestServer(opts) };
  cleanups.push(() => holder.ts.close());
  const restart = async (): Promise<TestServer> => {
    holder.ts = await holder.ts.restart();
    return holder.ts;
  };
  return { ...holder.ts, restart };
}

function client(ts: TestServer, document: string, user?: TestUser): Client {
  const c = connect(ts.wsUrl, document, user?.token);
  cleanups.push(() => c.destroy());
  return c;
}

function workflow(id: string, name: string): Workflow {
  return { ...userWorkflow(name), id } as Workflow;
}

async function users(ts: TestServer) {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  return { admin, alice, bob };
}

describe('publishing through the sync endpoint', () => {
  it('a workflow shared in one user\'s document appears in another user\'s public within a second; unsharing removes it', async () => {
    const ts = await server();
    const { alice, bob } = await users(ts);
    const own = client(ts, libraryDocument(alice.userId), alice);
    const pub = client(ts, PUBLIC_DOCUMENT, bob);
    await Promise.all([synced(own), synced(pub)]);
    expect(publicMap(pub.doc).size).toBe(26);

    const id = 'c0ffee00-0000-4000-8000-000000000001';
    const started = Date.now();
    createEntry(own.doc, id, workflow(id, 'Shared from a device'), { isPublic: true });
    await waitFor(() => publicMap(pub.doc).has(id), 'the shared workflow in public', 1000);
    const entry = publicMap(pub.doc).get(id) as any;
    expect(entry).toMatchObject({ user_id: alice.userId, owner_name: 'Alice', is_public: true, category: 'user' });
    expect(entry.workflow.tags).toBe('flux, test, shared');
    expect(Date.now() - started).toBeLessThan(1000);

    setEntryPublic(own.doc, id, false);
    await waitFor(() => !publicMap(pub.doc).has(id), 'the unshared workflow gone from public', 1000);
    // And the REST view agrees for the other user.
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(403);
  });

  it('an invalid workflow written into a document is not published, not listed as valid, and its owner sees why', async () => {
    const ts = await server();
    const { admin, alice, bob } = await users(ts);
    const own = client(ts, libraryDocument(alice.userId), alice);
    const pub = client(ts, PUBLIC_DOCUMENT, bob);
    await Promise.all([synced(own), synced(pub)]);
    const id = 'bad00000-0000-4000-8000-000000000001';
    own.doc.transact(() => {
      const entry = new Y.Map<unknown>();
      const { meta: _meta, ...noMeta } = workflow(id, 'Broken');
      entry.set('workflow', jsonToY(noMeta as any));
      entry.set('is_public', true);
      entry.set('created_at', new Date().toISOString());
      entry.set('updated_at', new Date().toISOString());
      entry.set('opened_at', null);
      workflowsMap(own.doc).set(id, entry);
    });
    // A valid shared one written after it is published: the invalid one was processed before it.
    const okId = 'a0000000-0000-4000-8000-000000000001';
    createEntry(own.doc, okId, workflow(okId, 'Fine'), { isPublic: true });
    await waitFor(() => publicMap(pub.doc).has(okId), 'the valid workflow in public');
    expect(publicMap(pub.doc).has(id)).toBe(false);

    const mine = await api(ts, alice.token)('GET', '/api/v1/workflows?categories=user');
    expect(mine.body.items.find((i: any) => i.workflow_id === id)?.invalid_reason).toMatch(/^meta: /);
    expect(mine.body.items.find((i: any) => i.workflow_id === okId)?.invalid_reason).toBeNull();
    const got = await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(got.status).toBe(422);
    expect(got.body.detail).toEqual([{ loc: ['path', 'workflow_id'], msg: expect.stringMatching(/meta/), type: 'value_error' }]);
    for (const other of [admin, bob]) {
      const listed = await api(ts, other.token)('GET', '/api/v1/workflows?categories=user&is_public=true');
      expect(listed.body.items.map((i: any) => i.workflow_id)).not.toContain(id);
      expect((await api(ts, other.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
    }

    // Repairing it through the API makes it valid and published.
    const fixed = await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: workflow(id, 'Repaired') });
    expect(fixed.status).toBe(200);
    await waitFor(() => publicMap(pub.doc).has(id), 'the repaired workflow in public');
  });

  it('editing a private workflow leaves public alone; editing a shared one republishes it', async () => {
    const ts = await server();
    const { alice, bob } = await users(ts);
    const own = client(ts, libraryDocument(alice.userId), alice);
    const pub = client(ts, PUBLIC_DOCUMENT, bob);
    await Promise.all([synced(own), synced(pub)]);
    const privateId = 'b0000000-0000-4000-8000-000000000001';
    const sharedId = 'b0000000-0000-4000-8000-000000000002';
    createEntry(own.doc, privateId, workflow(privateId, 'Private'), { isPublic: false });
    createEntry(own.doc, sharedId, workflow(sharedId, 'Shared'), { isPublic: true });
    await waitFor(() => publicMap(pub.doc).has(sharedId), 'the shared workflow in public');
    const call = api(ts, alice.token);
    const nameOf = async (id: string) => (await call('GET', `/api/v1/workflows/i/${id}`)).body.name;

    const uses = vi.spyOn(ts.server.services.sync, 'withDocument');
    const publicUses = () => uses.mock.calls.filter((c) => c[0] === PUBLIC_DOCUMENT).length;
    const publicSeq = async () => (await ts.server.backend.documents.loadSince(PUBLIC_DOCUMENT, 0)).lastSeq;
    const seqBefore = await publicSeq();
    updateEntryWorkflow(own.doc, privateId, workflow(privateId, 'Private, renamed'));
    // Indexed (the hook ran, and with it any publishing it asked for) ...
    const deadline = Date.now() + 3000;
    while ((await nameOf(privateId)) !== 'Private, renamed') {
      if (Date.now() > deadline) expect.fail('the private rename was never indexed');
    }
    // ... without writing public, and on one node without even loading it (on PostgreSQL several nodes
    // write public, so each node's publisher reads it instead of trusting what it wrote last).
    expect(await publicSeq()).toBe(seqBefore);
    if (!onPostgres) expect(publicUses()).toBe(0);
    expect(publicMap(pub.doc).has(privateId)).toBe(false);

    updateEntryWorkflow(own.doc, sharedId, workflow(sharedId, 'Shared, renamed'));
    await waitFor(() => (publicMap(pub.doc).get(sharedId) as any)?.workflow?.name === 'Shared, renamed', 'the shared rename in public');
    expect(publicUses()).toBeGreaterThan(0);
  });

  it('a REST write reaches a connected client of the library document', async () => {
    const ts = await server();
    const { alice } = await users(ts);
    const own = client(ts, libraryDocument(alice.userId), alice);
    await synced(own);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('From REST') });
    const id = created.body.workflow_id;
    await waitFor(() => workflowsMap(own.doc).has(id), 'the created entry on the client');
    await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Renamed by REST' } });
    const name = () => (workflowsMap(own.doc).get(id)?.get('workflow') as Y.Map<unknown> | undefined)?.get('name');
    await waitFor(() => name() === 'Renamed by REST', 'the rename on the client');
    await api(ts, alice.token)('DELETE', `/api/v1/workflows/i/${id}`);
    await waitFor(() => !workflowsMap(own.doc).has(id), 'the deletion on the client');
  });

  it('a stored or removed thumbnail reaches the owner\'s other devices and other users live, as the version of the REST thumbnail_url', async () => {
    const ts = await server();
    const { alice, bob } = await users(ts);
    const phone = client(ts, libraryDocument(alice.userId), alice);
    const pub = client(ts, PUBLIC_DOCUMENT, bob);
    await Promise.all([synced(phone), synced(pub)]);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Pictured') });
    const id: string = created.body.workflow_id;
    await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true });
    await waitFor(() => readPublicEntry(pub.doc, id) !== null, 'the shared workflow in public');
    expect(readEntry(phone.doc, id)?.entry.thumbnail).toBeUndefined();
    expect(readPublicEntry(pub.doc, id)?.thumbnail).toBeUndefined();
    const updatedBefore = readEntry(phone.doc, id)?.entry.updated_at;

    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#228be6' } }).png().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'blue.png');
    const put = await fetch(`${ts.url}/api/v1/workflows/i/${id}/thumbnail`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.token}` },
      body: form,
    });
    expect(put.status).toBe(200);
    const url: string = (await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`)).body.thumbnail_url;
    const version = url.split('?')[1];
    expect(version).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => readEntry(phone.doc, id)?.entry.thumbnail === version, 'the version on the owner\'s other device');
    await waitFor(() => readPublicEntry(pub.doc, id)?.thumbnail === version, 'the version in public for another user');
    // A thumbnail is not an edit of the workflow.
    expect(readEntry(phone.doc, id)?.entry.updated_at).toBe(updatedBefore);
    expect((await fetch(`${ts.url}/api/v1/workflows/i/${id}/thumbnail?${version}`)).status).toBe(200);

    expect((await api(ts, alice.token)('DELETE', `/api/v1/workflows/i/${id}/thumbnail`)).status).toBe(200);
    await waitFor(() => readEntry(phone.doc, id)?.entry.thumbnail === null, 'the removal on the owner\'s other device');
    await waitFor(() => readPublicEntry(pub.doc, id)?.thumbnail === undefined, 'the removal in public');
    expect((await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`)).body.thumbnail_url).toBeNull();
  });

  it('a thumbnail version written by a client that is not a version is ignored, not an invalid workflow', async () => {
    const ts = await server();
    const { alice } = await users(ts);
    const laptop = client(ts, libraryDocument(alice.userId), alice);
    await synced(laptop);
    const id = 'c0ffee00-0000-4000-8000-0000000000a1';
    createEntry(laptop.doc, id, workflow(id, 'Odd thumbnail'), { isPublic: false });
    workflowsMap(laptop.doc).get(id)!.set('thumbnail', '../../etc?x=1');
    const read = readEntry(laptop.doc, id);
    expect(read?.valid).toBe(true);
    expect(read?.entry.thumbnail).toBeUndefined();
    const got = await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.thumbnail_url).toBeNull();
  });

  it('PUT opened_at on a default or another user\'s shared workflow lands in the caller\'s own library `opened` map, live on their devices', async () => {
    const ts = await server();
    const { alice, bob } = await users(ts);
    const bobPhone = client(ts, libraryDocument(bob.userId), bob);
    const aliceLaptop = client(ts, libraryDocument(alice.userId), alice);
    await Promise.all([synced(bobPhone), synced(aliceLaptop)]);
    const shared = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Alice shares') });
    const sharedId: string = shared.body.workflow_id;
    await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${sharedId}/is_public`, { is_public: true });
    const defaults = await api(ts, bob.token)('GET', '/api/v1/workflows?categories=default&per_page=1');
    const defaultId: string = defaults.body.items[0].workflow_id;

    for (const id of [defaultId, sharedId]) {
      expect((await api(ts, bob.token)('PUT', `/api/v1/workflows/i/${id}/opened_at`)).status).toBe(200);
      await waitFor(() => readOpened(bobPhone.doc, id) !== null, `the open of ${id} on bob's device`);
      const got = await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`);
      expect(got.body.opened_at).toBe(readOpened(bobPhone.doc, id));
    }
    const opened = await api(ts, bob.token)('GET', '/api/v1/workflows?has_been_opened=true&categories=default');
    expect(opened.body.items.map((i: { workflow_id: string }) => i.workflow_id)).toEqual([defaultId]);
    // Bob's open is his: Alice's own entry and her opens are untouched, and nothing lands in her library.
    expect(readEntry(aliceLaptop.doc, sharedId)?.entry.opened_at).toBeNull();
    expect(openedMap(aliceLaptop.doc).size).toBe(0);
    expect((await api(ts, alice.token)('GET', `/api/v1/workflows/i/${defaultId}`)).body.opened_at).toBeNull();
  });

  it('an open the app records in the `opened` map shows in that user\'s REST opened_at and has_been_opened, and survives a restart', async () => {
    const ts = await server();
    const { bob } = await users(ts);
    const phone = client(ts, libraryDocument(bob.userId), bob);
    const laptop = client(ts, libraryDocument(bob.userId), bob);
    await Promise.all([synced(phone), synced(laptop)]);
    const defaults = await api(ts, bob.token)('GET', '/api/v1/workflows?categories=default&per_page=2&order_by=name');
    const [first, second] = defaults.body.items.map((i: { workflow_id: string }) => i.workflow_id) as string[];
    recordOpened(phone.doc, first!, '2026-03-01T10:00:00.000Z');
    // An older time never hides a newer one, and a malformed value is ignored.
    expect(recordOpened(phone.doc, first!, '2026-02-01T10:00:00.000Z')).toBe(false);
    openedMap(phone.doc).set(second!, 'yesterday');
    // The laptop has both writes, so the server has committed them: REST must agree at once.
    await waitFor(() => openedMap(laptop.doc).get(second!) === 'yesterday', 'the opens on the other device');
    const openedOf = async (id: string) => (await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`)).body.opened_at;
    expect(await openedOf(first!)).toBe('2026-03-01T10:00:00.000Z');
    expect(await openedOf(second!)).toBeNull();
    const list = await api(ts, bob.token)('GET', '/api/v1/workflows?has_been_opened=true&categories=default');
    expect(list.body.items.map((i: { workflow_id: string }) => i.workflow_id)).toEqual([first]);

    phone.destroy();
    laptop.destroy();
    const again = await ts.restart();
    expect((await api(again, bob.token)('GET', `/api/v1/workflows/i/${first}`)).body.opened_at).toBe('2026-03-01T10:00:00.000Z');
  });

  it('a client edit is in every REST answer as soon as the server has forwarded it (no indexing lag)', async () => {
    const ts = await server();
    const { alice } = await users(ts);
    const laptop = client(ts, libraryDocument(alice.userId), alice);
    const phone = client(ts, libraryDocument(alice.userId), alice);
    await Promise.all([synced(laptop), synced(phone)]);
    const id = 'c0ffee00-0000-4000-8000-00000000000e';
    createEntry(laptop.doc, id, workflow(id, 'Made on the laptop'), { isPublic: false });
    // The phone has it, so the server has committed it; the REST answers must agree at once.
    await waitFor(() => workflowsMap(phone.doc).has(id), 'the entry on the other device');
    const got = await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(got.status).toBe(200);
    const list = await api(ts, alice.token)('GET', '/api/v1/workflows/?categories=user');
    expect(list.body.items.map((i: { workflow_id: string }) => i.workflow_id)).toContain(id);
    const entry = () => (workflowsMap(laptop.doc).get(id)?.get('workflow') as Y.Map<unknown>);
    entry().set('name', 'Renamed on the laptop');
    await waitFor(
      () => (workflowsMap(phone.doc).get(id)?.get('workflow') as Y.Map<unknown> | undefined)?.get('name') === 'Renamed on the laptop',
      'the rename on the other device',
    );
    const renamed = await api(ts, alice.token)('GET', '/api/v1/workflows/?categories=user');
    expect(renamed.body.items.find((i: { workflow_id: string }) => i.workflow_id === id)?.name).toBe('Renamed on the laptop');
  });

  it('renaming a user republishes owner_name; deleting a user removes their workflows everywhere', async () => {
    const ts = await server();
    const { admin, alice, bob } = await users(ts);
    const wf = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Alice shares') });
    const id = wf.body.workflow_id;
    await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true });
    const pub = client(ts, PUBLIC_DOCUMENT, bob);
    await synced(pub);
    await waitFor(() => publicMap(pub.doc).has(id), 'published');
    await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${alice.userId}`, { display_name: 'Alice Cooper' });
    await waitFor(() => (publicMap(pub.doc).get(id) as any)?.owner_name === 'Alice Cooper', 'new owner_name');

    expect((await api(ts, admin.token)('DELETE', `/api/v1/auth/users/${alice.userId}`)).status).toBe(204);
    await waitFor(() => !publicMap(pub.doc).has(id), 'the deleted user\'s workflow gone from public');
    await waitFor(async () => {
      const stored = await ts.server.backend.documents.load(libraryDocument(alice.userId));
      return stored.snapshot === null && stored.updates.length === 0;
    }, 'library deleted from the store');
    expect((await api(ts, admin.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
  });
});

describe('restart', () => {
  it('rebuilds public from the index and the defaults folder, and indexes writes made while it was down', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-restart-'));
    const defaultsDir = join(dataDir, 'defaults');
    mkdirSync(defaultsDir);
    const files = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).slice(0, 3);
    for (const f of files) copyFileSync(join(FIXTURES_DIR, f), join(defaultsDir, f));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const ts = await server({ dataDir, config: { defaultsDir } });
    const { alice, bob } = await users(ts);
    const shared = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Survives restarts') });
    await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${shared.body.workflow_id}/is_public`, { is_public: true });
    await ts.server.close();

    // While it is down: a stale entry lands in public, a default file disappears, and a shared
    // workflow is appended to alice's library (as a crash between commit and indexing would leave it).
    const backend = await ts.openStore();
    const store = backend.documents;
    const stale = new Y.Doc();
    publicMap(stale).set('ghost', { workflow: {}, user_id: 'nobody' });
    await store.append([{ name: PUBLIC_DOCUMENT, update: Y.encodeStateAsUpdate(stale) }]);
    const lib = new Y.Doc();
    const stored = await store.load(libraryDocument(alice.userId));
    for (const u of [stored.snapshot, ...stored.updates]) if (u) Y.applyUpdate(lib, u);
    const before = Y.encodeStateVector(lib);
    const lateId = 'ad000000-0000-4000-8000-00000000000a';
    createEntry(lib, lateId, workflow(lateId, 'Written while down'), { isPublic: true });
    await store.append([{ name: libraryDocument(alice.userId), update: Y.encodeStateAsUpdate(lib, before) }]);
    stale.destroy();
    lib.destroy();
    await backend.close();
    unlinkSync(join(defaultsDir, files[0]!));

    const again = await ts.restart();
    const pub = client(again, PUBLIC_DOCUMENT, bob);
    await synced(pub);
    const keys = Array.from(publicMap(pub.doc).keys()).sort();
    expect(keys).not.toContain('ghost');
    expect(keys).toContain(shared.body.workflow_id);
    expect(keys).toContain(lateId);
    expect(keys.filter((k) => k.startsWith('default_'))).toHaveLength(2);
    const listed = await api(again, bob.token)('GET', '/api/v1/workflows?categories=user&is_public=true');
    expect(listed.body.items.map((i: any) => i.workflow_id).sort()).toEqual([shared.body.workflow_id, lateId].sort());
    expect((await api(again, bob.token)('GET', '/api/v1/workflows?categories=default')).body.total).toBe(2);
  });
});
