// When a document's update log is folded into its snapshot. A compaction rewrites the whole document,
// so a large one (a library of 1,000 workflows: ~10 MiB, ~350 ms on the event loop) is not rewritten
// every compactEvery small edits: its log is folded once it reaches a quarter of the snapshot, or at
// MAX_LOG_FACTOR x compactEvery updates, which bounds what a load replays. A small document is folded
// every compactEvery updates as before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { MAX_LOG_FACTOR } from '../../server/sync/document-room.js';
import { startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
const COMPACT_EVERY = 5;
let dir: string;
let node: SyncNode;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-compaction-'));
  node = await startSyncNode(join(dir, 'flowshelf.db'), { compactEvery: COMPACT_EVERY });
});

afterEach(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One server-side update, committed when this resolves. */
function write(key: string, value: string): Promise<void> {
  return node.sync.withDocument(doc, (d) => void d.getMap<string>('values').set(key, value));
}

/** Updates in the store's log once any compaction asked for has run (it runs in the document's chain, as an acquire does). */
async function loggedUpdates(): Promise<number> {
  await node.sync.documentBytes(doc);
  return storedUpdateCount(node.store, doc);
}

/** A snapshot of about 200 KB: five 40 KB values, folded at compactEvery (nothing was folded before). */
async function largeDocument(): Promise<void> {
  for (let i = 0; i < COMPACT_EVERY; i++) await write(`large-${i}`, 'x'.repeat(40_000));
  expect(await loggedUpdates()).toBe(0);
}

describe('compaction', () => {
  it('a small document is folded every compactEvery updates', async () => {
    for (let i = 0; i < COMPACT_EVERY - 1; i++) await write(`k${i}`, String(i));
    expect(await loggedUpdates()).toBe(COMPACT_EVERY - 1);
    await write('last', 'value');
    expect(await loggedUpdates()).toBe(0);
  });

  it('a large document keeps small edits in its log until they reach a quarter of its snapshot', async () => {
    await largeDocument();
    for (let i = 0; i < 4 * COMPACT_EVERY; i++) await write('dragged', `position ${i}`);
    // Folding these would rewrite ~200 KB for a few hundred bytes of edits.
    expect(await loggedUpdates()).toBe(4 * COMPACT_EVERY);
    await write('pasted', 'y'.repeat(60_000));
    expect(await loggedUpdates()).toBe(0);
  });

  it(`a large document's log is folded at ${MAX_LOG_FACTOR} x compactEvery updates however small they are`, async () => {
    await largeDocument();
    const cap = MAX_LOG_FACTOR * COMPACT_EVERY;
    for (let i = 0; i < cap - 1; i++) await write('dragged', `position ${i}`);
    expect(await loggedUpdates()).toBe(cap - 1);
    await write('dragged', 'last position');
    expect(await loggedUpdates()).toBe(0);
  });
});
