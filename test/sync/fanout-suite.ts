// The acceptance suite every Fanout must pass together with the sync core (fanout.ts, room-link.ts):
// several sync nodes over ONE shared store and one fan-out, with real sockets and the stock client.
// Run per transport: fanout.test.ts (InProcessFanout over SQLite), the Redis and PostgreSQL suites.
// Each node gets its own store and fan-out connection from the fixture, as a separate process would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { DocumentStore } from '../../server/storage/document-store.js';
import type { Extension } from '../../server/sync/extension.js';
import type { Fanout, FanoutHandlers, FanoutSubscription } from '../../server/sync/fanout.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, type SyncNode } from './sync-node.js';

export interface FanoutFixture {
  /** A store over the one shared database, for one node. The fixture closes it in dispose. */
  openStore(): Promise<DocumentStore>;
  /** A fan-out connection for one node. The fixture closes it in dispose. */
  openFanout(): Promise<Fanout>;
  /** The transport loses what is in flight and tells every node so (onReset), as when Redis restarts empty. */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

/** A node's fan-out that can lose the next update messages sent to it by other nodes. */
class LossyFanout implements Fanout {
  private toDrop = 0;
  dropped = 0;
  nodeId = '';

  constructor(private readonly inner: Fanout) {}

  /** Loses the next `count` update messages from other nodes (a message lost on the way). */
  dropNextUpdates(count = 1): void {
    this.toDrop += count;
  }

  publishUpdate: Fanout['publishUpdate'] = (message) => this.inner.publishUpdate(message);
  publishAwareness: Fanout['publishAwareness'] = (message) => this.inner.publishAwareness(message);
  onReset: Fanout['onReset'] = (listener) => this.inner.onReset(listener);
  close: Fanout['close'] = () => this.inner.close();

  subscribe(doc: string, handlers: FanoutHandlers): Promise<FanoutSubscription> {
    return this.inner.subscribe(doc, {
      update: (message) => {
        if (message.nodeId !== this.nodeId && this.toDrop > 0) {
          this.toDrop--;
          this.dropped++;
          return;
        }
        handlers.update(message);
      },
      awareness: (message) => handlers.awareness(message),
    });
  }
}

/** A node's store whose next load reads the store, then waits until released (a slow load). */
export class SlowLoadStore implements DocumentStore {
  private hold: { reading: () => void; gate: Promise<void> } | null = null;

  constructor(private readonly inner: DocumentStore) {}

  /** The next load reads the store at once but returns only after release(); `read` resolves once it has read. */
  holdNextLoad(): { read: Promise<void>; release: () => void } {
    let release!: () => void;
    let reading!: () => void;
    const read = new Promise<void>((resolve) => (reading = resolve));
    this.hold = { reading, gate: new Promise<void>((resolve) => (release = resolve)) };
    return { read, release };
  }

  async load(name: string) {
    const stored = await this.inner.load(name);
    const hold = this.hold;
    this.hold = null;
    if (hold !== null) {
      hold.reading();
      await hold.gate;
    }
    return stored;
  }
  loadSince: DocumentStore['loadSince'] = (name, afterSeq) => this.inner.loadSince(name, afterSeq);
  storedSeqs: DocumentStore['storedSeqs'] = (prefix) => this.inner.storedSeqs(prefix);
  append: DocumentStore['append'] = (batch) => this.inner.append(batch);
  compact: DocumentStore['compact'] = (name, state, uptoSeq) => this.inner.compact(name, state, uptoSeq);
  delete: DocumentStore['delete'] = (name) => this.inner.delete(name);
  // The fixture closes the inner store.
  close = async (): Promise<void> => {};
}

type NodeOptions = { extensions?: Extension[]; compactEvery?: number };

interface SuiteNode {
  node: SyncNode;
  fanout: LossyFanout;
  store: SlowLoadStore;
}

/** Polls an asynchronous condition (a store read) until it holds. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function fanoutSuite(name: string, create: () => Promise<FanoutFixture>): void {
  describe(`Fanout acceptance: ${name}`, () => {
    const doc = libraryDocument(SYSTEM_USER_ID);
    let fixture: FanoutFixture;
    let dir: string;
    let nodes: SuiteNode[];
    let clients: Client[];

    beforeEach(async () => {
      fixture = await create();
      dir = mkdtempSync(join(tmpdir(), 'flowshelf-fanout-suite-'));
      nodes = [];
      clients = [];
    });

    afterEach(async () => {
      for (const c of clients) c.destroy();
      for (const { node } of nodes) await node.close();
      await fixture.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A sync node over the shared store and the fan-out; its users/identity live in a file of its own. */
    async function startNode(options: NodeOptions = {}): Promise<SuiteNode> {
      const index = nodes.length + 1;
      const store = new SlowLoadStore(await fixture.openStore());
      const fanout = new LossyFanout(await fixture.openFanout());
      fanout.nodeId = `node-${index}`;
      const node = await startSyncNode(join(dir, `node-${index}.db`), { store, fanout, nodeId: fanout.nodeId, ...options });
      const started = { node, fanout, store };
      nodes.push(started);
      return started;
    }

    function client(on: SuiteNode): Client {
      const c = connect(on.node.wsUrl, doc, undefined);
      clients.push(c);
      return c;
    }

    async function storedCount(): Promise<number> {
      return (await nodes[0]!.store.loadSince(doc, 0)).updates.length;
    }

    const workflows = (c: Client) => c.doc.getMap('workflows');

    /** Two nodes with a client each (a on node one, b on node two), both synced. */
    async function twoSyncedClients(options: { one?: NodeOptions; two?: NodeOptions } = {}) {
      const one = await startNode(options.one);
      const two = await startNode(options.two);
      const a = client(one);
      const b = client(two);
      await Promise.all([synced(a), synced(b)]);
      return { one, two, a, b };
    }

    /**
     * Two nodes, a synced client on node one, and b connecting to node two, whose load of the document
     * has read the store and is held until `slow.release()`.
     */
    async function clientLoadingOnTwo() {
      const one = await startNode();
      const two = await startNode();
      const a = client(one);
      await synced(a);
      const slow = two.store.holdNextLoad();
      const b = client(two);
      await slow.read;
      return { one, two, a, b, slow };
    }

    /** a writes `key` = 1, node one commits it, and the fan-out message is lost on its way to node two. */
    async function loseOnTheWayToTwo(a: Client, two: SuiteNode, key: string): Promise<void> {
      two.fanout.dropNextUpdates(1);
      workflows(a).set(key, 1);
      await eventually(async () => (await storedCount()) === 1, 'the edit committed by node one');
      await waitFor(() => two.fanout.dropped === 1, 'the message lost on its way to node two');
    }

    it('clients on two nodes receive each other’s edits and server-side writes; each update is stored once', async () => {
      const { one, two, a, b } = await twoSyncedClients();
      workflows(a).set('from-a', 'hello from node one');
      await waitFor(() => workflows(b).get('from-a') === 'hello from node one', 'a’s edit at b (other node)');
      workflows(b).set('from-b', 'hello from node two');
      await waitFor(() => workflows(a).get('from-b') === 'hello from node two', 'b’s edit at a (other node)');
      await one.node.sync.withDocument(doc, (d) => d.getMap('workflows').set('server', true));
      await waitFor(() => workflows(b).get('server') === true, 'a server-side write on node one at b');
      // Committed by the node it arrived at and by no other.
      expect(await storedCount()).toBe(3);
      for (const { node } of [one, two]) {
        expect(await node.sync.withDocument(doc, (d) => d.getMap('workflows').toJSON())).toEqual({
          'from-a': 'hello from node one',
          'from-b': 'hello from node two',
          server: true,
        });
      }
      expect(one.node.logs.concat(two.node.logs)).toEqual([]);
    });

    it('an update committed on node 1 while node 2 is loading the document reaches node 2’s client', async () => {
      // Node 2 reads the store now (before the edit) and returns the load only after the edit is committed.
      const { a, b, slow } = await clientLoadingOnTwo();
      workflows(a).set('during-load', 1);
      await eventually(async () => (await storedCount()) === 1, 'the edit committed by node one');
      slow.release();
      await synced(b);
      await waitFor(() => workflows(b).get('during-load') === 1, 'the edit made during the load at b');
      // And the document goes on syncing both ways.
      workflows(b).set('after', 2);
      await waitFor(() => workflows(a).get('after') === 2, 'b’s later edit at a');
      expect(await storedCount()).toBe(2);
    });

    it('a lost fan-out message is healed by a catch-up from the store on the next message', async () => {
      const { two, a, b } = await twoSyncedClients();
      await loseOnTheWayToTwo(a, two, 'lost');
      workflows(a).set('next', 2);
      await waitFor(() => workflows(b).get('next') === 2 && workflows(b).get('lost') === 1, 'both edits at b');
      expect(await storedCount()).toBe(2);
    });

    it('after a reset of the transport every loaded document catches up from the store', async () => {
      const { two, a, b } = await twoSyncedClients();
      await loseOnTheWayToTwo(a, two, 'lost');
      await fixture.reset();
      // Nothing else is sent: only the catch-up can bring it.
      await waitFor(() => workflows(b).get('lost') === 1, 'the lost edit at b after the reset', 15_000);
      // The fan-out works again after the reset.
      workflows(b).set('after-reset', 1);
      await waitFor(() => workflows(a).get('after-reset') === 1, 'an edit after the reset at a', 15_000);
    });

    it('a reset while node 2 loads the document makes it catch up once loaded', async () => {
      const { two, a, b, slow } = await clientLoadingOnTwo();
      await loseOnTheWayToTwo(a, two, 'lost-during-load');
      await fixture.reset();
      slow.release();
      await synced(b);
      await waitFor(() => workflows(b).get('lost-during-load') === 1, 'the lost edit at b', 15_000);
    });

    it('awareness crosses nodes, and a client that leaves is removed on the other node', async () => {
      const { two, a, b } = await twoSyncedClients();
      a.provider.awareness.setLocalStateField('user', { name: 'Ada' });
      const aId = a.doc.clientID;
      await waitFor(() => (b.provider.awareness.getStates().get(aId) as { user?: { name: string } } | undefined)?.user?.name === 'Ada', 'a’s presence at b');
      b.provider.awareness.setLocalStateField('user', { name: 'Bob' });
      const bId = b.doc.clientID;
      await waitFor(() => (a.provider.awareness.getStates().get(bId) as { user?: { name: string } } | undefined)?.user?.name === 'Bob', 'b’s presence at a');
      // A client that joins node two later is told about a (node two's relay holds node one's states).
      const late = client(two);
      await synced(late);
      await waitFor(() => late.provider.awareness.getStates().has(aId), 'a’s presence at a client joining node two');
      a.destroy();
      clients.splice(clients.indexOf(a), 1);
      await waitFor(() => !b.provider.awareness.getStates().has(aId), 'a removed at b once it left node one');
    });

    it('with both nodes writing and compacting, every node and a fresh one hold every update (no snapshot claims what its doc lacks)', async () => {
      const remote: number[] = [];
      const { one, two, a, b } = await twoSyncedClients({
        one: { compactEvery: 5 },
        two: { compactEvery: 5, extensions: [{ name: 'remote-seqs', onRemoteUpdate: ({ seq }) => void remote.push(seq) }] },
      });
      for (let i = 0; i < 30; i++) {
        workflows(a).set(`a${i}`, i);
        workflows(b).set(`b${i}`, i);
        if (i % 7 === 3) await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => workflows(a).size === 60 && workflows(b).size === 60, 'both clients converged');
      await eventually(async () => (await nodes[0]!.store.load(doc)).lastSeq === 60, 'all 60 updates stored');
      // Node two applied node one's updates in seq order.
      expect(remote).toEqual([...remote].sort((x, y) => x - y));
      await one.node.close();
      await two.node.close();
      const three = await startNode();
      const c = client(three);
      await synced(c);
      expect(workflows(c).size).toBe(60);
    });
  });
}
