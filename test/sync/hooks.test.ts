// Extensions (extension.ts): onCommitted is called after the commit, once per document per event-loop
// turn with that turn's updates, their typed origins and the sequence number of the last one, and
// before the withDocument that made them resolves; hooks are async and awaited, in extension order;
// a failing extension is logged by name and the others still run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { Extension } from '../../server/sync/extension.js';
import type { ChangeOrigin } from '../../server/sync/origins.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);

interface HookCall {
  name: string;
  updates: number;
  seq: number;
  origins: ChangeOrigin['kind'][];
  /** Rows in the store when the hook ran: the hook must never run ahead of the commit. */
  storedAtCall: number;
}

let dir: string;
let node: SyncNode;
let calls: HookCall[];
const clients: Client[] = [];
const extraNodes: SyncNode[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-hooks-'));
  calls = [];
  node = await startSyncNode(join(dir, 'flowshelf.db'), {
    extensions: [
      {
        name: 'recorder',
        onCommitted: async ({ name, updates, origins, seq }) => {
          const storedAtCall = await storedUpdateCount(node.store, name);
          calls.push({ name, updates: updates.length, seq, origins: origins.map((o) => o.kind), storedAtCall });
        },
      },
    ],
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const n of extraNodes.splice(0)) await n.close();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('onCommitted hook', () => {
  it('runs once for the updates of one turn, with the last seq, before withDocument resolves', async () => {
    await node.sync.withDocument(doc, (d) => {
      for (let i = 0; i < 3; i++) d.transact(() => d.getMap('workflows').set(`w${i}`, i));
    });
    expect(calls).toEqual([{ name: doc, updates: 3, seq: 3, origins: ['server', 'server', 'server'], storedAtCall: 3 }]);
  });

  it('sees every client update exactly once, each after its commit', async () => {
    const c = connect(node.wsUrl, doc, undefined);
    clients.push(c);
    await synced(c);
    for (let i = 0; i < 25; i++) c.doc.getMap('workflows').set(`w${i}`, i);
    await waitFor(() => calls.reduce((n, call) => n + call.updates, 0) === 25, 'hooks for all 25 updates');
    expect(calls.at(-1)!.seq).toBe(25);
    for (const call of calls) expect(call.storedAtCall).toBeGreaterThanOrEqual(call.seq);
    expect(new Set(calls.flatMap((call) => call.origins))).toEqual(new Set(['client']));
    expect(calls.map((call) => call.seq)).toEqual([...calls.map((call) => call.seq)].sort((a, b) => a - b));
  });
});

describe('extensions', () => {
  /** A node of its own, with these extensions; closed after the test. */
  async function nodeWith(extensions: Extension[], idleUnloadMs?: number): Promise<SyncNode> {
    const own = await startSyncNode(join(dir, 'other.db'), { extensions, ...(idleUnloadMs ? { idleUnloadMs } : {}) });
    extraNodes.push(own);
    return own;
  }

  it('run in order, each awaited: onLoaded finishes before a client syncs, onCommitted before withDocument resolves', async () => {
    const events: string[] = [];
    const slow = (label: string) => async () => {
      events.push(`${label} start`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`${label} end`);
    };
    const own = await nodeWith([
      { name: 'first', onLoaded: slow('first loaded'), onCommitted: slow('first committed') },
      { name: 'second', onLoaded: slow('second loaded'), onCommitted: slow('second committed') },
    ]);
    const c = connect(own.wsUrl, doc, undefined);
    clients.push(c);
    await synced(c);
    events.push('client synced');
    await own.sync.withDocument(doc, (d) => d.getMap('workflows').set('w', 1));
    events.push('withDocument resolved');
    expect(events).toEqual([
      'first loaded start',
      'first loaded end',
      'second loaded start',
      'second loaded end',
      'client synced',
      'first committed start',
      'first committed end',
      'second committed start',
      'second committed end',
      'withDocument resolved',
    ]);
  });

  it('onUnloading sees the document before it leaves memory, after its last onCommitted', async () => {
    const events: string[] = [];
    const own = await nodeWith(
      [
        {
          name: 'watcher',
          onCommitted: ({ seq }) => void events.push(`committed ${seq}`),
          onUnloading: ({ doc: d }) => void events.push(`unloading with ${JSON.stringify(d.getMap('workflows').toJSON())}`),
        },
      ],
      50,
    );
    await own.sync.withDocument(doc, (d) => d.getMap('workflows').set('w', 1));
    await waitFor(() => events.length === 2, 'the idle unload');
    expect(events).toEqual(['committed 1', 'unloading with {"w":1}']);
  });

  it('can be added with use() before the first document loads, never after', async () => {
    const own = await nodeWith([]);
    const loaded: string[] = [];
    own.sync.use({ name: 'late', onLoaded: ({ name }) => void loaded.push(name) });
    expect(() => own.sync.use({ name: 'late' })).toThrow(/twice/);
    await own.sync.withDocument(doc, () => undefined);
    expect(loaded).toEqual([doc]);
    expect(() => own.sync.use({ name: 'too-late' })).toThrow(/after documents were loaded/);
    expect(own.sync.removeExtension('late')).toBe(true);
    expect(own.sync.removeExtension('late')).toBe(false);
  });
});
