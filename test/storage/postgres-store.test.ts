// PostgresDocumentStore on a real PostgreSQL (one server for this file, a fresh database owned by a
// non-superuser role per test): the DocumentStore acceptance suite, then what only several nodes on
// one database can show (concurrent appenders, deletion, an outage and the reconnect after it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PostgresDocumentStore } from '../../server/storage/postgres/document-store.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { StorageError, STORAGE_UNAVAILABLE_DETAIL } from '../../server/storage/storage-errors.js';
import { CloseCode, libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { migratedDatabase as migratedDatabaseOf } from './postgres-fixture.js';
import { connect, synced, waitFor, watched } from '../sync/clients.js';
import { startSyncNode } from '../sync/sync-node.js';
import { documentStoreSuite } from './document-store-suite.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

/** A migrated database and a URL to it (the role is its owner, no superuser). */
function migratedDatabase(): Promise<string> {
  return migratedDatabaseOf(postgres);
}

documentStoreSuite(
  'PostgresDocumentStore on a real PostgreSQL',
  async () => {
    const url = await migratedDatabase();
    let pool = new PostgresPool(url, { max: 2 });
    let store = new PostgresDocumentStore(pool);
    return {
      store,
      async reopen() {
        await store.close();
        await pool.close();
        pool = new PostgresPool(url, { max: 2 });
        store = new PostgresDocumentStore(pool);
        return store;
      },
      async dispose() {
        await store.close();
        await pool.close();
      },
    };
  },
  { appendSync: false },
);

function update(key: string, value: string = key): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, value);
  return Y.encodeStateAsUpdate(doc);
}

function rebuild(stored: { snapshot: Uint8Array | null; updates: Uint8Array[] }): Record<string, unknown> {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc.getMap('m').toJSON();
}

/** A seeded generator (mulberry32), so a shuffled order is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PostgresDocumentStore with several nodes', () => {
  const pools: PostgresPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });
  function poolFor(url: string, log?: (line: string) => void): PostgresPool {
    const pool = new PostgresPool(url, { max: 3, log });
    pools.push(pool);
    return pool;
  }

  it('four nodes appending to the same documents at once get gapless, distinct sequence numbers', async () => {
    const url = await migratedDatabase();
    const stores = [0, 1, 2, 3].map(() => new PostgresDocumentStore(poolFor(url)));
    const random = seeded(8);
    // Each node sends 40 batches: most to library/shared alone, some spanning library/shared and
    // library/other in either order (two such batches locking heads in opposite orders would deadlock).
    const returned = new Map<string, number[]>([['library/shared', []], ['library/other', []]]);
    await Promise.all(
      stores.map(async (store, node) => {
        for (let i = 0; i < 40; i++) {
          const r = random();
          const batch =
            r < 0.6
              ? [{ name: 'library/shared', update: update(`n${node}-${i}`) }]
              : r < 0.8
                ? [
                    { name: 'library/shared', update: update(`n${node}-${i}a`) },
                    { name: 'library/other', update: update(`n${node}-${i}b`) },
                    { name: 'library/shared', update: update(`n${node}-${i}c`) },
                  ]
                : [
                    { name: 'library/other', update: update(`n${node}-${i}b`) },
                    { name: 'library/shared', update: update(`n${node}-${i}a`) },
                  ];
          const seqs = await store.append(batch);
          // The entries of one document in a batch are numbered consecutively, ending at the returned seq.
          for (const [name, last] of seqs) {
            const count = batch.filter((entry) => entry.name === name).length;
            for (let k = count - 1; k >= 0; k--) returned.get(name)!.push(last - k);
          }
        }
      }),
    );
    for (const [name, seqs] of returned) {
      const sorted = [...seqs].sort((a, b) => a - b);
      expect(sorted).toEqual(sorted.map((_, i) => i + 1));
      const stored = await stores[0]!.loadSince(name, 0);
      expect(stored.updates.map((u) => u.seq)).toEqual(sorted);
      expect(stored.lastSeq).toBe(sorted.length);
    }
    // Every update is there, whichever node wrote it.
    const shared = rebuild(await stores[1]!.load('library/shared'));
    expect(Object.keys(shared)).toHaveLength(returned.get('library/shared')!.length);
  });

  it('a batch is atomic: one refused entry stores none of it, on any document', async () => {
    const url = await migratedDatabase();
    const store = new PostgresDocumentStore(poolFor(url));
    await store.append([{ name: 'library/good', update: update('first') }]);
    // A real refusal inside the commit (as a constraint or a failing disk would): the database owner
    // may add a trigger to its own table.
    const owner = poolFor(url);
    await owner.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION 'refused'; END $$`);
    await owner.query(`CREATE TRIGGER refuse BEFORE INSERT ON doc_updates FOR EACH ROW WHEN (NEW.doc = 'library/bad') EXECUTE FUNCTION refuse()`);
    await expect(
      store.append([
        { name: 'library/good', update: update('second') },
        { name: 'library/bad', update: update('x') },
      ]),
    ).rejects.toThrow('refused');
    expect((await store.load('library/good')).lastSeq).toBe(1);
    expect((await store.load('library/bad')).lastSeq).toBe(0);
    // The head did not move either: the next append gets the next number.
    await owner.query('DROP TRIGGER refuse ON doc_updates');
    expect((await store.append([{ name: 'library/good', update: update('third') }])).get('library/good')).toBe(2);
  });

  it('numbers never go back after a delete, and a node still holding the old document catches up with what came after', async () => {
    const url = await migratedDatabase();
    const nodeA = new PostgresDocumentStore(poolFor(url));
    const nodeB = new PostgresDocumentStore(poolFor(url));
    await nodeA.append([1, 2, 3].map((i) => ({ name: 'library/u', update: update(`old${i}`) })));
    // Node B has it loaded up to seq 3.
    expect((await nodeB.load('library/u')).lastSeq).toBe(3);
    await nodeA.delete('library/u');
    expect(await nodeA.load('library/u')).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
    expect((await nodeA.storedSeqs('library/')).has('library/u')).toBe(false);
    const seqs = await nodeA.append([{ name: 'library/u', update: update('new') }]);
    expect(seqs.get('library/u')).toBe(4);
    // B's catch-up from its seq 3 finds the update written after the deletion.
    const since = await nodeB.loadSince('library/u', 3);
    expect(since.updates.map((u) => u.seq)).toEqual([4]);
    expect(rebuild({ snapshot: since.snapshot, updates: since.updates.map((u) => u.update) })).toEqual({ new: 'new' });
  });

  it('a compaction arriving after the document was deleted does not bring it back', async () => {
    const url = await migratedDatabase();
    const store = new PostgresDocumentStore(poolFor(url));
    await store.append([1, 2].map((i) => ({ name: 'library/u', update: update(`k${i}`) })));
    const late = await store.load('library/u');
    const state = Y.encodeStateAsUpdate((() => {
      const doc = new Y.Doc();
      for (const u of late.updates) Y.applyUpdate(doc, u);
      return doc;
    })());
    await store.delete('library/u');
    await store.compact('library/u', state, 2);
    expect(await store.load('library/u')).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
  });

  it('appends racing a compaction on another node lose nothing', async () => {
    const url = await migratedDatabase();
    const writer = new PostgresDocumentStore(poolFor(url));
    const compactor = new PostgresDocumentStore(poolFor(url));
    for (let i = 1; i <= 10; i++) await writer.append([{ name: 'library/u', update: update(`k${i}`) }]);
    const loaded = await compactor.load('library/u');
    const doc = new Y.Doc();
    for (const u of loaded.updates) Y.applyUpdate(doc, u);
    await Promise.all([
      compactor.compact('library/u', Y.encodeStateAsUpdate(doc), loaded.lastSeq),
      (async () => {
        for (let i = 11; i <= 20; i++) await writer.append([{ name: 'library/u', update: update(`k${i}`) }]);
      })(),
    ]);
    const after = await writer.load('library/u');
    expect(after.snapshot).not.toBeNull();
    expect(after.lastSeq).toBe(20);
    expect(Object.keys(rebuild(after)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i + 1}`).sort());
  });

  it('document names with array-literal characters and large updates are stored exactly', async () => {
    const url = await migratedDatabase();
    const store = new PostgresDocumentStore(poolFor(url));
    const names = ['NULL', 'a,b', '{x}', 'quote"d', 'back\\slash', ' spaced ', 'ünïcødé/名前', ''];
    const seqs = await store.append(names.map((name) => ({ name, update: update(name) })));
    expect([...seqs.keys()].sort()).toEqual([...names].sort());
    for (const name of names) expect(rebuild(await store.load(name))).toEqual({ [name]: name });
    expect([...(await store.storedSeqs('')).keys()].sort()).toEqual([...names].sort());
    // A large update (8 MiB of bytes, as a big pasted workflow would make) in a batch with a small one.
    const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
    await store.append([{ name: 'library/big', update: big }, { name: 'library/big', update: update('small') }]);
    const loaded = await store.load('library/big');
    expect(loaded.updates).toHaveLength(2);
    expect(Buffer.compare(Buffer.from(loaded.updates[0]!), Buffer.from(big))).toBe(0);
  });

  it('every acknowledged append survives PostgreSQL crashing, and numbering goes on after its recovery', async () => {
    const url = await migratedDatabase();
    const store = new PostgresDocumentStore(poolFor(url, () => undefined));
    for (let i = 1; i <= 50; i++) expect((await store.append([{ name: 'library/u', update: update(`k${i}`) }])).get('library/u')).toBe(i);
    await postgres.pause({ crash: true });
    await postgres.resume();
    const loaded = await store.load('library/u');
    expect(loaded.lastSeq).toBe(50);
    expect(Object.keys(rebuild(loaded))).toHaveLength(50);
    expect((await store.append([{ name: 'library/u', update: update('after') }])).get('library/u')).toBe(51);
  });

  it('a stopped PostgreSQL makes append reject as "unavailable"; the same store works again once it is back', async () => {
    const url = await migratedDatabase();
    const logs: string[] = [];
    const store = new PostgresDocumentStore(poolFor(url, (line) => logs.push(line)));
    expect((await store.append([{ name: 'library/u', update: update('before') }])).get('library/u')).toBe(1);
    await postgres.pause();
    try {
      const refused = await store.append([{ name: 'library/u', update: update('during') }]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StorageError);
      expect(refused).toMatchObject({ kind: 'unavailable', message: STORAGE_UNAVAILABLE_DETAIL });
      await expect(store.load('library/u')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      await postgres.resume();
    }
    expect((await store.append([{ name: 'library/u', update: update('after') }])).get('library/u')).toBe(2);
    expect(rebuild(await store.load('library/u'))).toEqual({ before: 'before', after: 'after' });
    expect(logs.join('\n')).not.toContain(new URL(url).password);
  });
});

describe('sync server on PostgresDocumentStore', () => {
  it('PostgreSQL stopped: the client is closed with 1013 "storage unavailable", nothing is acknowledged, and its edit is stored once PostgreSQL is back', async () => {
    const url = await migratedDatabase();
    const pool = new PostgresPool(url, { max: 3, log: () => undefined });
    const store = new PostgresDocumentStore(pool);
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-pgsync-'));
    const node = await startSyncNode(join(dir, 'flowshelf.db'), { wrapStore: () => store });
    const doc = libraryDocument(SYSTEM_USER_ID);
    const writer = watched(connect(node.wsUrl, doc, undefined));
    try {
      await synced(writer);
      writer.doc.getMap('workflows').set('before', 'stored');
      // Committed: visible to a fresh reader of the store.
      await waitForAsync(async () => (await store.load(doc)).lastSeq >= 1, 'first edit stored');

      await postgres.pause();
      writer.doc.getMap('workflows').set('during', 'kept by the client');
      await waitFor(() => writer.closeCodes.length > 0, 'writer closed');
      expect(writer.closeCodes[0]).toBe(CloseCode.TryAgain);
      expect(writer.closeReasons[0]).toBe('storage unavailable');
      expect(node.logs.some((line) => line.includes('database unavailable'))).toBe(true);
      expect(node.logs.join('\n')).not.toContain(new URL(url).password);

      await postgres.resume();
      // The provider reconnects by itself and sends what the server lacks.
      await waitForAsync(async () => rebuildWorkflows(await store.load(doc)).during === 'kept by the client', 'edit stored after recovery', 15_000);
    } finally {
      writer.destroy();
      await node.close();
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function rebuildWorkflows(stored: { snapshot: Uint8Array | null; updates: Uint8Array[] }): Record<string, unknown> {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc.getMap('workflows').toJSON();
}

/** Polls an asynchronous condition (a store read) until it holds: the store offers no event for it. */
async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
