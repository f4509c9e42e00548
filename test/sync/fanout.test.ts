// Two sync servers in one process behind one InProcessFanout, over ONE SQLite file (each with its own
// connection, as two processes would have): the fan-out carries only committed updates, so the store
// must be shared for a receiver to be right not to store them again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { InProcessFanout } from '../../server/sync/fanout.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
let dir: string;
const nodes: SyncNode[] = [];
const clients: Client[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-fanout-'));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const n of nodes.splice(0)) await n.close();
  rmSync(dir, { recursive: true, force: true });
});

async function node(fanout?: InProcessFanout): Promise<SyncNode> {
  const n = await startSyncNode(join(dir, 'flowshelf.db'), fanout ? { fanout } : {});
  nodes.push(n);
  return n;
}

function client(n: SyncNode): Client {
  const c = connect(n.wsUrl, doc, undefined);
  clients.push(c);
  return c;
}

describe('in-process fan-out', () => {
  it('clients of two servers sharing a fan-out and a database receive each other’s edits, stored once', async () => {
    const fanout = new InProcessFanout();
    const one = await node(fanout);
    const two = await node(fanout);
    const a = client(one);
    const b = client(two);
    await Promise.all([synced(a), synced(b)]);

    a.doc.getMap('workflows').set('from-a', 'hello from server one');
    await waitFor(() => b.doc.getMap('workflows').get('from-a') === 'hello from server one', 'a’s edit at b (other server)');
    b.doc.getMap('workflows').set('from-b', 'hello from server two');
    await waitFor(() => a.doc.getMap('workflows').get('from-b') === 'hello from server two', 'b’s edit at a (other server)');

    // Each edit was committed by the server it arrived at and by no other.
    expect(storedUpdateCount(one.db, doc)).toBe(2);
    // Both server docs hold both edits, so a server-side read on either sees them.
    for (const n of [one, two]) {
      expect(await n.sync.withDocument(doc, (d) => d.getMap('workflows').toJSON())).toEqual({
        'from-a': 'hello from server one',
        'from-b': 'hello from server two',
      });
    }
    expect(one.logs.concat(two.logs)).toEqual([]);
  });

  it('a server-side write on one server reaches the clients of the other', async () => {
    const fanout = new InProcessFanout();
    const one = await node(fanout);
    const two = await node(fanout);
    const b = client(two);
    await synced(b);
    await one.sync.withDocument(doc, (d) => d.getMap('workflows').set('published', true));
    await waitFor(() => b.doc.getMap('workflows').get('published') === true, 'server write at the other server’s client');
  });

  it('without a fan-out, a second server’s clients do not see the first server’s edits live', async () => {
    // The control for the tests above: the shared database alone does not carry updates.
    const one = await node();
    const two = await node();
    const a = client(one);
    const b = client(two);
    const probe = client(two);
    await Promise.all([synced(a), synced(b), synced(probe)]);
    a.doc.getMap('workflows').set('from-a', 1);
    await waitFor(() => storedUpdateCount(one.db, doc) === 1, 'a’s edit committed');
    // An edit made on server two after a's arrives at b, so b has seen everything two forwarded.
    probe.doc.getMap('workflows').set('marker', 1);
    await waitFor(() => b.doc.getMap('workflows').get('marker') === 1, 'marker at b');
    expect(b.doc.getMap('workflows').has('from-a')).toBe(false);
  });
});
