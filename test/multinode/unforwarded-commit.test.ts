// A node that committed an update it could not pass on (cut off from Redis), then died: the surviving
// nodes must still get it from the store, on their devices (the fan-out gap's catch-up) and in their
// REST lists (the index's reconcile), also when they commit to the same document after it, so that
// their own later seq does not cover it.
import { describe, expect, it } from 'vitest';
import { libraryDocument } from '../../shared/protocol.js';
import { startTcpProxy } from '../cluster/tcp-proxy.js';
import { eventually, listedIds, people, waitFor } from './devices.js';
import { sameSet, useMultinode } from './fixture.js';

const multinode = useMultinode();

describe('a commit that never left the node that made it', () => {
  // KNOWN BUG, marked where it bites (the REST check below expects the failure; flip it with the fix,
  // which is not in this area): the survivors' devices get the commit
  // (room-link's gap catch-up), but their REST lists never do. B commits seq 3 on top of A's seq 2
  // before its doc has seq 2; the indexer (server/library/indexer.ts onCommitted, via the library
  // extension in library.ts) records "indexed up to seq 3" (workflow_index_state) with only B's ids, and
  // the seq 2 applied later by the catch-up (a remote update: the library has no onRemoteUpdate) is
  // never indexed. The reconcile then sees indexed seq = stored seq and skips the document, and so
  // does every start. The indexed seq of a commit must not claim more than the doc's contiguous
  // committedSeq.
  it('a commit that never left the killed node (cut off from Redis) reaches the survivors\' devices after they commit on; their REST lists miss it (known bug)', async () => {
    const proxy = await startTcpProxy(multinode.services().redis.port);
    try {
      const cluster = await multinode.start(3, { redisUrlOf: { A: proxy.url } });
      const { a, b, c } = cluster;
      const { alice } = await people(b, 'alice');
      const doc = libraryDocument(alice.userId);
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
      // The REST lists: see KNOWN BUG above. With the fix, this is
      //   for (const node of [b, c]) await eventually(async () => sameSet((await listedIds(node, alice.token)).ids, all), ...)
      const caughtUp = await eventually(async () => sameSet((await listedIds(b, alice.token)).ids, all), 'B\'s REST list to show A\'s last commit', 35_000).then(
        () => true,
        () => false,
      );
      expect(caughtUp, 'B\'s REST list shows A\'s last commit: the indexer bug is fixed, flip this check').toBe(false);
      expect([...(await listedIds(c, alice.token)).ids].sort()).toEqual(['after-kill', 'before-cut']);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
