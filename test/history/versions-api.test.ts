// Version history and trash through a real server (port 0, real store, the stock y-websocket client):
// the same-field offline conflict of issue 12 ends with both values in History; a deleted workflow
// comes back from the trash with its history; versions obey the visibility matrix; they count toward
// the owner's storage quota.
import { afterEach, describe, expect, it } from 'vitest';
import { libraryDocument } from '../../shared/protocol.js';
import * as Y from 'yjs';
import { createEntry, deleteEntry, readEntry, setEntryShareVersions, updateEntryWorkflow, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { api, createUser, setupAdmin, startTestServer, storeSql, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { userWorkflow } from '../api/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const ts = await startTestServer(opts);
  cleanups.push(() => ts.close());
  return ts;
}

function device(ts: TestServer, user: TestUser): Client {
  const c = connect(ts.wsUrl, libraryDocument(user.userId), user.token);
  cleanups.push(() => c.destroy());
  return c;
}

async function users(ts: TestServer) {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  return { admin, alice, bob };
}

const STEPS_NODE = 'e75e2ced-284e-4135-81dc-cdf06c7a409d';

function stepsOf(workflow: any): unknown {
  return workflow.nodes.find((n: any) => n.id === STEPS_NODE).data.inputs.steps.value;
}

/** What the app's Save does: the draft written with a Save marker, and the Save recorded for upload. */
function save(client: Client, id: string, steps: number, saveId: string, deviceId: string) {
  const current = readEntry(client.doc, id)!.entry.workflow as any;
  const workflow = structuredClone(current);
  workflow.nodes.find((n: any) => n.id === STEPS_NODE).data.inputs.steps.value = steps;
  const at = new Date().toISOString();
  updateEntryWorkflow(client.doc, id, workflow as Workflow, { lastSave: { id: saveId, device: deviceId, label: `Device ${deviceId}`, at } });
  return { save_id: saveId, workflow, device: deviceId, label: `Device ${deviceId}`, saved_at: at };
}

describe('version history through the API', () => {
  it('the same field changed offline on two devices (A reconnects first) ends with both values in the version list', async () => {
    const ts = await server();
    const { alice } = await users(ts);
    const call = api(ts, alice.token);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Portrait') });
    expect(created.status).toBe(200);
    const id: string = created.body.workflow_id;

    const a = device(ts, alice);
    const b = device(ts, alice);
    await Promise.all([synced(a), synced(b)]);
    await waitFor(() => readEntry(a.doc, id) !== null && readEntry(b.doc, id) !== null, 'both devices to hold the workflow');
    a.provider.disconnect();
    b.provider.disconnect();

    const savedA = save(a, id, 11, 'save-a', 'dev-a');
    const savedB = save(b, id, 22, 'save-b', 'dev-b');

    a.provider.connect();
    await waitFor(async () => {
      const list = await call('GET', `/api/v1/workflows/i/${id}/versions`);
      return list.body.items?.some((v: any) => v.device === 'dev-a');
    }, 'the server to keep A\'s Save from its marker');
    const uploadA = await call('POST', `/api/v1/workflows/i/${id}/versions`, savedA);
    expect(uploadA.status).toBe(200);

    b.provider.connect();
    await waitFor(() => JSON.stringify(readEntry(a.doc, id)?.entry.workflow) === JSON.stringify(readEntry(b.doc, id)?.entry.workflow), 'the devices to agree');
    const uploadB = await call('POST', `/api/v1/workflows/i/${id}/versions`, savedB);
    expect([200, 201]).toContain(uploadB.status);
    // The upload is idempotent on save_id.
    expect((await call('POST', `/api/v1/workflows/i/${id}/versions`, savedB)).status).toBe(200);

    // One value won the merge; the other is in History, with the device that saved it.
    const merged = stepsOf(readEntry(a.doc, id)!.entry.workflow);
    expect([11, 22]).toContain(merged);
    const list = await call('GET', `/api/v1/workflows/i/${id}/versions`);
    expect(list.status).toBe(200);
    const saves = list.body.items.filter((v: any) => v.kind === 'save' && v.device !== 'api');
    const byDevice = new Map<string, any>(saves.map((v: any) => [v.device, v]));
    expect([...byDevice.keys()].sort()).toEqual(['dev-a', 'dev-b']);
    const versionA = await call('GET', `/api/v1/workflows/i/${id}/versions/${byDevice.get('dev-a').version_id}`);
    const versionB = await call('GET', `/api/v1/workflows/i/${id}/versions/${byDevice.get('dev-b').version_id}`);
    expect(stepsOf(versionA.body.workflow)).toBe(11);
    expect(stepsOf(versionB.body.workflow)).toBe(22);
    expect(versionB.body).toMatchObject({ kind: 'save', device_label: 'Device dev-b', user_id: alice.userId, user_name: 'Alice' });
    expect(list.body).toMatchObject({ page: 0, per_page: 50, total: list.body.items.length });
    // Newest first.
    const times = list.body.items.map((v: any) => v.created_at);
    expect([...times].sort().reverse()).toEqual(times);

    // One click brings the lost value back, as a new change every device receives.
    const lost = merged === 11 ? byDevice.get('dev-b') : byDevice.get('dev-a');
    const restored = await call('POST', `/api/v1/workflows/i/${id}/versions/${lost.version_id}/restore`);
    expect(restored.status).toBe(200);
    expect(stepsOf(restored.body.workflow)).toBe(merged === 11 ? 22 : 11);
    await waitFor(() => stepsOf(readEntry(b.doc, id)!.entry.workflow) === (merged === 11 ? 22 : 11), 'the restore to reach device B');
    const after = await call('GET', `/api/v1/workflows/i/${id}/versions?per_page=1`);
    expect(after.body.items[0]).toMatchObject({ kind: 'restore', user_id: alice.userId });
    expect(after.body.pages).toBe(after.body.total);
  });

  it('a deleted workflow goes to the trash and comes back with its history; purging removes it and its versions', async () => {
    const ts = await server();
    const { alice, bob, admin } = await users(ts);
    const call = api(ts, alice.token);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Keeper') });
    const id: string = created.body.workflow_id;
    const updated = await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Keeper v2' } });
    expect(updated.status).toBe(200);
    const before = await call('GET', `/api/v1/workflows/i/${id}/versions`);
    expect(before.body.items.map((v: any) => [v.kind, v.device])).toEqual([
      ['save', 'api'],
      ['save', 'api'],
    ]);
    expect(before.body.items[0].summary.text).toBe('name changed');

    // Deleted from a device (the app), not through the API.
    const a = device(ts, alice);
    await synced(a);
    a.doc.transact(() => deleteEntry(a.doc, id));
    await waitFor(async () => (await call('GET', '/api/v1/workflows/trash')).body.items.length === 1, 'the workflow to reach the trash');
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
    const trash = await call('GET', '/api/v1/workflows/trash');
    expect(trash.body.items[0]).toMatchObject({ workflow_id: id, name: 'Keeper v2', deleted_by: alice.userId, versions: 3 });
    expect(Date.parse(trash.body.items[0].purge_at) - Date.parse(trash.body.items[0].deleted_at)).toBe(30 * 86_400_000);

    // Nobody else sees or restores it; an administrator lists it by user.
    expect((await api(ts, bob.token)('GET', '/api/v1/workflows/trash')).body.items).toEqual([]);
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/trash?user_id=${alice.userId}`)).status).toBe(403);
    expect((await api(ts, bob.token)('POST', `/api/v1/workflows/trash/${id}/restore`)).status).toBe(404);
    expect((await api(ts, admin.token)('GET', `/api/v1/workflows/trash?user_id=${alice.userId}`)).body.items[0].workflow_id).toBe(id);

    const restored = await call('POST', `/api/v1/workflows/trash/${id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ workflow_id: id, name: 'Keeper v2', created_at: created.body.created_at });
    await waitFor(() => readEntry(a.doc, id) !== null, 'the device to see the workflow back');
    expect((await call('GET', '/api/v1/workflows/trash')).body.items).toEqual([]);
    const history = await call('GET', `/api/v1/workflows/i/${id}/versions`);
    expect(history.body.items.map((v: any) => v.kind)).toEqual(['restore', 'delete', 'save', 'save']);
    expect((await call('POST', `/api/v1/workflows/trash/${id}/restore`)).status).toBe(404);

    // Deleted through the API this time, then purged at once: the versions go with it.
    expect((await call('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    expect((await call('GET', '/api/v1/workflows/trash')).body.items.map((t: any) => t.workflow_id)).toEqual([id]);
    expect((await api(ts, bob.token)('DELETE', `/api/v1/workflows/trash/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/workflows/trash/${id}`)).status).toBe(204);
    expect((await call('GET', '/api/v1/workflows/trash')).body.items).toEqual([]);
    expect((await call('GET', `/api/v1/workflows/i/${id}/versions`)).body.total).toBe(0);
  });

  it('versions follow the visibility matrix: owner and admins; readers only with share_versions; 404 for everyone else', async () => {
    const ts = await server();
    const { admin, alice, bob } = await users(ts);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Mine') });
    const id: string = created.body.workflow_id;
    const path = `/api/v1/workflows/i/${id}/versions`;
    const first = (await api(ts, alice.token)('GET', path)).body.items[0].version_id;
    const statuses = async () => ({
      owner: (await api(ts, alice.token)('GET', path)).status,
      admin: (await api(ts, admin.token)('GET', path)).status,
      other: (await api(ts, bob.token)('GET', path)).status,
      otherOne: (await api(ts, bob.token)('GET', `${path}/${first}`)).status,
      anonymous: (await api(ts)('GET', path)).status,
    });
    expect(await statuses()).toEqual({ owner: 200, admin: 200, other: 404, otherOne: 404, anonymous: 401 });

    // Shared, versions not shared (the default): still 404 for a reader.
    expect((await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true })).status).toBe(200);
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    expect(await statuses()).toEqual({ owner: 200, admin: 200, other: 404, otherOne: 404, anonymous: 401 });

    // The owner turns share_versions on (the Details panel writes it into the library document).
    const a = device(ts, alice);
    await synced(a);
    setEntryShareVersions(a.doc, id, true);
    await waitFor(async () => (await api(ts, bob.token)('GET', path)).status === 200, 'the reader to see the versions');
    expect(await statuses()).toEqual({ owner: 200, admin: 200, other: 200, otherOne: 200, anonymous: 401 });
    // A reader never writes history.
    expect((await api(ts, bob.token)('POST', `${path}/${first}/restore`)).status).toBe(404);
    const upload = { save_id: 's1', workflow: created.body.workflow, device: 'd', label: 'x', saved_at: new Date().toISOString() };
    expect((await api(ts, bob.token)('POST', path, upload)).status).toBe(404);
    expect((await api(ts, admin.token)('POST', path, upload)).status).toBe(201);

    // Unshared again: versions hidden again, even with share_versions still on.
    expect((await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: false })).status).toBe(200);
    expect((await statuses()).other).toBe(404);
    // An unknown id is the same 404.
    expect((await api(ts, bob.token)('GET', '/api/v1/workflows/i/no-such-id/versions')).status).toBe(404);
  });

  it('a copy of another user\'s id in one\'s own library adds nothing to the owner\'s history or trash', async () => {
    const ts = await server();
    const { alice, bob } = await users(ts);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Original') });
    const id: string = created.body.workflow_id;
    const before = (await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}/versions`)).body.items;
    const mallory = device(ts, bob);
    await synced(mallory);
    const copy = { ...created.body.workflow, name: 'Hijacked' };
    createEntry(mallory.doc, id, copy as Workflow, { isPublic: false, lastSave: { id: 'evil-save', device: 'x', label: 'x', at: new Date().toISOString() } });
    await waitFor(async () => (await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user')).body.items.some((w: any) => w.workflow_id === id), 'the copy to be indexed');
    deleteEntry(mallory.doc, id);
    await waitFor(async () => !(await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user')).body.items.some((w: any) => w.workflow_id === id), 'the copy to be gone');
    expect((await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}/versions`)).body.items).toEqual(before);
    expect((await api(ts, alice.token)('GET', '/api/v1/workflows/trash')).body.items).toEqual([]);
    expect((await api(ts, bob.token)('GET', '/api/v1/workflows/trash')).body.items).toEqual([]);
    expect((await api(ts, bob.token)('POST', `/api/v1/workflows/trash/${id}/restore`)).status).toBe(404);
    expect((await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`)).body.name).toBe('Original');
  });

  it('a removed user\'s versions and trash go with their library', async () => {
    const ts = await server();
    const { admin, alice, bob } = await users(ts);
    const kept = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Kept') });
    const trashed = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Trashed') });
    await api(ts, alice.token)('DELETE', `/api/v1/workflows/i/${trashed.body.workflow_id}`);
    await api(ts, bob.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Bob\'s') });
    const rows = async (table: string, userId: string) =>
      (await storeSql(ts.server.backend, `SELECT count(*) AS n FROM ${table} WHERE owner_id = ?`, [userId]))[0]!['n'];
    expect(Number(await rows('workflow_versions', alice.userId))).toBe(3);
    expect(Number(await rows('workflow_trash', alice.userId))).toBe(1);
    expect((await api(ts, admin.token)('DELETE', `/api/v1/auth/users/${alice.userId}`)).status).toBe(204);
    expect(Number(await rows('workflow_versions', alice.userId))).toBe(0);
    expect(Number(await rows('workflow_trash', alice.userId))).toBe(0);
    expect(Number(await rows('workflow_versions', bob.userId))).toBe(1);
    expect((await api(ts, admin.token)('GET', `/api/v1/workflows/i/${kept.body.workflow_id}/versions`)).body.total).toBe(0);
  });

  it('an administrator\'s edit and delete through the API are theirs in the history and the trash', async () => {
    const ts = await server();
    const { admin, alice } = await users(ts);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Curated') });
    const id: string = created.body.workflow_id;
    expect((await api(ts, admin.token)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Curated by admin' } })).status).toBe(200);
    const versions = (await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}/versions`)).body.items;
    expect(versions.map((v: any) => [v.user_id, v.user_name])).toEqual([
      [admin.userId, 'Admin'],
      [alice.userId, 'Alice'],
    ]);
    expect((await api(ts, admin.token)('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    const [item] = (await api(ts, alice.token)('GET', '/api/v1/workflows/trash')).body.items;
    expect(item).toMatchObject({ workflow_id: id, deleted_by: admin.userId });
  });

  it('an entry holding a value JSON cannot carry (a BigInt) costs only itself its history, also after a restart', async () => {
    let ts = await startTestServer();
    cleanups.push(() => ts.close());
    const { alice } = await users(ts);
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Kept') });
    const id: string = created.body.workflow_id;
    const hostile = device(ts, alice);
    await synced(hostile);
    const badId = 'bad00000-0000-4000-8000-00000000b16';
    hostile.doc.transact(() => {
      const workflow = new Y.Map<unknown>();
      for (const [key, value] of Object.entries({ ...created.body.workflow, id: badId, name: 'Broken' })) workflow.set(key, key === 'notes' ? 10n : value);
      const entry = new Y.Map<unknown>();
      const now = new Date().toISOString();
      for (const [key, value] of Object.entries({ workflow, is_public: false, created_at: now, updated_at: now, opened_at: null })) entry.set(key, value);
      workflowsMap(hostile.doc).set(badId, entry);
    });
    const listed = async () => (await api(ts, alice.token)('GET', '/api/v1/workflows?categories=user&per_page=100')).body.items as any[];
    await waitFor(async () => (await listed()).some((w) => w.workflow_id === badId), 'the broken entry to be indexed');
    // While it is loaded, and after a restart loads the library with it: the other workflow's edits are versioned.
    expect((await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Kept v2' } })).status).toBe(200);
    hostile.destroy();
    ts = await ts.restart();
    expect((await api(ts, alice.token)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Kept v3' } })).status).toBe(200);
    const versions = (await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}/versions`)).body.items as any[];
    const names = [];
    for (const v of versions) names.push((await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}/versions/${v.version_id}`)).body.workflow.name);
    expect(names).toEqual(['Kept v3', 'Kept v2', 'Kept']);
  });

  it('single-user mode: the one user sees and restores versions without a token', async () => {
    const ts = await server({ multiuser: false });
    const call = api(ts);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Solo') });
    const id: string = created.body.workflow_id;
    await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, name: 'Solo 2' } });
    const list = await call('GET', `/api/v1/workflows/i/${id}/versions`);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    const oldest = list.body.items[1];
    const restored = await call('POST', `/api/v1/workflows/i/${id}/versions/${oldest.version_id}/restore`);
    expect(restored.body.name).toBe('Solo');
  });

  it('bad uploads get a 4xx with a reason and change nothing', async () => {
    const ts = await server();
    const { alice } = await users(ts);
    const call = api(ts, alice.token);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Strict') });
    const id: string = created.body.workflow_id;
    const path = `/api/v1/workflows/i/${id}/versions`;
    const good = { save_id: 's1', workflow: created.body.workflow, device: 'dev', label: 'Laptop', saved_at: new Date().toISOString() };
    const missing = await call('POST', path, { ...good, save_id: undefined });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0].loc).toEqual(['body', 'save_id']);
    expect((await call('POST', path, { ...good, save_id: 'has space' })).status).toBe(422);
    expect((await call('POST', path, { ...good, saved_at: 'yesterday' })).status).toBe(422);
    expect((await call('POST', path, { ...good, workflow: { ...good.workflow, nodes: 'x' } })).status).toBe(422);
    const wrongId = await call('POST', path, { ...good, workflow: { ...good.workflow, id: 'other' } });
    expect(wrongId.status).toBe(400);
    expect(wrongId.body.detail).toMatch(/does not match/);
    expect((await call('GET', `${path}?per_page=0`)).status).toBe(422);
    expect((await call('GET', `${path}/nope`)).status).toBe(404);
    expect((await call('GET', path)).body.total).toBe(1);
  });
});

describe('versions and the storage quota', () => {
  it('version bytes count toward the owner\'s quota: an upload over it is refused (507), and so is a change the versions leave no room for', async () => {
    const ts = await server({ config: { userQuotaBytes: 300_000 } });
    const { alice } = await users(ts);
    const call = api(ts, alice.token);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Big') });
    const id: string = created.body.workflow_id;
    const path = `/api/v1/workflows/i/${id}/versions`;
    const big = (n: number) => ({
      save_id: `big-${n}`,
      workflow: { ...created.body.workflow, description: String(n).repeat(90_000) },
      device: 'dev',
      label: 'Laptop',
      saved_at: new Date().toISOString(),
    });
    expect((await call('POST', path, big(1))).status).toBe(201);
    expect((await call('POST', path, big(2))).status).toBe(201);
    const refused = await call('POST', path, big(3));
    expect(refused.status).toBe(507);
    expect(refused.body.detail).toMatch(/quota/i);
    expect((await call('GET', path)).body.total).toBe(3);
    // The document alone is far below the quota; with the versions a 90 KB description does not fit.
    const patched = await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, description: 'y'.repeat(90_000) } });
    expect(patched.status).toBe(507);
  });
});
