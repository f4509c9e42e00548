// A socket whose peer is gone without a close (a laptop lid shut, a dropped network) must not keep its
// room loaded and its presence shown for good: the server pings every socket each heartbeat interval
// and cuts one that did not answer the previous ping. A raw `ws` client with autoPong off is such a
// peer: connected at the TCP level, silent at the WebSocket level.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { encodeAwareness } from '../../server/sync/messages.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from './clients.js';
import { startSyncNode, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
const GHOST_CLIENT_ID = 424242;
let dir: string;
let node: SyncNode;
const clients: Client[] = [];
const raws: RawSocket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-heartbeat-'));
  // Short, but with room for the in-process clients that do answer to get their pong back within an
  // interval on a busy machine (an answer takes two turns of the event loop they share with the server).
  node = await startSyncNode(join(dir, 'flowshelf.db'), { heartbeatIntervalMs: 200, idleUnloadMs: 50 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

function silentPeer(): RawSocket {
  const r = rawSocket(`${node.wsUrl}/${doc}`, { autoPong: false });
  raws.push(r);
  return r;
}

it('cuts a socket that stops answering pings; its presence disappears for the others', async () => {
  const observer = connect(node.wsUrl, doc, undefined);
  clients.push(observer);
  await synced(observer);
  const ghost = silentPeer();
  await ghost.opened;
  await waitFor(() => node.sync.stats().connections === 2, 'both sockets admitted');
  ghost.ws.send(encodeAwareness([{ clientId: GHOST_CLIENT_ID, clock: 1, state: JSON.stringify({ user: 'ghost' }) }]));
  await waitFor(() => observer.provider.awareness.getStates().has(GHOST_CLIENT_ID), 'the ghost’s presence at the observer');

  await waitFor(() => !observer.provider.awareness.getStates().has(GHOST_CLIENT_ID), 'the ghost’s presence withdrawn');
  // Cut, not closed: a peer that does not answer pings would not answer a close handshake either.
  expect((await ghost.closed).code).toBe(1006);
  expect(node.sync.stats().connections).toBe(1);
  // The observer answers pings (the stock client does, as browsers do) and stays.
  expect(observer.closeCodes).toEqual([]);
});

it('releases the room of a silent socket, so the document can be unloaded', async () => {
  const ghost = silentPeer();
  await ghost.opened;
  await waitFor(() => node.sync.stats().connections === 1, 'the silent socket admitted');
  await waitFor(() => node.sync.stats().connections === 0, 'the silent socket cut');
  await waitFor(() => node.sync.stats().rooms === 0, 'the room unloaded');
  expect((await ghost.closed).code).toBe(1006);
});
