// Three real nodes (processes) on one PostgreSQL and one Redis, used as a load balancer would hand
// them out: a user's devices on different nodes edit one library offline and online and converge; a
// share made on one node reaches `public` readers on another; a user deleted on one node is cut and
// their library gone on every node.
import { beforeAll, describe, expect, it } from 'vitest';
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { setEntryPublic, updateEntryWorkflow, workflowsMap } from '../../shared/workflow/index.js';
import { api, setupAdmin, type TestUser } from '../helpers/server.js';
import { createWorkflow } from '../api/fixtures.js';
import { storedDoc } from './cluster.js';
import { account, eventually, libraryJson, listedIds, smallWorkflow, waitFor } from './devices.js';
import { sameSet, useMultinode, withDeadline } from './fixture.js';

const multinode = useMultinode();
const device = multinode.device;
// One set of nodes for the file: each test works with accounts of its own.
const nodes = multinode.shared(3);
let admin: TestUser;
beforeAll(async () => {
  admin = await setupAdmin(nodes().a);
}, 30_000);

describe('three nodes on one PostgreSQL and one Redis', () => {
  it('devices on different nodes edit one library offline and online, and converge through a third node; the store has it all', async () => {
    const cluster = nodes();
    const { a, b, c } = cluster;
    const alice = await account(a, admin, 'alice');
    const doc = libraryDocument(alice.userId);
    const phone = device('phone', doc, alice.token);
    const laptop = device('laptop', doc, alice.token);
    const tablet = device('tablet', doc, alice.token);
    await Promise.all([phone.connectTo(a), laptop.connectTo(b), tablet.connectTo(c)]);

    // Online: one device's workflow reaches the devices on the two other nodes.
    laptop.addWorkflow('wf-both');
    await waitFor(() => phone.ids().has('wf-both') && tablet.ids().has('wf-both'), 'the laptop\'s workflow on the phone (A) and the tablet (C)');

    // The phone goes offline and edits; meanwhile the laptop edits online on B, the same workflow too.
    phone.disconnect();
    phone.addWorkflow('wf-phone-offline');
    updateEntryWorkflow(phone.doc, 'wf-both', { ...smallWorkflow('wf-both', 'renamed on the phone, offline') });
    laptop.addWorkflow('wf-laptop-online');
    // The name the laptop's addWorkflow gave it, kept: only the description changes here.
    updateEntryWorkflow(laptop.doc, 'wf-both', { ...smallWorkflow('wf-both', 'laptop wf-both'), description: 'described on the laptop' });
    await waitFor(() => tablet.ids().has('wf-laptop-online'), 'the laptop\'s online edit on the tablet (C)');
    expect(phone.ids().has('wf-laptop-online')).toBe(false);

    // The phone comes back through the third node: everything meets everywhere.
    await phone.connectTo(c);
    const all = new Set(['wf-both', 'wf-phone-offline', 'wf-laptop-online']);
    const converged = () => {
      const reference = libraryJson(phone.doc);
      return [laptop, tablet].every((d) => libraryJson(d.doc) === reference) && sameSet(phone.ids(), all);
    };
    await waitFor(converged, 'the three devices to converge').catch((error: Error) => {
      throw new Error(`${error.message}: ${[phone, laptop, tablet].map((d) => `${d.label} ${libraryJson(d.doc)}`).join('\n')}`);
    });
    const both = workflowsMap(tablet.doc).get('wf-both')!.toJSON().workflow as { name: string; description: string };
    expect(both.name).toBe('renamed on the phone, offline');
    expect(both.description).toBe('described on the laptop');

    // Committed, not only in the nodes' memory: the store and a fresh device on each node have all of it.
    const stored = await storedDoc(cluster.databaseUrl, doc);
    expect(libraryJson(stored)).toBe(libraryJson(phone.doc));
    for (const node of [a, b, c]) {
      const fresh = await multinode.fresh(node, doc, alice.token);
      expect(libraryJson(fresh.doc), `fresh device on node ${node.name}`).toBe(libraryJson(phone.doc));
    }
    // And the REST view of every node lists every workflow, with the merged edit.
    for (const node of [a, b, c]) {
      await eventually(async () => sameSet((await listedIds(node, alice.token)).ids, all), `node ${node.name}'s REST list to show all three workflows`);
      const got = await api(node, alice.token)('GET', '/api/v1/workflows/i/wf-both');
      expect(got.status).toBe(200);
      expect(got.body.workflow).toMatchObject({ name: 'renamed on the phone, offline', description: 'described on the laptop' });
    }
  }, 30_000);

  it('a share made on node A reaches `public` readers on node C (and B); the unshare, made on node B, removes it there', async () => {
    const { a, b, c } = nodes();
    const [alice, bob] = await Promise.all([account(a, admin, 'sharer'), account(a, admin, 'reader')]);
    const readerC = device('bob public on C', PUBLIC_DOCUMENT, bob.token);
    const readerB = device('bob public on B', PUBLIC_DOCUMENT, bob.token);
    await Promise.all([readerC.connectTo(c), readerB.connectTo(b)]);
    const defaults = readerC.publicIds().size;
    expect(defaults).toBeGreaterThan(0);

    // Created private on A: nobody else sees it.
    const created = await createWorkflow(api(a, alice.token), 'Shared across nodes');
    const id: string = created.workflow_id;
    expect((await api(c, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(403);

    // Shared on A: Bob's public document on C and on B gets it, and C's REST serves it to Bob.
    const shared = await api(a, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true });
    expect(shared.status).toBe(200);
    await waitFor(() => readerC.publicIds().has(id) && readerB.publicIds().has(id), 'the shared workflow in public on C and B');
    expect(readerC.publicIds().size).toBe(defaults + 1);
    const got = await api(c, bob.token)('GET', `/api/v1/workflows/i/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ workflow_id: id, is_public: true });

    // Unshared from Alice's device on B: gone from public on C and B, and C's REST refuses it to Bob again.
    const aliceOnB = device('alice on B', libraryDocument(alice.userId), alice.token);
    await aliceOnB.connectTo(b);
    setEntryPublic(aliceOnB.doc, id, false);
    await waitFor(() => !readerC.publicIds().has(id) && !readerB.publicIds().has(id), 'the unshared workflow gone from public on C and B');
    await eventually(async () => (await api(c, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status === 403, 'C to refuse the unshared workflow to Bob');
    // Each node's public document agrees with what its readers saw: a fresh reader on A has it gone too.
    const freshA = await multinode.fresh(a, PUBLIC_DOCUMENT, bob.token);
    expect(freshA.publicIds().has(id)).toBe(false);
    expect(freshA.publicIds().size).toBe(defaults);
  }, 30_000);

  it('a user deleted on node A is cut (4403) on nodes B and C within seconds (10 s at most), and their library is gone on every node', async () => {
    const cluster = nodes();
    const { a, b, c } = cluster;
    const bob = await account(a, admin, 'leaver');
    const doc = libraryDocument(bob.userId);
    const bobOnB = device('bob on B', doc, bob.token);
    const bobOnC = device('bob on C', doc, bob.token);
    const bobPublicOnC = device('bob public on C', PUBLIC_DOCUMENT, bob.token);
    await Promise.all([bobOnB.connectTo(b), bobOnC.connectTo(c), bobPublicOnC.connectTo(c)]);
    // Bob's workflows: one through REST on B, shared; one from his device on C.
    const restWorkflow = (await createWorkflow(api(b, bob.token), 'Bob over REST', { shared: true })).workflow_id as string;
    bobOnC.addWorkflow('bob-device-workflow');
    await waitFor(() => bobOnB.ids().has('bob-device-workflow') && bobOnB.ids().has(restWorkflow), 'Bob\'s two workflows on both his devices');
    await eventually(async () => {
      const listed = (await listedIds(c, admin.token)).ids;
      return listed.has(restWorkflow) && listed.has('bob-device-workflow');
    }, 'the administrator\'s list on C to show Bob\'s workflows');

    const closes = [bobOnB.nextClose(), bobOnC.nextClose(), bobPublicOnC.nextClose()];
    const deleted = await api(a, admin.token)('DELETE', `/api/v1/auth/users/${bob.userId}`);
    expect(deleted.status).toBe(204);
    // Every socket of Bob, on the nodes other than A, is closed with 4403 (final: no reconnection).
    const closed = await withDeadline(Promise.all(closes), 10_000, 'Bob\'s sockets on B and C to close');
    expect(closed.map((x) => x.code)).toEqual([4403, 4403, 4403]);

    // His token is refused by every node.
    for (const node of [a, b, c]) expect((await api(node, bob.token)('GET', '/api/v1/workflows')).status, `node ${node.name}`).toBe(401);
    // His library is gone everywhere: the administrator's list on C and B, a fresh view of his document
    // on each node (no node keeps it in memory, or writes it back), the store, and `public`.
    for (const node of [c, b, a]) {
      await eventually(async () => {
        const listed = (await listedIds(node, admin.token)).ids;
        return !listed.has(restWorkflow) && !listed.has('bob-device-workflow');
      }, `node ${node.name}'s administrator list without Bob's workflows`);
    }
    for (const node of [a, b, c]) {
      const fresh = await multinode.fresh(node, doc, admin.token, 'admin');
      expect([...fresh.ids()], `Bob's library seen by the administrator on node ${node.name}`).toEqual([]);
      const publicView = await multinode.fresh(node, PUBLIC_DOCUMENT, admin.token, 'admin');
      expect(publicView.publicIds().has(restWorkflow), `public on node ${node.name}`).toBe(false);
    }
    expect([...workflowsMap(await storedDoc(cluster.databaseUrl, doc)).keys()]).toEqual([]);
  }, 30_000);
});
