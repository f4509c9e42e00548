// Whatever Yjs accepts in a user's own library never stops the server (issue 9, finding 2): written
// through the stock y-websocket client against a real server, then the server restarted. Values of
// the wrong type make their entry invalid (kept, shown to its owner with the reason, never published);
// anything nested past the document depth limit, or a value over the value limit, is refused when the
// update arrives (4413) and never stored; a library that cannot be read at all is skipped at start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { createEntry, MAX_JSON_DEPTH, MAX_VALUE_BYTES, publicMap, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { userWorkflow } from '../api/fixtures.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';

let ts: TestServer;
const clients: Client[] = [];
const cleanupDirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await ts?.close();
  for (const dir of cleanupDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function client(document: string, user: TestUser): Client {
  const c = connect(ts.wsUrl, document, user.token);
  clients.push(c);
  return c;
}

function workflow(id: string, name: string): Workflow {
  return { ...userWorkflow(name), id } as Workflow;
}

async function users() {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  return { admin, alice, bob };
}

/** An entry as a client could write it: every field given, whatever its type. */
function entryWith(fields: Record<string, unknown>): Y.Map<unknown> {
  const now = new Date().toISOString();
  const entry = new Y.Map<unknown>();
  for (const [key, value] of Object.entries({ is_public: true, created_at: now, updated_at: now, opened_at: null, ...fields })) entry.set(key, value);
  return entry;
}

/** A valid workflow as Yjs types, with one field replaced. */
function workflowWith(id: string, key: string, value: unknown): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(workflow(id, `Broken ${key}`))) map.set(k, k === key ? value : v);
  return map;
}

/** Alice's user workflows as she lists them: id → invalid_reason (null when valid). */
async function listedFor(user: TestUser): Promise<Map<string, string | null>> {
  const res = await api(ts, user.token)('GET', '/api/v1/workflows?categories=user&per_page=100');
  expect(res.status).toBe(200);
  return new Map(res.body.items.map((item: any) => [item.workflow_id, item.invalid_reason]));
}

/** After a restart: everyone is served, the other user syncs their library and `public`. */
async function everyoneServed(alice: TestUser, bob: TestUser, goodId: string): Promise<void> {
  const bobLibrary = client(libraryDocument(bob.userId), bob);
  const bobPublic = client(PUBLIC_DOCUMENT, bob);
  const aliceLibrary = client(libraryDocument(alice.userId), alice);
  await Promise.all([synced(bobLibrary), synced(bobPublic), synced(aliceLibrary)]);
  expect(publicMap(bobPublic.doc).has(goodId)).toBe(true);
  expect((await listedFor(bob)).size).toBe(0);
  expect((await listedFor(alice)).get(goodId)).toBeNull();
}

const WRONG_TYPES: Array<[string, string, (id: string) => Y.Map<unknown> | string, string]> = [
  ['a BigInt created_at', 'bad00000-0000-4000-8000-000000000001', (id) => entryWith({ workflow: workflowWith(id, 'name', 'x'), created_at: 10n }), 'created_at: expected an ISO-8601 UTC timestamp, found a bigint'],
  ['binary data as updated_at', 'bad00000-0000-4000-8000-000000000002', (id) => entryWith({ workflow: workflowWith(id, 'name', 'x'), updated_at: new Uint8Array([1, 2]) }), 'updated_at: expected an ISO-8601 UTC timestamp, found binary data'],
  ['a BigInt inside the workflow', 'bad00000-0000-4000-8000-000000000003', (id) => entryWith({ workflow: workflowWith(id, 'notes', 10n) }), 'notes: not a JSON value (a bigint)'],
  ['Y.Text where the workflow belongs', 'bad00000-0000-4000-8000-000000000004', () => entryWith({ workflow: new Y.Text('{}') }), 'workflow: expected a JSON object, received a Y.Text'],
  ['a Y.XmlFragment where the nodes belong', 'bad00000-0000-4000-8000-000000000005', (id) => entryWith({ workflow: workflowWith(id, 'nodes', new Y.XmlFragment()) }), 'nodes: not a JSON value (a Y.XmlFragment)'],
  ['a subdocument as the workflow', 'bad00000-0000-4000-8000-000000000006', () => entryWith({ workflow: new Y.Doc() }), 'workflow: expected a JSON object, received a Y.Doc (subdocument)'],
  ['a number where a string belongs', 'bad00000-0000-4000-8000-000000000007', (id) => entryWith({ workflow: workflowWith(id, 'name', 42) }), 'name: '],
  ['an array where the workflow belongs', 'bad00000-0000-4000-8000-000000000008', () => entryWith({ workflow: new Y.Array() }), 'workflow: expected a JSON object, received an array'],
  ['NaN where a position belongs', 'bad00000-0000-4000-8000-000000000009', (id) => entryWith({ workflow: workflowWith(id, 'version', NaN) }), 'version: not a JSON value (NaN)'],
  ['a string where the entry belongs', 'bad00000-0000-4000-8000-00000000000a', () => 'not an entry', 'entry: expected a map, found string'],
];

describe('values of the wrong type', () => {
  it('each makes only its own entry invalid: kept, shown to its owner with the reason, never published; the server restarts and serves everyone', async () => {
    ts = await startTestServer();
    const { alice, bob } = await users();
    const own = client(libraryDocument(alice.userId), alice);
    await synced(own);
    const goodId = 'a0000000-0000-4000-8000-000000000001';
    own.doc.transact(() => {
      for (const [, id, make] of WRONG_TYPES) workflowsMap(own.doc).set(id, make(id) as Y.Map<unknown>);
    });
    // Written after the bad ones: once it is listed, they were indexed too.
    createEntry(own.doc, goodId, workflow(goodId, 'Fine'), { isPublic: true });

    const check = async () => {
      const listed = await listedFor(alice);
      expect(listed.get(goodId)).toBeNull();
      for (const [label, id, , reason] of WRONG_TYPES) {
        expect(listed.get(id), label).toContain(reason);
        const got = await api(ts, alice.token)('GET', `/api/v1/workflows/i/${id}`);
        expect(got.status, label).toBe(422);
        expect(got.body.detail[0].msg, label).toContain(reason);
        expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status, label).toBe(404);
      }
    };
    await waitFor(() => own.provider.synced, 'synced');
    await check();
    const pub = client(PUBLIC_DOCUMENT, bob);
    await synced(pub);
    await waitFor(() => publicMap(pub.doc).has(goodId), 'the valid workflow in public');
    for (const [, id] of WRONG_TYPES) expect(publicMap(pub.doc).has(id)).toBe(false);

    for (const c of clients.splice(0)) c.destroy();
    ts = await ts.restart();
    await check();
    await everyoneServed(alice, bob, goodId);
    // Kept in the document: the owner can still see and repair them.
    const again = client(libraryDocument(alice.userId), alice);
    await synced(again);
    for (const [, id] of WRONG_TYPES) expect(workflowsMap(again.doc).has(id)).toBe(true);
  });
});

describe('limits enforced when the update arrives', () => {
  async function refusedWrite(write: (doc: Y.Doc) => void): Promise<void> {
    ts = await startTestServer();
    const { alice, bob } = await users();
    const own = client(libraryDocument(alice.userId), alice);
    await synced(own);
    const goodId = 'a0000000-0000-4000-8000-000000000002';
    createEntry(own.doc, goodId, workflow(goodId, 'Fine'), { isPublic: true });
    const watcher = client(libraryDocument(alice.userId), alice);
    await synced(watcher);
    await waitFor(() => workflowsMap(watcher.doc).has(goodId), 'the valid workflow at another device');

    own.doc.transact(() => write(own.doc));
    await waitFor(() => own.closeCodes.length > 0, 'the writer closed');
    expect(own.closeCodes[0]).toBe(CloseCode.TooLarge);
    // Final: y-websocket does not retry a 44xx close, and the other device never got it.
    expect(workflowsMap(watcher.doc).has('hostile')).toBe(false);
    expect(watcher.closeCodes).toEqual([]);

    for (const c of clients.splice(0)) c.destroy();
    ts = await ts.restart();
    await everyoneServed(alice, bob, goodId);
    const again = client(libraryDocument(alice.userId), alice);
    await synced(again);
    expect(workflowsMap(again.doc).has('hostile')).toBe(false);
  }

  it('a workflow nested 50,000 maps deep is refused with 4413, never stored; the server restarts and serves everyone', async () => {
    await refusedWrite((doc) => {
      const entry = entryWith({});
      workflowsMap(doc).set('hostile', entry);
      let at = entry;
      for (let i = 0; i < 50_000; i++) {
        const next = new Y.Map<unknown>();
        at.set('workflow', next);
        at = next;
      }
    });
  });

  it('a string over the value limit is refused with 4413, never stored', async () => {
    await refusedWrite((doc) => workflowsMap(doc).set('hostile', entryWith({ workflow: 'x'.repeat(MAX_VALUE_BYTES + 1) })));
  });
});

describe('a library stored before the limits existed', () => {
  const LEGACY_DEPTH = 20_000;

  it(`one nested ${LEGACY_DEPTH} deep, and one that cannot be loaded at all, do not stop the start; the deep entry is invalid for its owner and can be deleted`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-legacy-'));
    cleanupDirs.push(dataDir);
    ts = await startTestServer({ dataDir });
    const { alice, bob } = await users();
    const goodId = 'a0000000-0000-4000-8000-000000000003';
    const aliceOwn = client(libraryDocument(alice.userId), alice);
    await synced(aliceOwn);
    createEntry(aliceOwn.doc, goodId, workflow(goodId, 'Fine'), { isPublic: true });
    // Forwarded only once committed: when another device has it, the server stored it.
    const watcher = client(libraryDocument(alice.userId), alice);
    await synced(watcher);
    await waitFor(() => workflowsMap(watcher.doc).has(goodId), 'the workflow at another device');
    for (const c of clients.splice(0)) c.destroy();
    await ts.close();

    // Written straight into the store, as a server without the limits would have stored them.
    const deep = new Y.Doc();
    // One transaction: Yjs walks up to the root once per transaction and changed type.
    deep.transact(() => {
      const entry = entryWith({});
      workflowsMap(deep).set('deep', entry);
      let at = entry;
      at.set('workflow', new Y.Map());
      at = at.get('workflow') as Y.Map<unknown>;
      // Far past what Yjs can delete in one go (about 2,000) and cheaper to take apart than 50,000.
      for (let i = 0; i < LEGACY_DEPTH; i++) {
        const next = new Y.Map<unknown>();
        at.set('form', next);
        at = next;
      }
    });
    const stored = await ts.openStore();
    await stored.documents.append([
      { name: libraryDocument(alice.userId), update: Y.encodeStateAsUpdate(deep) },
      // Not an update at all: the load of this library fails.
      { name: libraryDocument(bob.userId), update: new Uint8Array([1, 1, 7, 0, 8, 1]) },
    ]);
    await stored.close();
    deep.destroy();

    ts = await startTestServer({ dataDir });
    const listed = await listedFor(alice);
    expect(listed.get(goodId)).toBeNull();
    expect(listed.get('deep')).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const got = await api(ts, alice.token)('GET', '/api/v1/workflows/i/deep');
    expect(got.status).toBe(422);
    // Alice's devices still sync her library (with the deep entry in it), and Bob's REST works.
    const own = client(libraryDocument(alice.userId), alice);
    await synced(own);
    expect(workflowsMap(own.doc).has(goodId)).toBe(true);
    expect((await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user')).status).toBe(200);

    // Its owner can delete it (Yjs alone would overflow the stack deleting that many levels), and the
    // device sees it go.
    const deleted = await api(ts, alice.token)('DELETE', '/api/v1/workflows/i/deep');
    expect(deleted.status).toBeLessThan(300);
    await waitFor(() => !workflowsMap(own.doc).has('deep'), 'the deep entry gone at the device');
    expect(own.closeCodes).toEqual([]);
    for (const c of clients.splice(0)) c.destroy();
    ts = await ts.restart();
    const after = await listedFor(alice);
    expect(after.has('deep')).toBe(false);
    expect(after.get(goodId)).toBeNull();
  });
});

describe('REST bodies', () => {
  it('a body nested 50,000 deep, a workflow past the depth limit and a string over the value limit get 422 with a reason', async () => {
    ts = await startTestServer();
    const { alice } = await users();
    const headers = { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' };
    const deepBody = `{"workflow":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    const raw = await fetch(`${ts.url}/api/v1/workflows`, { method: 'POST', headers, body: deepBody });
    expect(raw.status).toBe(422);
    expect(((await raw.json()) as { detail: { msg: string }[] }).detail[0]!.msg).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    // With a __proto__ key the body parser scans the whole object (iteratively): still a clear 422 or 400.
    const protoBody = `{"workflow":${'{"a":'.repeat(50_000)}{"__proto__":1}${'}'.repeat(50_000)}}`;
    const proto = await fetch(`${ts.url}/api/v1/workflows`, { method: 'POST', headers, body: protoBody });
    expect([400, 422]).toContain(proto.status);
    const protoDetail = ((await proto.json()) as { detail: unknown }).detail;
    // A 400 says why in a string; a 422 in FastAPI's list.
    if (proto.status === 400) expect(typeof protoDetail).toBe('string');
    else expect((protoDetail as { msg: unknown }[])[0]!.msg).toEqual(expect.any(String));

    let form: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) form = { n: form };
    const tooDeep = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: { ...userWorkflow('Deep'), form } });
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.body.detail[0].msg).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const long = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: { ...userWorkflow('Long'), notes: 'x'.repeat(MAX_VALUE_BYTES + 1) } });
    expect(long.status).toBe(422);
    expect(long.body.detail[0].msg).toContain(`longer than ${MAX_VALUE_BYTES} bytes`);

    // Nothing was created, and the largest workflow REST accepts syncs to a device.
    expect((await listedFor(alice)).size).toBe(0);
    let fits: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH - 1; i++) fits = { n: fits };
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows', { workflow: { ...userWorkflow('Deepest allowed'), form: fits, notes: 'x'.repeat(MAX_VALUE_BYTES - 10) } });
    expect(created.status).toBe(200);
    const own = client(libraryDocument(alice.userId), alice);
    await synced(own);
    // The device edits it: its update is within the limits too.
    const id = created.body.workflow_id as string;
    own.doc.transact(() => ((workflowsMap(own.doc).get(id)!.get('workflow') as Y.Map<unknown>).get('form') as Y.Map<unknown>).set('edited', { plain: [1] }));
    const other = client(libraryDocument(alice.userId), alice);
    await synced(other);
    await waitFor(() => ((workflowsMap(other.doc).get(id)?.get('workflow') as Y.Map<unknown>)?.get('form') as Y.Map<unknown>)?.has('edited'), 'the edit at another device');
    // And a device may write the same workflow itself.
    const copy = { ...(created.body.workflow as Workflow), id: 'c0000000-0000-4000-8000-000000000001' };
    createEntry(own.doc, copy.id, copy, { isPublic: false });
    await waitFor(() => workflowsMap(other.doc).has(copy.id), 'the copy at another device');
    expect(own.closeCodes).toEqual([]);
  });
});
