// A client that stops reading must not make the server queue its outbound frames without bound, and a
// client that reads, even slowly, must never be shed for it. The rule (server/sync/connection.ts):
// over the soft bound a socket must keep draining (checked every stall window, after the loop has run
// I/O), and beyond the hard bound it is closed at once. Small bounds and windows keep these quick.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from './clients.js';
import { startSyncNode, type SyncNode, type SyncNodeOptions } from './sync-node.js';
import { onPostgres } from '../helpers/test-backend.js';

const doc = libraryDocument(SYSTEM_USER_ID);
const SOFT = 256 * 1024;
const CHUNK = 'x'.repeat(128 * 1024);
/** Writes a test may make before it gives up waiting for the server to act (50 MiB in all). */
const MAX_WRITES = 400;
let dir: string | undefined;
let node: SyncNode | undefined;
const clients: Client[] = [];
const raws: RawSocket[] = [];

async function start(opts: SyncNodeOptions): Promise<SyncNode> {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-backpressure-'));
  node = await startSyncNode(join(dir, 'flowshelf.db'), opts);
  return node;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  await node?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  node = undefined;
  dir = undefined;
});

function raw(n: SyncNode): RawSocket {
  const r = rawSocket(`${n.wsUrl}/${doc}`);
  raws.push(r);
  return r;
}

/** Resolves once `key` is in the client's workflows map; rejects if the client's socket closes first. */
function received(client: Client, key: string): Promise<void> {
  const map = client.doc.getMap('workflows');
  if (map.has(key)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onChange = () => {
      if (!map.has(key)) return;
      map.unobserve(onChange);
      client.provider.off('connection-close', onClose);
      resolve();
    };
    const onClose = (event: { code: number } | null) => {
      map.unobserve(onChange);
      reject(new Error(`reader closed (${event?.code ?? 'no code'}) before it received ${key}`));
    };
    map.observe(onChange);
    client.provider.on('connection-close', onClose);
  });
}

async function write(n: SyncNode, key: string): Promise<void> {
  await n.sync.withDocument(doc, (d) => d.getMap('workflows').set(key, CHUNK));
}

// SQLite only: outbound queues do not depend on the store, and the bursts that fill them must not
// yield to I/O, which every PostgreSQL commit does (the paused reader would then rightly be shed).
describe.skipIf(onPostgres)('outbound backpressure', () => {
  it('a client that stops reading is closed with 1013 while a reading client gets every write and stays', async () => {
    // The hard bound is far away, so only the stall rule can shed the paused socket.
    const n = await start({ maxBufferedBytes: SOFT, hardMaxBufferedBytes: 64 * 1024 * 1024, stallWindowMs: 50 });
    const reader = connect(n.wsUrl, doc, undefined);
    clients.push(reader);
    const stalled = raw(n);
    await Promise.all([synced(reader), stalled.opened]);
    await waitFor(() => stalled.frames.length > 0, 'server step 1 at the stalled client');
    await waitFor(() => n.sync.stats().connections === 2, 'both connections attached');
    // Stop reading: the kernel buffers fill first (a few MiB on loopback), then the server's queue.
    stalled.ws.pause();
    let writes = 0;
    // Each write waits until the reader has it: the pace is the reader's, whatever the machine's speed.
    while (n.sync.stats().connections === 2 && writes < MAX_WRITES) {
      await write(n, `w${writes}`);
      await received(reader, `w${writes}`);
      writes++;
    }
    expect(n.sync.stats().connections).toBe(1);
    // Written after the stalled one was shed: the reader still gets it.
    await write(n, 'after');
    await received(reader, 'after');
    expect(reader.closeCodes).toEqual([]);
    // Once it reads again, the stalled client finds the close code after the frames queued before it.
    stalled.ws.resume();
    expect((await stalled.closed).code).toBe(CloseCode.TryAgain);
  });

  it('a reader that is slow but keeps draining is not shed, however long its queue stays over the soft bound', async () => {
    const window = 250;
    const n = await start({ maxBufferedBytes: SOFT, hardMaxBufferedBytes: 256 * 1024 * 1024, stallWindowMs: window });
    const slow = raw(n);
    await slow.opened;
    await waitFor(() => n.sync.stats().connections === 1 && slow.frames.length > 0, 'slow reader attached');
    const framesBefore = slow.frames.length;
    slow.ws.pause();
    // One burst, without yielding to I/O, far over the soft bound: the kernel takes what it can at
    // once (a few MiB on loopback), the rest waits in server memory. The stall window starts after it.
    const backlog = SOFT + 128 * CHUNK.length;
    let writes = 0;
    while (n.sync.stats().queuedBytes < backlog && n.sync.stats().connections === 1 && writes < MAX_WRITES) {
      await write(n, `w${writes}`);
      writes++;
    }
    expect(n.sync.stats().connections).toBe(1);
    expect(n.sync.stats().queuedBytes).toBeGreaterThanOrEqual(backlog);
    // Then the reader takes 24 MB/s by the wall clock (a budget refilled on every tick, so a late
    // tick reads more): the backlog takes several windows to drain, the queue stays over the soft
    // bound through stall checks, and each window sees 6 MB read, over what TCP needs to report
    // progress to the sender (it wakes a blocked writer once half its send buffer, 4 MiB at most
    // here, is free).
    const bytesPerMs = 24_000;
    let budget = 0;
    let lastTick = Date.now();
    slow.ws.on('message', (data: Buffer) => {
      budget -= data.length;
      if (budget <= 0) slow.ws.pause();
    });
    const pace = setInterval(() => {
      const now = Date.now();
      budget = Math.min(budget + (now - lastTick) * bytesPerMs, window * bytesPerMs);
      lastTick = now;
      if (budget > 0) slow.ws.resume();
    }, 5);
    try {
      await waitFor(() => slow.frames.length - framesBefore >= writes, 'every write at the slow reader', 20_000);
    } finally {
      clearInterval(pace);
    }
    expect(n.sync.stats().connections).toBe(1);
    expect(n.logs).toEqual([]);
  });

  it('all queues together stay within the memory budget: the longest are cut, a reader that keeps up stays', async () => {
    // Neither the stall window nor the hard bound can act here: only the budget over all sockets.
    const n = await start({
      maxBufferedBytes: SOFT,
      hardMaxBufferedBytes: 64 * 1024 * 1024,
      stallWindowMs: 600_000,
      maxQueuedBytesTotal: 2 * 1024 * 1024,
      queueBudgetIntervalMs: 50,
    });
    const reader = connect(n.wsUrl, doc, undefined);
    clients.push(reader);
    const paused = [raw(n), raw(n), raw(n)];
    await Promise.all([synced(reader), ...paused.map((p) => p.opened)]);
    await waitFor(() => n.sync.stats().connections === 4 && paused.every((p) => p.frames.length > 0), 'every socket attached');
    for (const p of paused) p.ws.pause();
    let writes = 0;
    while (n.sync.stats().connections > 1 && writes < MAX_WRITES) {
      await write(n, `w${writes}`);
      await received(reader, `w${writes}`);
      writes++;
    }
    expect(n.sync.stats().connections).toBe(1);
    expect(reader.closeCodes).toEqual([]);
    // Cut, not closed: a close frame would wait behind the queue the budget had to free.
    for (const p of paused) {
      p.ws.resume();
      expect((await p.closed).code).toBe(1006);
    }
  });

  it('a socket whose queue would pass the hard bound is closed with 1013 at once, without waiting for the stall window', async () => {
    const hard = 4 * SOFT;
    // A stall window longer than the test: only the hard bound can act.
    const n = await start({ maxBufferedBytes: SOFT, hardMaxBufferedBytes: hard, stallWindowMs: 600_000 });
    const paused = raw(n);
    await paused.opened;
    await waitFor(() => n.sync.stats().connections === 1 && paused.frames.length > 0, 'paused reader attached');
    paused.ws.pause();
    let writes = 0;
    let mostQueued = 0;
    while (n.sync.stats().connections === 1 && writes < MAX_WRITES) {
      await write(n, `w${writes}`);
      mostQueued = Math.max(mostQueued, n.sync.stats().queuedBytes);
      writes++;
    }
    expect(n.sync.stats().connections).toBe(0);
    expect(mostQueued).toBeLessThanOrEqual(hard);
    paused.ws.resume();
    expect((await paused.closed).code).toBe(CloseCode.TryAgain);
  });
});
