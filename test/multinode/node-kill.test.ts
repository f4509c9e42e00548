// A node killed with SIGKILL (a crashed machine) while three devices write one library through it and
// its neighbours: nothing any device saw is lost, the devices that were on it carry on through the
// survivors, the survivors' REST lists catch up with what the dead node committed (the reconcile), and
// a full restart of every node keeps all of it.
import { describe, expect, it } from 'vitest';
import { storedIds } from './cluster.js';
import { eventually, listedIds, waitFor, writing } from './devices.js';
import { missing, sameSet, useMultinode } from './fixture.js';

const multinode = useMultinode();

function own(ids: Iterable<string>, label: string): string[] {
  return [...ids].filter((id) => id.startsWith(`${label}-`));
}

describe('a node killed with SIGKILL under writes', () => {
  it('loses nothing any device saw: survivors, the store, the REST lists and a full restart all have it', async () => {
    const cluster = await multinode.startWithAlice(3, { usersVia: 'b' });
    const { a, b, c, alice, doc } = cluster;
    // Two writers on A (one of them comes back through C; the other is a tab closed with the crash),
    // one writer on B, a reader on C.
    const returning = multinode.device('w1', doc, alice.token);
    const lost = multinode.device('w2', doc, alice.token);
    const steady = multinode.device('w3', doc, alice.token);
    const reader = multinode.device('reader', doc, alice.token);
    await Promise.all([returning.connectTo(a), lost.connectTo(a), steady.connectTo(b), reader.connectTo(c)]);

    const writers = [writing(returning), writing(lost), writing(steady)];
    // Kill A once the reader on C has seen a good share of A's commits, with all three still writing.
    await waitFor(
      () => own(reader.ids(), 'w1').length >= 20 && own(reader.ids(), 'w2').length >= 20 && own(reader.ids(), 'w3').length >= 20,
      'the reader on C to see writes from every writer',
      15_000,
    );
    const lostClosed = lost.nextClose();
    const returningClosed = returning.nextClose();
    await a.kill('SIGKILL');
    await Promise.all([lostClosed, returningClosed]);
    // The closed tab: stops writing, never reconnects. What it received from A (the others' commits)
    // is what it saw.
    writers[1]!.stop();
    lost.disconnect();
    const seenByLost = new Set([...lost.ids()].filter((id) => !id.startsWith('w2-')));
    // The returning device keeps writing offline for a while, then comes back through C (the third
    // node), still writing; then everybody stops.
    returning.disconnect();
    const offlineFrom = writers[0]!.written.size;
    await waitFor(() => writers[0]!.written.size >= offlineFrom + 10, 'offline edits on the returning device');
    await returning.connectTo(c);
    const backFrom = writers[0]!.written.size;
    await waitFor(() => writers[0]!.written.size >= backFrom + 10 && own(reader.ids(), 'w1').length > backFrom, 'edits after the return reaching the reader');
    writers[0]!.stop();
    writers[2]!.stop();

    // Every live device converges on one set: every edit of the devices that stayed or came back, and
    // whatever of the closed tab's edits A committed (at least what the reader saw before the kill).
    const mustHave = new Set([...writers[0]!.written, ...writers[2]!.written]);
    await waitFor(
      () => sameSet(returning.ids(), steady.ids()) && sameSet(steady.ids(), reader.ids()) && mustHave.size === [...mustHave].filter((id) => reader.ids().has(id)).length,
      'the live devices to converge with every edit of the writers that stayed or came back',
      15_000,
    );
    const final = reader.ids();
    expect(missing(seenByLost, final), 'what the closed tab saw').toEqual([]);
    expect(own(final, 'w2').length).toBeGreaterThanOrEqual(20);
    expect(missing(own(final, 'w2'), writers[1]!.written), 'only what the closed tab wrote').toEqual([]);

    // Committed, not only in memory: the store, and a fresh device on each survivor, hold exactly that.
    const stored = await storedIds(cluster.databaseUrl, doc);
    expect(missing(final, stored), 'missing from the store').toEqual([]);
    expect(stored.size).toBe(final.size);
    for (const node of [b, c]) {
      const fresh = await multinode.fresh(node, doc, alice.token);
      expect(missing(final, fresh.ids()), `missing on a fresh device on node ${node.name}`).toEqual([]);
      expect(fresh.ids().size).toBe(final.size);
    }
    // The survivors' REST lists show everything, also what A committed but may not have indexed.
    for (const node of [b, c]) {
      await eventually(async () => sameSet((await listedIds(node, alice.token)).ids, final), `node ${node.name}'s REST list to show every workflow`, 30_000);
    }

    // A full restart of every node (the survivors stopped cleanly) keeps all of it.
    for (const d of [returning, steady, reader]) d.disconnect();
    const restarted = await cluster.restartAll(3);
    for (const node of restarted) {
      const fresh = await multinode.fresh(node, doc, alice.token);
      expect(missing(final, fresh.ids()), `missing on node ${node.name} after the restart`).toEqual([]);
      expect(fresh.ids().size).toBe(final.size);
    }
    expect(sameSet((await listedIds(restarted[0]!, alice.token)).ids, final)).toBe(true);
  }, 90_000);
});
