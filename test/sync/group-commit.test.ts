// Group commit and batched socket writes (issue 10 item 2): what reaches the server in one event-loop
// turn is committed in at most two transactions (the first update at once, the rest together at the
// end of the turn), forwarded in order, and written to each socket in at most two writes; every
// update is still committed before anyone sees it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { AppendEntry, DocumentStore } from '../../server/storage/document-store.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode, type SyncNode } from './sync-node.js';

const doc = libraryDocument(SYSTEM_USER_ID);
let dir: string;
let node: SyncNode | null = null;
const clients: Client[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-group-commit-'));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await node?.close();
  node = null;
  rmSync(dir, { recursive: true, force: true });
});

function client(): Client {
  const c = connect(node!.wsUrl, doc, undefined);
  clients.push(c);
  return c;
}

/** The real store, recording the size of every commit (appendSync on SQLite, append on PostgreSQL). */
function countingCommits(inner: DocumentStore, commits: number[]): DocumentStore {
  const appendSync = inner.appendSync?.bind(inner);
  return {
    load: (name) => inner.load(name),
    loadSince: (name, afterSeq) => inner.loadSince(name, afterSeq),
    storedSeqs: (prefix) => inner.storedSeqs(prefix),
    append: (batch) => {
      commits.push(batch.length);
      return inner.append(batch);
    },
    ...(appendSync
      ? {
          appendSync: (batch: readonly AppendEntry[]) => {
            commits.push(batch.length);
            return appendSync(batch);
          },
        }
      : {}),
    compact: (name, state, uptoSeq) => inner.compact(name, state, uptoSeq),
    delete: (name) => inner.delete(name),
    close: () => inner.close(),
  };
}

/** Counts the writes handed to the kernel for a socket (Writable's _write and _writev: one each). */
function countWrites(socket: Duplex, counter: { writes: number }): void {
  const stream = socket as unknown as { _write: (...args: unknown[]) => void; _writev?: (...args: unknown[]) => void };
  const write = stream._write.bind(socket);
  stream._write = (...args) => {
    counter.writes++;
    write(...args);
  };
  const writev = stream._writev?.bind(socket);
  if (writev) {
    stream._writev = (...args) => {
      counter.writes++;
      writev(...args);
    };
  }
}

describe('group commit', () => {
  it('ten changes made in one turn are committed in at most two transactions, reach the peer in order and are all in the store', async () => {
    const commits: number[] = [];
    node = await startSyncNode(join(dir, 'flowshelf.db'), { wrapStore: (store) => countingCommits(store, commits) });
    const peer = client();
    await synced(peer);
    const seen: number[] = [];
    peer.doc.getArray<number>('log').observe((event) => {
      for (const delta of event.changes.delta) if (delta.insert) seen.push(...(delta.insert as number[]));
    });
    commits.length = 0;
    await node.sync.withDocument(doc, (d) => {
      for (let i = 0; i < 10; i++) d.transact(() => d.getArray<number>('log').push([i]));
    });
    // One commit of the first update and one of the other nine (SQLite), or one of all ten (PostgreSQL's
    // asynchronous store); one commit per update before this change.
    expect(commits.reduce((a, b) => a + b, 0)).toBe(10);
    expect(commits.length).toBeLessThanOrEqual(2);
    await waitFor(() => seen.length === 10, 'the ten updates at the peer');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // What a restart would load: the store's snapshot and log.
    const stored = await node.store.load(doc);
    const reloaded = new Y.Doc();
    for (const update of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) Y.applyUpdate(reloaded, update);
    expect(reloaded.getArray<number>('log').toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frames forwarded to one socket in one turn leave in at most two writes', async () => {
    const counter = { writes: 0 };
    node = await startSyncNode(join(dir, 'flowshelf.db'), { onUpgrade: (socket) => countWrites(socket, counter) });
    const peer = client();
    await synced(peer);
    const log = peer.doc.getArray<number>('log');
    counter.writes = 0;
    await node.sync.withDocument(doc, (d) => {
      for (let i = 0; i < 10; i++) d.transact(() => d.getArray<number>('log').push([i]));
    });
    await waitFor(() => log.length === 10, 'the ten updates at the peer');
    // The first frame at once, the other nine together at the end of the turn (ten writes before).
    expect(counter.writes).toBeLessThanOrEqual(2);
    expect(log.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
