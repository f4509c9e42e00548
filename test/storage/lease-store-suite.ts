// The acceptance suite every LeaseStore must pass (run per backend). Expiry is shown with a lease of
// 0 ms (expired as soon as it is taken), never by waiting for a clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseStore } from '../../server/storage/lease-store.js';

export interface LeaseFixture {
  /** Two views of the same leases, as two nodes have (for one process: the same object twice). */
  nodes: [LeaseStore, LeaseStore];
  dispose(): Promise<void>;
}

const MINUTE = 60_000;

export function leaseStoreSuite(name: string, create: () => Promise<LeaseFixture>): void {
  describe(`LeaseStore acceptance: ${name}`, () => {
    let fixture: LeaseFixture;
    let a: LeaseStore;
    let b: LeaseStore;
    beforeEach(async () => {
      fixture = await create();
      [a, b] = fixture.nodes;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('one holder at a time; the holder may take it again (extending it)', async () => {
      expect(await a.tryAcquire('reconcile', 'node-a', MINUTE)).toBe(true);
      expect(await b.tryAcquire('reconcile', 'node-b', MINUTE)).toBe(false);
      expect(await a.tryAcquire('reconcile', 'node-a', MINUTE)).toBe(true);
      expect(await b.tryAcquire('reconcile', 'node-b', MINUTE)).toBe(false);
      // Leases of other names are separate.
      expect(await b.tryAcquire('rebuild-public', 'node-b', MINUTE)).toBe(true);
    });

    it('released, it can be taken by another; a release by a non-holder changes nothing', async () => {
      expect(await a.tryAcquire('reconcile', 'node-a', MINUTE)).toBe(true);
      await b.release('reconcile', 'node-b');
      expect(await b.tryAcquire('reconcile', 'node-b', MINUTE)).toBe(false);
      await a.release('reconcile', 'node-a');
      expect(await b.tryAcquire('reconcile', 'node-b', MINUTE)).toBe(true);
    });

    it('an expired lease (its holder stopped renewing) goes to the next node, and the old holder cannot renew it', async () => {
      expect(await a.tryAcquire('reconcile', 'node-a', 0)).toBe(true);
      expect(await a.renew('reconcile', 'node-a', MINUTE)).toBe(false);
      expect(await b.tryAcquire('reconcile', 'node-b', MINUTE)).toBe(true);
      expect(await a.renew('reconcile', 'node-a', MINUTE)).toBe(false);
      expect(await a.tryAcquire('reconcile', 'node-a', MINUTE)).toBe(false);
    });

    it('the holder renews its live lease; nobody else can', async () => {
      expect(await a.tryAcquire('reconcile', 'node-a', MINUTE)).toBe(true);
      expect(await a.renew('reconcile', 'node-a', MINUTE)).toBe(true);
      expect(await b.renew('reconcile', 'node-b', MINUTE)).toBe(false);
      expect(await b.renew('unknown', 'node-b', MINUTE)).toBe(false);
    });
  });
}
