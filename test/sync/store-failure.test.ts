// When the store refuses a commit, nothing of it is forwarded or acknowledged: the room is dropped,
// its clients are closed with 1013 (try again), and after the store recovers they reconnect and
// their change arrives from them. The failure is a real one: a SQLite trigger makes the real
// SqliteStore's insert fail (as a full disk or an I/O error would). Run against the synchronous
// SqliteStore and against an asynchronous store over it (the batching path). SQLite only: the failure is
// injected with a SQLite trigger; the same path on PostgreSQL (stopped under a sync server, 1013, the
// edit stored once it is back) is test/storage/postgres-store.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { asAsyncStore, startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';
import { onPostgres } from '../helpers/test-backend.js';

const doc = libraryDocument(SYSTEM_USER_ID);

function failAppends(node: SyncNode): void {
  node.db.exec(`CREATE TRIGGER fail_appends BEFORE INSERT ON doc_updates BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END`);
}

function healAppends(node: SyncNode): void {
  node.db.exec('DROP TRIGGER fail_appends');
}

/** What the store holds for the document, read from the database file. */
function storedMap(node: SyncNode): Record<string, unknown> {
  const rebuilt = new Y.Doc();
  const snapshot = node.db.prepare('SELECT data FROM doc_snapshots WHERE doc = ?').get(doc) as { data: Buffer } | undefined;
  if (snapshot) Y.applyUpdate(rebuilt, snapshot.data);
  for (const row of node.db.prepare('SELECT data FROM doc_updates WHERE doc = ? ORDER BY seq').all(doc) as Array<{ data: Buffer }>) {
    Y.applyUpdate(rebuilt, row.data);
  }
  const json = rebuilt.getMap('workflows').toJSON();
  rebuilt.destroy();
  return json;
}

describe.skipIf(onPostgres).each([
  { kind: 'synchronous SqliteStore', async: false },
  { kind: 'asynchronous store over SQLite', async: true },
])('store failure ($kind)', ({ async }) => {
  let dir: string;
  let node: SyncNode;
  const clients: Client[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-storefail-'));
    node = await startSyncNode(join(dir, 'flowshelf.db'), async ? { wrapStore: asAsyncStore } : {});
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(): Client {
    const c = connect(node.wsUrl, doc, undefined);
    clients.push(c);
    return c;
  }

  it('an edit the store refuses is never forwarded; both clients are closed with 1013 and the edit arrives after recovery', async () => {
    expect(node.store.appendSync === undefined).toBe(async);
    const writer = client();
    const peer = client();
    await Promise.all([synced(writer), synced(peer)]);
    writer.doc.getMap('workflows').set('before', 'stored');
    await waitFor(() => peer.doc.getMap('workflows').get('before') === 'stored', 'first edit at the peer');
    let peerSawRefused = false;
    peer.doc.getMap('workflows').observe(() => {
      if (peer.doc.getMap('workflows').has('refused-at-first')) peerSawRefused = true;
    });

    failAppends(node);
    writer.doc.getMap('workflows').set('refused-at-first', 'kept by the writer');
    await waitFor(() => writer.closeCodes.length > 0 && peer.closeCodes.length > 0, 'both clients closed');
    expect(writer.closeCodes[0]).toBe(CloseCode.TryAgain);
    expect(peer.closeCodes[0]).toBe(CloseCode.TryAgain);
    expect(peerSawRefused).toBe(false);
    expect(storedMap(node)).toEqual({ before: 'stored' });
    expect(node.logs.some((line) => line.includes('disk I/O error (test)'))).toBe(true);

    healAppends(node);
    // The stock client reconnects by itself after 1013 and sends what the server lacks.
    await waitFor(() => peer.doc.getMap('workflows').get('refused-at-first') === 'kept by the writer', 'the edit at the peer after recovery', 10_000);
    expect(storedMap(node)).toEqual({ before: 'stored', 'refused-at-first': 'kept by the writer' });
    expect(peerSawRefused).toBe(true);
  });

  it('a server-side write the store refuses rejects and leaves no trace, in memory or after reload', async () => {
    await node.sync.withDocument(doc, (d) => d.getMap('workflows').set('before', 0));
    failAppends(node);
    await expect(node.sync.withDocument(doc, (d) => d.getMap('workflows').set('server-write', 1))).rejects.toThrow(/could not be stored/);
    // The room whose memory ran ahead of the store is dropped at once; the next use loads the store.
    expect(node.sync.stats().rooms).toBe(0);
    healAppends(node);
    expect(await node.sync.withDocument(doc, (d) => d.getMap('workflows').has('server-write'))).toBe(false);
    expect(await storedUpdateCount(node.store, doc)).toBe(1);
    await node.sync.withDocument(doc, (d) => d.getMap('workflows').set('after-recovery', 2));
    expect(storedMap(node)).toEqual({ before: 0, 'after-recovery': 2 });
  });

  it('a failure in one document leaves clients of another document connected', async () => {
    const other = connect(node.wsUrl, 'public', undefined);
    clients.push(other);
    const writer = client();
    await Promise.all([synced(writer), synced(other)]);
    failAppends(node);
    writer.doc.getMap('workflows').set('refused', true);
    await waitFor(() => writer.closeCodes.length > 0, 'writer closed');
    healAppends(node);
    await node.sync.withDocument('public', (d) => d.getMap('workflows').set('published', true));
    await waitFor(() => other.doc.getMap('workflows').get('published') === true, 'public write at its reader');
    expect(other.closeCodes).toEqual([]);
  });
});
