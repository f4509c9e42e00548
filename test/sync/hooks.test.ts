// onCommitted: called after the commit, once per document per event-loop turn with that turn's
// updates and the sequence number of the last one, and before the withDocument that made them resolves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);

interface HookCall {
  name: string;
  updates: number;
  seq: number;
  /** Rows in the store when the hook ran: the hook must never run ahead of the commit. */
  storedAtCall: number;
}

let dir: string;
let node: SyncNode;
let calls: HookCall[];
const clients: Client[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-hooks-'));
  calls = [];
  node = await startSyncNode(join(dir, 'flowshelf.db'), {
    hooks: {
      onCommitted: (name, _doc, updates, seq) =>
        calls.push({ name, updates: updates.length, seq, storedAtCall: storedUpdateCount(node.db, name) }),
    },
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('onCommitted hook', () => {
  it('runs once for the updates of one turn, with the last seq, before withDocument resolves', async () => {
    await node.sync.withDocument(doc, (d) => {
      for (let i = 0; i < 3; i++) d.transact(() => d.getMap('workflows').set(`w${i}`, i));
    });
    expect(calls).toEqual([{ name: doc, updates: 3, seq: 3, storedAtCall: 3 }]);
  });

  it('sees every client update exactly once, each after its commit', async () => {
    const c = connect(node.wsUrl, doc, undefined);
    clients.push(c);
    await synced(c);
    for (let i = 0; i < 25; i++) c.doc.getMap('workflows').set(`w${i}`, i);
    await waitFor(() => calls.reduce((n, call) => n + call.updates, 0) === 25, 'hooks for all 25 updates');
    expect(calls.at(-1)!.seq).toBe(25);
    for (const call of calls) expect(call.storedAtCall).toBeGreaterThanOrEqual(call.seq);
    expect(calls.map((call) => call.seq)).toEqual([...calls.map((call) => call.seq)].sort((a, b) => a - b));
  });
});
