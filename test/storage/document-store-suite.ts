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
