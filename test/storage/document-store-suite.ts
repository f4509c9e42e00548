// The acceptance suite every DocumentStore must pass (run per backend, e.g. sqlite-store.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocumentStore } from '../../server/storage/document-store.js';

export interface StoreFixture {
  store: DocumentStore;
  /** A second store over the same data, as after a restart (the first one is closed before). */
  reopen(): Promise<DocumentStore>;
  dispose(): Promise<void>;
}

function edit(doc: Y.Doc, key: string, value: string): Uint8Array {
  let captured: Uint8Array | null = null;
  const capture = (update: Uint8Array) => (captured = update);
  doc.on('update', capture);
  doc.getMap('m').set(key, value);
  doc.off('update', capture);
  return captured!;
}

function rebuild(stored: { snapshot: Uint8Array | null; updates: Uint8Array[] }): Y.Doc {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const update of stored.updates) Y.applyUpdate(doc, update);
  return doc;
}

export interface SuiteOptions {
  /** Whether the backend offers appendSync (synchronous commit); checked, so a backend cannot lose it silently. */
  appendSync: boolean;
}

export function documentStoreSuite(name: string, create: () => Promise<StoreFixture>, options: SuiteOptions): void {
  describe(`DocumentStore acceptance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: DocumentStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('loads an unknown document as empty', async () => {
      expect(await store.load('library/nobody')).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
    });

    it('returns appended updates in order with increasing sequence numbers per document', async () => {
      const doc = new Y.Doc();
      const a = edit(doc, 'k', 'one');
      const b = edit(doc, 'k', 'two');
      const other = edit(new Y.Doc(), 'x', 'y');
      const seqs = await store.append([
        { name: 'library/a', update: a },
        { name: 'public', update: other },
        { name: 'library/a', update: b },
      ]);
      expect(Object.fromEntries(seqs)).toEqual({ 'library/a': 2, public: 1 });
      const loaded = await store.load('library/a');
      expect(loaded.updates.map((u) => Buffer.from(u).toString('hex'))).toEqual([a, b].map((u) => Buffer.from(u).toString('hex')));
      expect(loaded.lastSeq).toBe(2);
      expect(rebuild(loaded).getMap('m').get('k')).toBe('two');
      expect((await store.append([{ name: 'library/a', update: edit(doc, 'k', 'three') }])).get('library/a')).toBe(3);
    });

    it('keeps everything appended across a reopen', async () => {
      const doc = new Y.Doc();
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'v1') }]);
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'v2') }]);
      store = await fixture.reopen();
      const loaded = await store.load('library/a');
      expect(rebuild(loaded).getMap('m').get('k')).toBe('v2');
      expect(loaded.lastSeq).toBe(2);
    });

    it('compaction replaces the folded updates by the snapshot and keeps later ones', async () => {
      const doc = new Y.Doc();
      await store.append([1, 2, 3].map((i) => ({ name: 'library/a', update: edit(doc, `k${i}`, `v${i}`) })));
      const state = Y.encodeStateAsUpdate(doc);
      await store.append([{ name: 'library/a', update: edit(doc, 'k4', 'v4') }]);
      await store.compact('library/a', state, 3);
      const loaded = await store.load('library/a');
      expect(loaded.snapshot).not.toBeNull();
      expect(loaded.updates).toHaveLength(1);
      expect(loaded.lastSeq).toBe(4);
      expect(rebuild(loaded).getMap('m').toJSON()).toEqual({ k1: 'v1', k2: 'v2', k3: 'v3', k4: 'v4' });
    });

    it('continues numbering after a compaction that folded every update', async () => {
      const doc = new Y.Doc();
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'v1') }]);
      await store.compact('library/a', Y.encodeStateAsUpdate(doc), 1);
      const seqs = await store.append([{ name: 'library/a', update: edit(doc, 'k', 'v2') }]);
      expect(seqs.get('library/a')).toBe(2);
      const loaded = await store.load('library/a');
      expect(loaded.updates).toHaveLength(1);
      expect(rebuild(loaded).getMap('m').get('k')).toBe('v2');
    });

    it('ignores a compaction older than the stored snapshot', async () => {
      const doc = new Y.Doc();
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'old') }]);
      const old = Y.encodeStateAsUpdate(doc);
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'new') }]);
      await store.compact('library/a', Y.encodeStateAsUpdate(doc), 2);
      await store.compact('library/a', old, 1);
      expect(rebuild(await store.load('library/a')).getMap('m').get('k')).toBe('new');
    });

    it('deletes a document without touching others', async () => {
      await store.append([
        { name: 'library/a', update: edit(new Y.Doc(), 'k', 'a') },
        { name: 'library/b', update: edit(new Y.Doc(), 'k', 'b') },
      ]);
      await store.compact('library/a', Y.encodeStateAsUpdate(new Y.Doc()), 1);
      await store.delete('library/a');
      expect(await store.load('library/a')).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
      expect((await store.load('library/b')).updates).toHaveLength(1);
    });

    it('loadSince returns the updates after a sequence number, in order, with the last seq', async () => {
      const doc = new Y.Doc();
      const updates = [1, 2, 3, 4].map((i) => edit(doc, `k${i}`, `v${i}`));
      for (const update of updates) await store.append([{ name: 'library/a', update }]);
      await store.append([{ name: 'library/b', update: edit(new Y.Doc(), 'x', 'y') }]);
      const since = await store.loadSince('library/a', 2);
      expect(since.snapshot).toBeNull();
      expect(since.updates.map((u) => u.seq)).toEqual([3, 4]);
      expect(since.updates.map((u) => Buffer.from(u.update).toString('hex'))).toEqual(updates.slice(2).map((u) => Buffer.from(u).toString('hex')));
      expect(since.lastSeq).toBe(4);
      // Nothing after the last seq: no updates, and lastSeq still says where the document is.
      expect(await store.loadSince('library/a', 4)).toEqual({ snapshot: null, updates: [], lastSeq: 4 });
      expect(await store.loadSince('library/nobody', 0)).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
    });

    it('loadSince after a compaction folded some wanted updates returns the snapshot and the log after it', async () => {
      const doc = new Y.Doc();
      const behind = new Y.Doc();
      for (const i of [1, 2]) {
        const update = edit(doc, `k${i}`, `v${i}`);
        Y.applyUpdate(behind, update);
        await store.append([{ name: 'library/a', update }]);
      }
      for (const i of [3, 4]) await store.append([{ name: 'library/a', update: edit(doc, `k${i}`, `v${i}`) }]);
      await store.compact('library/a', Y.encodeStateAsUpdate(doc), 4);
      await store.append([{ name: 'library/a', update: edit(doc, 'k5', 'v5') }]);
      // The reader has 1..2; 3 and 4 exist only inside the snapshot now.
      const since = await store.loadSince('library/a', 2);
      expect(since.snapshot).not.toBeNull();
      expect(since.updates.map((u) => u.seq)).toEqual([5]);
      expect(since.lastSeq).toBe(5);
      Y.applyUpdate(behind, since.snapshot!);
      for (const { update } of since.updates) Y.applyUpdate(behind, update);
      expect(behind.getMap('m').toJSON()).toEqual({ k1: 'v1', k2: 'v2', k3: 'v3', k4: 'v4', k5: 'v5' });
      // A reader already past the snapshot gets only the log.
      const after = await store.loadSince('library/a', 4);
      expect(after.snapshot).toBeNull();
      expect(after.updates.map((u) => u.seq)).toEqual([5]);
      // Everything folded, nothing after: lastSeq is the snapshot's.
      await store.compact('library/a', Y.encodeStateAsUpdate(doc), 5);
      expect(await store.loadSince('library/a', 5)).toEqual({ snapshot: null, updates: [], lastSeq: 5 });
      expect((await store.loadSince('library/a', 3)).snapshot).not.toBeNull();
    });

    it('storedSeqs gives the highest stored seq of each document under a prefix, folded or appended', async () => {
      const doc = new Y.Doc();
      await store.append([1, 2, 3].map((i) => ({ name: 'library/a', update: edit(doc, `k${i}`, `v${i}`) })));
      await store.compact('library/a', Y.encodeStateAsUpdate(doc), 3);
      const b = new Y.Doc();
      await store.append([{ name: 'library/b', update: edit(b, 'k', '1') }, { name: 'library/b', update: edit(b, 'k', '2') }]);
      await store.compact('library/b', Y.encodeStateAsUpdate(b), 1);
      await store.append([{ name: 'public', update: edit(new Y.Doc(), 'p', 'q') }]);
      expect(Object.fromEntries(await store.storedSeqs('library/'))).toEqual({ 'library/a': 3, 'library/b': 2 });
      expect(Object.fromEntries(await store.storedSeqs(''))).toEqual({ 'library/a': 3, 'library/b': 2, public: 1 });
      // A prefix is literal (no pattern characters), and a deleted document is gone.
      expect((await store.storedSeqs('library/_')).size).toBe(0);
      expect((await store.storedSeqs('library%')).size).toBe(0);
      await store.delete('library/a');
      expect([...(await store.storedSeqs('library/')).keys()]).toEqual(['library/b']);
    });

    it(options.appendSync ? 'appendSync commits before it returns, numbered in line with append' : 'offers no appendSync', async () => {
      if (!options.appendSync) {
        expect(store.appendSync).toBeUndefined();
        return;
      }
      const doc = new Y.Doc();
      await store.append([{ name: 'library/a', update: edit(doc, 'k', 'v1') }]);
      const seqs = store.appendSync!([{ name: 'library/a', update: edit(doc, 'k', 'v2') }]);
      expect(seqs.get('library/a')).toBe(2);
      const batch = store.appendSync!([
        { name: 'library/a', update: edit(doc, 'k', 'v3') },
        { name: 'library/b', update: edit(new Y.Doc(), 'k', 'b') },
      ]);
      expect(Object.fromEntries(batch)).toEqual({ 'library/a': 3, 'library/b': 1 });
      store = await fixture.reopen();
      const loaded = await store.load('library/a');
      expect(loaded.lastSeq).toBe(3);
      expect(rebuild(loaded).getMap('m').get('k')).toBe('v3');
    });

    it('rejects calls after close', async () => {
      await store.close();
      await expect(store.load('library/a')).rejects.toThrow();
      await expect(store.append([{ name: 'library/a', update: new Uint8Array([0, 0]) }])).rejects.toThrow();
      if (options.appendSync) expect(() => store.appendSync!([{ name: 'library/a', update: new Uint8Array([0, 0]) }])).toThrow();
    });
  });
}
