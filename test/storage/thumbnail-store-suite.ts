// The acceptance suite every ThumbnailStore must pass (run per backend, next to the index suite).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ThumbnailStore } from '../../server/storage/thumbnail-store.js';

export interface ThumbnailFixture {
  thumbnails: ThumbnailStore;
  dispose(): Promise<void>;
}

export function thumbnailStoreSuite(name: string, create: () => Promise<ThumbnailFixture>): void {
  describe(`ThumbnailStore acceptance: ${name}`, () => {
    let fixture: ThumbnailFixture;
    let store: ThumbnailStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.thumbnails;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('stores, replaces and returns an image byte for byte with its version', async () => {
      const image = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
      expect(await store.get('w1', 'alice')).toBeNull();
      expect(await store.version('w1', 'alice')).toBeNull();
      await store.put('w1', 'alice', image, 'v1');
      const stored = await store.get('w1', 'alice');
      expect(stored?.version).toBe('v1');
      expect(Buffer.compare(Buffer.from(stored!.image), image)).toBe(0);
      await store.put('w1', 'alice', Buffer.from([9, 9]), 'v2');
      expect(await store.version('w1', 'alice')).toBe('v2');
      expect(Buffer.from((await store.get('w1', 'alice'))!.image)).toEqual(Buffer.from([9, 9]));
    });

    it('is keyed by owner: the same id of another owner is another image', async () => {
      await store.put('w1', 'alice', Buffer.from([1]), 'va');
      expect(await store.get('w1', 'bob')).toBeNull();
      await store.put('w1', 'bob', Buffer.from([2, 2]), 'vb');
      expect(await store.version('w1', 'alice')).toBe('va');
      expect(await store.delete('w1', 'bob')).toBe(true);
      expect(await store.version('w1', 'alice')).toBe('va');
    });

    it('delete says whether there was an image', async () => {
      await store.put('w1', 'alice', Buffer.from([1]), 'v');
      expect(await store.delete('w1', 'alice')).toBe(true);
      expect(await store.delete('w1', 'alice')).toBe(false);
      expect(await store.get('w1', 'alice')).toBeNull();
    });

    it('counts bytes per image, per owner and for every owner', async () => {
      await store.put('w1', 'alice', Buffer.alloc(100), 'v');
      await store.put('w2', 'alice', Buffer.alloc(50), 'v');
      await store.put('w3', 'bob', Buffer.alloc(7), 'v');
      expect(await store.imageBytes('w1', 'alice')).toBe(100);
      expect(await store.imageBytes('w1', 'bob')).toBe(0);
      expect(await store.bytesOf('alice')).toBe(150);
      expect(await store.bytesOf('carol')).toBe(0);
      await store.put('w1', 'alice', Buffer.alloc(10), 'v2');
      expect(await store.bytesOf('alice')).toBe(60);
      expect(Object.fromEntries(await store.bytesByOwner())).toEqual({ alice: 60, bob: 7 });
    });
  });
}
