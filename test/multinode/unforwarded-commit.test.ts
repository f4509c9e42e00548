// A node that committed an update it could not pass on (cut off from Redis), then died: the surviving
// nodes must still get it from the store, on their devices (the fan-out gap's catch-up) and in their
// REST lists (the index's reconcile), also when they commit to the same document after it, so that
// their own later seq does not cover it.
import { describe, expect, it } from 'vitest';
import { startTcpProxy } from '../cluster/tcp-proxy.js';
import { eventually, listedIds, waitFor } from './devices.js';
import { sameSet, useMultinode } from './fixture.js';

const multinode = useMultinode();

describe('a commit that never left the node that made it', () => {
  // B commits seq 3 on top of A's seq 2 before its doc has seq 2. The index of B's commit may claim
  // only the doc's contiguous run (committedSeq), not seq 3: when the catch-up brings seq 2, the
  // indexer reindexes what it touched (onRemoteUpdate), and were B to die first, the reconcile on C
  // would see the index behind the store. Recording seq 3 left A's workflow out of every REST list.
  it('a commit that never left the killed node (cut off from Redis) reaches the survivors\' devices after they commit on; and their REST lists', async () => {
    const proxy = await startTcpProxy(multinode.services().redis.port);
    try {
      const { a, b, c, alice, doc } = await multinode.startWithAlice(3, { redisUrlOf: { A: proxy.url }, usersVia: 'b' });
      const writerOnA = multinode.device('writer-a', doc, alice.token);
      const witnessOnA = multinode.device('witness-a', doc, alice.token);
      const onB = multinode.device('on-b', doc, alice.token);
      const onC = multinode.device('on-c', doc, alice.token);
      await Promise.all([writerOnA.connectTo(a), witnessOnA.connectTo(a), onB.connectTo(b), onC.connectTo(c)]);
      writerOnA.addWorkflow('before-cut');
      await waitFor(() => onB.ids().has('before-cut') && onC.ids().has('before-cut'), 'a commit of A reaching B and C');

      // A loses Redis: its next commit is stored but reaches no other node. The witness on A sees it,
      // so it was committed (a node forwards only what the store has taken).
      proxy.cut();
      writerOnA.addWorkflow('only-on-a');
      await waitFor(() => witnessOnA.ids().has('only-on-a'), 'the commit on A reaching its other device');
      expect(onB.ids().has('only-on-a')).toBe(false);
      // A dies before Redis is back; its devices are gone with it (they never send it again).
      await a.kill('SIGKILL');
      writerOnA.disconnect();
      witnessOnA.disconnect();

      // B commits on top of it (a later seq), then nothing else happens in this document.
      onB.addWorkflow('after-kill');
      const all = new Set(['before-cut', 'only-on-a', 'after-kill']);
      await waitFor(() => sameSet(onB.ids(), all) && sameSet(onC.ids(), all), 'the survivors\' devices to have A\'s last commit', 10_000).catch((error: Error) => {
        throw new Error(`${error.message}: B has ${[...onB.ids()]}, C has ${[...onC.ids()]}`);
      });
      for (const node of [b, c]) {
        await eventually(async () => sameSet((await listedIds(node, alice.token)).ids, all), `${node.name}'s REST list to show A's last commit`, 15_000);
      }
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
