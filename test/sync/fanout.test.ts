// The fan-out acceptance suite (fanout-suite.ts) with InProcessFanout: sync nodes in one process over
// ONE SQLite file, each with its own connection to it, as separate processes would have; once with
// SQLite's synchronous commit and once through an asynchronous store (the batching path). On a
// PostgreSQL run (FLOWSHELF_TEST_BACKEND=postgres), over ONE PostgreSQL database instead, each node with
// its own pool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { openDatabase, type Database } from '../../server/db/database.js';
import type { DocumentStore } from '../../server/storage/document-store.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { InProcessFanout } from '../../server/sync/fanout.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { fanoutSuite, type FanoutFixture } from './fanout-suite.js';
import { asAsyncStore, sharedPostgresDocuments, startSyncNode, storedUpdateCount, type SyncNode } from './sync-node.js';
import { onPostgres } from '../helpers/test-backend.js';

/** Nodes in one process sharing one InProcessFanout, each over a store from `openStore`; `closeStores` closes them all. */
function inProcessFixture(openStore: () => Promise<DocumentStore>, closeStores: () => Promise<void>): FanoutFixture {
  const fanout = new InProcessFanout();
  return {
    openStore,
    async openFanout() {
      return fanout;
    },
    async reset() {
      fanout.reset();
    },
    async dispose() {
      await fanout.close();
      await closeStores();
    },
  };
}

/** Nodes in one process over ONE SQLite file, each with its own connection to it. */
function sqliteFixture(wrap: (store: SqliteStore) => DocumentStore) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-fanout-'));
    const file = join(dir, 'documents.db');
    const databases: Database[] = [];
    return inProcessFixture(
      async () => {
        const db = openDatabase(file);
        databases.push(db);
        return wrap(new SqliteStore(db));
      },
      async () => {
        for (const db of databases) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    );
  };
}

/** Nodes in one process over ONE PostgreSQL database, each with its own pool. */
async function postgresFixture() {
  const documents = await sharedPostgresDocuments();
  return inProcessFixture(
    () => documents.open(),
    () => documents.dispose(),
  );
}

if (onPostgres) {
  fanoutSuite('InProcessFanout over one PostgreSQL database', postgresFixture);
} else {
  fanoutSuite('InProcessFanout over one SQLite file', sqliteFixture((store) => store));
  // Without appendSync, as a store behind a network: commits are batched per turn, so one batch holds
  // several updates of a document, each published under its own seq.
  fanoutSuite('InProcessFanout over an asynchronous store', sqliteFixture(asAsyncStore));
}

describe('without a fan-out', () => {
  let dir: string;
  const nodes: SyncNode[] = [];
  const clients: Client[] = [];
  const disposals: (() => Promise<void>)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-fanout-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const n of nodes.splice(0)) await n.close();
    for (const dispose of disposals.splice(0)) await dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second server’s clients do not see the first server’s edits live (the control for the suite)', async () => {
    const doc = libraryDocument(SYSTEM_USER_ID);
    // One store for both: the SQLite file, or one PostgreSQL database.
    const shared = onPostgres ? await sharedPostgresDocuments() : null;
    if (shared) disposals.push(() => shared.dispose());
    const one = await startSyncNode(join(dir, 'flowshelf.db'), shared ? { store: await shared.open() } : {});
    const two = await startSyncNode(join(dir, 'flowshelf.db'), shared ? { store: await shared.open() } : {});
    nodes.push(one, two);
    const [a, b, probe] = [connect(one.wsUrl, doc, undefined), connect(two.wsUrl, doc, undefined), connect(two.wsUrl, doc, undefined)];
    clients.push(a, b, probe);
    await Promise.all([synced(a), synced(b), synced(probe)]);
    a.doc.getMap('workflows').set('from-a', 1);
    await waitFor(async () => (await storedUpdateCount(one.store, doc)) === 1, 'a’s edit committed');
    // An edit made on server two after a's arrives at b, so b has seen everything two forwarded.
    probe.doc.getMap('workflows').set('marker', 1);
    await waitFor(() => b.doc.getMap('workflows').get('marker') === 1, 'marker at b');
    expect(b.doc.getMap('workflows').has('from-a')).toBe(false);
  });
});
