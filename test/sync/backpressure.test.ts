// A client that stops reading must not make the server queue its outbound frames without bound: once
// more than maxBufferedBytes wait for it, it is closed with 1013 while the readers go on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from './clients.js';
import { startSyncNode, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
const MAX_BUFFERED = 256 * 1024;
const CHUNK = 'x'.repeat(128 * 1024);
let dir: string;
let node: SyncNode;
const clients: Client[] = [];
const raws: RawSocket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-backpressure-'));
  node = await startSyncNode(join(dir, 'flowshelf.db'), { maxBufferedBytes: MAX_BUFFERED });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outbound backpressure', () => {
  it('a client that stops reading is closed with 1013 while a reading client keeps up and stays', async () => {
    const reader = connect(node.wsUrl, doc, undefined);
    clients.push(reader);
    const stalled = rawSocket(`${node.wsUrl}/${doc}`);
    raws.push(stalled);
    await Promise.all([synced(reader), stalled.opened]);
    await waitFor(() => stalled.frames.length > 0, 'server step 1 at the stalled client');
    await waitFor(() => node.sync.stats().connections === 2, 'both connections attached');
    // Stop reading: the kernel buffers fill first (a few MiB on loopback), then the server's queue.
    stalled.ws.pause();
    let writes = 0;
    // Bounded, so a server that never sheds the stalled client fails the test instead of hanging.
    while (node.sync.stats().connections === 2 && writes < 400) {
      await node.sync.withDocument(doc, (d) => d.getMap('workflows').set(`w${writes}`, CHUNK));
      writes++;
    }
    expect(node.sync.stats().connections).toBe(1);
    await waitFor(() => reader.doc.getMap('workflows').has(`w${writes - 1}`), 'every write at the reading client', 20_000);
    expect(reader.closeCodes).toEqual([]);
    // Once it reads again, the stalled client finds the close code after the frames queued before it.
    stalled.ws.resume();
    expect((await stalled.closed).code).toBe(CloseCode.TryAgain);
  });
});
