// The fan-out acceptance suite (test/sync/fanout-suite.ts) with RedisFanout: sync nodes in one process
// over ONE SQLite file (each with its own connection to it), each node with its own RedisFanout (its own
// two connections) to one real redis-server, as separate processes would have. Then Redis restarted
// under load with three nodes and the stock client: every edit reaches every client and is stored once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RedisFanout } from '../../server/cluster/redis-fanout.js';
import { openDatabase, type Database } from '../../server/db/database.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { startRedis, type RedisService } from '../helpers/services.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { fanoutSuite, SlowLoadStore, type FanoutFixture } from '../sync/fanout-suite.js';
import { startSyncNode, type SyncNode } from '../sync/sync-node.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

async function redisFixture(): Promise<FanoutFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-redis-fanout-'));
  const file = join(dir, 'documents.db');
  const redis = await startRedis();
  const databases: Database[] = [];
  const fanouts: RedisFanout[] = [];
  return {
    async openStore() {
      const db = openDatabase(file);
      databases.push(db);
      return new SqliteStore(db);
    },
    async openFanout() {
      const fanout = await RedisFanout.connect({ url: redis.url, log: () => undefined, pingIntervalMs: 250 });
      fanouts.push(fanout);
      return fanout;
    },
    async reset() {
      // Redis killed and started again empty: every node's RedisFanout reconnects, resubscribes, resets.
      const before = fanouts.map((f) => f.stats().resets);
      await redis.restart();
      await waitFor(() => fanouts.every((f, i) => f.stats().resets > before[i]!), 'every node reset after the Redis restart', 10_000);
    },
    async dispose() {
      for (const f of fanouts) await f.close();
      for (const db of databases) db.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

fanoutSuite('RedisFanout on a real Redis, nodes over one SQLite file', redisFixture);

describe('Redis restarted under load (three nodes, stock clients)', () => {
  const doc = libraryDocument(SYSTEM_USER_ID);
  let dir: string;
  let redis: RedisService;
  const nodes: SyncNode[] = [];
  const fanouts: RedisFanout[] = [];
  const clients: Client[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-redis-load-'));
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const n of nodes.splice(0)) await n.close();
    for (const f of fanouts.splice(0)) await f.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no client loses an edit: every edit made before and during the restart reaches every client and the store, with nothing sent after it', async () => {
    const file = join(dir, 'documents.db');
    for (let i = 1; i <= 3; i++) {
      const fanout = await RedisFanout.connect({ url: redis.url, log: () => undefined, pingIntervalMs: 250 });
      fanouts.push(fanout);
      const db = openDatabase(file);
      const store = new SqliteStore(db);
      const node = await startSyncNode(join(dir, `node-${i}.db`), { store, fanout, nodeId: `node-${i}` });
      // The node does not close a given store; close its database with the node.
      const close = node.close.bind(node);
      node.close = async () => {
        await close();
        db.close();
      };
      nodes.push(node);
    }
    const writers = nodes.map((n) => connect(n.wsUrl, doc, undefined));
    clients.push(...writers);
    await Promise.all(writers.map(synced));

    // Every client writes before the restart.
    writers.forEach((c, i) => c.doc.getMap('workflows').set(`before-${i}`, i));
    const all = () => writers.map((c) => c.doc.getMap('workflows').size);
    await waitFor(() => all().every((size) => size === writers.length), 'the first edits at every client');

    // Then the client on node 1 writes one key per 5 ms across the restart. The others only read: a
    // node that commits nothing itself sees no gap in the numbers, so nothing but a reset (its own
    // resubscription, or node 1's notice) can bring it what it missed.
    let writing = true;
    let written = 0;
    const loop = (async () => {
      while (writing) {
        writers[0]!.doc.getMap('workflows').set(`w-${written}`, written);
        written++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await waitFor(() => written >= 20, 'writes before the restart');
    const resetsBefore = fanouts.map((f) => f.stats().resets);
    // The writer stops as soon as the new Redis is up, before the nodes have reconnected: its last
    // edits never cross Redis, and no later edit reveals a gap.
    await redis.restart();
    writing = false;
    await loop;
    const total = writers.length + written;
    await waitFor(() => fanouts.every((f, i) => f.stats().resets > resetsBefore[i]!), 'every node reset');

    // Every client converges on every edit (none of them reconnected).
    await waitFor(() => all().every((size) => size === total), `all ${total} edits at every client`, 15_000);
    const states = writers.map((c) => JSON.stringify(c.doc.getMap('workflows').toJSON(), Object.keys(c.doc.getMap('workflows').toJSON()).sort()));
    expect(new Set(states).size).toBe(1);
    // The outage did cost messages (healed by the catch-ups), and the store holds every edit.
    expect(fanouts.some((f) => f.stats().droppedUpdates > 0)).toBe(true);
    const stored = await nodes[0]!.store.loadSince(doc, 0);
    const fresh = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(fresh, stored.snapshot);
    for (const { update } of stored.updates) Y.applyUpdate(fresh, update);
    expect(fresh.getMap('workflows').size).toBe(total);
    for (const c of writers) expect(c.provider.wsconnected).toBe(true);
    // Live again: one more edit per client reaches every client.
    writers.forEach((c, i) => c.doc.getMap('workflows').set(`after-${i}`, true));
    await waitFor(() => all().every((size) => size === total + writers.length), 'edits after the restart at every client');
  });
});

describe('a reset while a document loads', () => {
  const doc = libraryDocument(SYSTEM_USER_ID);
  let dir: string;
  let redis: RedisService;
  let proxy: TcpProxy;
  const nodes: SyncNode[] = [];
  const fanouts: RedisFanout[] = [];
  const databases: Database[] = [];
  const clients: Client[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-redis-loadreset-'));
    redis = await startRedis();
    proxy = await startTcpProxy(redis.port);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const n of nodes.splice(0)) await n.close();
    for (const f of fanouts.splice(0)) await f.close();
    for (const db of databases.splice(0)) db.close();
    await proxy.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Only node two loses Redis, while it loads: its reset arrives before the document is attached (the
  // room link catches up once loaded), and nothing else is ever sent that could reveal the gap.
  it('an edit lost while node two loads the document reaches node two’s client through the reset', async () => {
    const file = join(dir, 'documents.db');
    const storeOf = () => {
      const db = openDatabase(file);
      databases.push(db);
      return new SqliteStore(db);
    };
    const fanoutOne = await RedisFanout.connect({ url: redis.url, log: () => undefined, pingIntervalMs: 250 });
    const fanoutTwo = await RedisFanout.connect({ url: proxy.url, log: () => undefined, pingIntervalMs: 250 });
    fanouts.push(fanoutOne, fanoutTwo);
    const one = await startSyncNode(join(dir, 'node-1.db'), { store: storeOf(), fanout: fanoutOne, nodeId: 'node-1' });
    const slow = new SlowLoadStore(storeOf());
    const two = await startSyncNode(join(dir, 'node-2.db'), { store: slow, fanout: fanoutTwo, nodeId: 'node-2' });
    nodes.push(one, two);
    const a = connect(one.wsUrl, doc, undefined);
    clients.push(a);
    await synced(a);

    // Node two starts loading: subscribed, store read, load not finished.
    const held = slow.holdNextLoad();
    const b = connect(two.wsUrl, doc, undefined);
    clients.push(b);
    await held.read;
    // Node two loses Redis; node one commits and publishes an edit that node two never receives.
    const resetsBefore = fanoutTwo.stats().resets;
    proxy.cut();
    await waitFor(() => proxy.connections === 0, 'node two cut off');
    a.doc.getMap('workflows').set('while-loading', 1);
    for (let stored = 0; stored === 0; ) {
      stored = (await one.store.loadSince(doc, 0)).updates.length;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Published and answered by Redis while node two was away.
    await waitFor(() => fanoutOne.stats().pendingBytes === 0, 'the publish answered');
    // Node two is back: resubscribed and reset, still loading.
    proxy.restore();
    await waitFor(() => fanoutTwo.stats().resets > resetsBefore, 'node two reset');
    held.release();
    await synced(b);
    // Nothing else is sent: only the reset can bring the edit.
    await waitFor(() => b.doc.getMap('workflows').get('while-loading') === 1, 'the edit at node two’s client', 5000);
  });
});
