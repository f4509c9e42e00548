// A document nobody is connected to leaves memory after idleUnloadMs (compacted into a snapshot on
// the way out) and comes back intact from the store on the next connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { libraryDocument, PUBLIC_DOCUMENT, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
let dir: string;
let node: SyncNode;
const loads: string[] = [];
const clients: Client[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-unload-'));
  loads.length = 0;
  node = await startSyncNode(join(dir, 'flowshelf.db'), {
    idleUnloadMs: 100,
    extensions: [{ name: 'loads', onLoaded: ({ name }) => void loads.push(name) }],
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(name: string): Client {
  const c = connect(node.wsUrl, name, undefined);
  clients.push(c);
  return c;
}

function leave(c: Client): void {
  clients.splice(clients.indexOf(c), 1);
  c.destroy();
}

describe('idle document unload', () => {
  it('a document without connections is unloaded, compacted, and reloaded intact on the next connection', async () => {
    const first = client(doc);
    await synced(first);
    const workflows = first.doc.getMap('workflows');
    for (let i = 0; i < 20; i++) workflows.set(`w${i}`, { name: `Workflow ${i}` });
    const nested = new Y.Map<string>();
    workflows.set('nested', nested);
    nested.set('deep', 'value');
    await waitFor(async () => (await storedUpdateCount(node.store, doc)) === 22, 'every edit committed');
    expect(node.sync.stats()).toMatchObject({ rooms: 1, connections: 1 });

    leave(first);
    await waitFor(() => node.sync.stats().rooms === 0, 'the idle document unloaded');
    // Unloading folded the update log into one snapshot.
    expect(await storedUpdateCount(node.store, doc)).toBe(0);
    expect((await node.store.load(doc)).snapshot).not.toBeNull();

    const second = client(doc);
    await synced(second);
    expect(node.sync.stats().rooms).toBe(1);
    expect(loads).toEqual([doc, doc]);
    const reloaded = second.doc.getMap('workflows');
    expect(reloaded.size).toBe(21);
    expect(reloaded.get('w19')).toEqual({ name: 'Workflow 19' });
    expect((reloaded.get('nested') as Y.Map<string>).get('deep')).toBe('value');
    // The reloaded document is live: edits flow between its clients again.
    const third = client(doc);
    await synced(third);
    second.doc.getMap('workflows').set('after-reload', true);
    await waitFor(() => third.doc.getMap('workflows').get('after-reload') === true, 'edit after the reload');
  });

  it('a document with a connection stays loaded while an idle one is unloaded', async () => {
    const stays = client(doc);
    const visitor = client(PUBLIC_DOCUMENT);
    await Promise.all([synced(stays), synced(visitor)]);
    expect(node.sync.stats().rooms).toBe(2);
    leave(visitor);
    // The public room's unload is the clock: once it is gone, idleUnloadMs has passed for both.
    await waitFor(() => node.sync.stats().rooms === 1, 'the idle public document unloaded');
    const peer = client(doc);
    await synced(peer);
    stays.doc.getMap('workflows').set('still-here', 1);
    await waitFor(() => peer.doc.getMap('workflows').get('still-here') === 1, 'edit on the document that stayed');
    // Never unloaded, so never loaded a second time.
    expect(loads.filter((n) => n === doc)).toHaveLength(1);
  });

  it('a server-side write to a document nobody has open loads it, and it is unloaded again afterwards', async () => {
    await node.sync.withDocument(doc, (d) => d.getMap('workflows').set('written', 'by the server'));
    expect(node.sync.stats().rooms).toBe(1);
    await waitFor(() => node.sync.stats().rooms === 0, 'unloaded after the server write');
    const reader = client(doc);
    await synced(reader);
    expect(reader.doc.getMap('workflows').get('written')).toBe('by the server');
    expect(loads).toEqual([doc, doc]);
  });
});
