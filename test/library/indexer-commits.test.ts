// The indexer's commit hook over a real SQLite file and store: a commit that touches no workflow costs
// no database write, one that does reindexes only the touched ids, and the indexed seq bookkeeping
// (written with the rows, or held in memory and written later) keeps start-up reconciliation exact:
// after a clean stop nothing is reindexed, after a crash every document the index may have missed is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Database } from '../../server/db/database.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';
import { Indexer, loadStoredDoc } from '../../server/library/indexer.js';
import type { IndexChanges } from '../../server/storage/index-store.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { libraryDocument } from '../../shared/protocol.js';
import { createEntry, deleteEntry, readEntry, setEntryPublic, updateEntryWorkflow, type Workflow } from '../../shared/workflow/index.js';
import { userWorkflow } from '../api/fixtures.js';

const ALICE = 'alice-0000';
const BOB = 'bob-0000';
const ids = ['1d000000-0000-4000-8000-000000000001', '1d000000-0000-4000-8000-000000000002', '1d000000-0000-4000-8000-000000000003'];

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function workflow(id: string, name: string): Workflow {
  return { ...userWorkflow(name), id, description: name } as Workflow;
}

/** One server process's view of a database: opening it again on the same file is a restart. */
interface Process {
  db: Database;
  store: SqliteStore;
  index: SqliteIndexStore;
  indexer: Indexer;
}

/** The origin of edits that stand for a client's (a sync Connection in the server). */
const CLIENT = Symbol('client');

function open(file: string, seqFlushMs = 60_000, indexDelayMs = 60_000): Process {
  const db = openDatabase(file);
  const store = new SqliteStore(db);
  const index = new SqliteIndexStore(db);
  const indexer = new Indexer({
    index,
    store,
    log: (m) => expect.fail(`indexer logged: ${m}`),
    seqFlushMs,
    indexDelayMs,
    isClientEdit: (origin) => origin === CLIENT,
  });
  cleanups.push(async () => {
    // Index writes still under way (a dropped document's mark) land before the database closes.
    if (db.open) await indexer.catchUp();
    if (db.open) db.close();
  });
  return { db, store, index, indexer };
}

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-indexer-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'flowshelf.db');
}

/** What the sync server does for one change: apply, commit its updates, return the last seq. */
function commit(p: Process, name: string, doc: Y.Doc, change: () => void): number {
  const updates: Uint8Array[] = [];
  const capture = (u: Uint8Array) => updates.push(u);
  doc.on('update', capture);
  try {
    change();
  } finally {
    doc.off('update', capture);
  }
  if (updates.length === 0) throw new Error('the change made no update');
  return p.store.appendSync(updates.map((update) => ({ name, update }))).get(name)!;
}

/** Loads a library as the sync server would (store, then onLoaded). */
async function load(p: Process, userId: string): Promise<Y.Doc> {
  const doc = await loadStoredDoc(p.store, libraryDocument(userId));
  cleanups.push(() => doc.destroy());
  await p.indexer.onLoaded(libraryDocument(userId), doc);
  return doc;
}

function totalChanges(db: Database): number {
  return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

/** A library with the three workflows, committed and indexed. */
async function seeded(p: Process, userId = ALICE): Promise<{ name: string; doc: Y.Doc; seq: number }> {
  const name = libraryDocument(userId);
  const doc = await load(p, userId);
  const seq = commit(p, name, doc, () => ids.forEach((id, i) => createEntry(doc, id, workflow(id, `Workflow ${i}`), { isPublic: false })));
  await p.indexer.onCommitted(name, doc, seq);
  return { name, doc, seq };
}

async function indexedNames(p: Process, userId = ALICE): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await p.index.row(id, userId))?.name ?? '(none)'));
}

/** The ids of the rows each index write upserted (a spy on applyChanges). */
function upsertedIds(writes: { mock: { calls: [IndexChanges][] } }): string[][] {
  return writes.mock.calls.map(([changes]) => (changes.upserts ?? []).map((r) => r.workflow_id)).filter((l) => l.length > 0);
}

describe('indexer commit hook', () => {
  it('a commit that touches no workflow writes nothing to the database', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    const before = totalChanges(p.db);
    const writes = vi.spyOn(p.index, 'applyChanges');
    const seq = commit(p, name, doc, () => doc.getMap('settings').set('zoom', 2));
    const afterCommit = totalChanges(p.db);
    expect(afterCommit).toBe(before + 1); // the update itself (one row)

    await p.indexer.onCommitted(name, doc, seq);
    expect(totalChanges(p.db)).toBe(afterCommit);
    expect(writes).not.toHaveBeenCalled();
    // The index is right as of that seq; the number is only held for now.
    expect(await p.indexer.indexedSeq(name)).toBe(seq);
    expect(await p.index.indexedSeq(name)).toBe(seq - 1);
  });

  it('a commit that edits one workflow reindexes that id only, with its seq, in one write', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    const writes = vi.spyOn(p.index, 'applyChanges');
    const seq = commit(p, name, doc, () => updateEntryWorkflow(doc, ids[1]!, workflow(ids[1]!, 'Renamed')));
    await p.indexer.onCommitted(name, doc, seq);
    expect(writes).toHaveBeenCalledTimes(1);
    expect(upsertedIds(writes)).toEqual([[ids[1]]]);
    expect(await indexedNames(p)).toEqual(['Workflow 0', 'Renamed', 'Workflow 2']);
    expect((await p.index.row(ids[1]!, ALICE))?.doc_seq).toBe(seq);
    expect(await p.index.indexedSeq(name)).toBe(seq);
  });

  it('uses the seq it is given instead of asking the store', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    const seq = commit(p, name, doc, () => updateEntryWorkflow(doc, ids[0]!, workflow(ids[0]!, 'Given seq')));
    const queries = vi.spyOn(p.db, 'prepare');
    await p.indexer.onCommitted(name, doc, seq);
    expect(queries).not.toHaveBeenCalled();
    expect(await p.index.indexedSeq(name)).toBe(seq);
  });

  it('writes held seqs after the flush delay by itself', async () => {
    const p = open(tempFile(), 20);
    const { name, doc } = await seeded(p);
    const seq = commit(p, name, doc, () => doc.getMap('settings').set('zoom', 3));
    await p.indexer.onCommitted(name, doc, seq);
    await vi.waitFor(async () => expect(await p.index.indexedSeq(name)).toBe(seq), { timeout: 2000 });
  });

  it('a workflow change after a held seq writes the newer seq, and the held one never overwrites it', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    const held = commit(p, name, doc, () => doc.getMap('settings').set('zoom', 4));
    await p.indexer.onCommitted(name, doc, held);
    const changed = commit(p, name, doc, () => updateEntryWorkflow(doc, ids[2]!, workflow(ids[2]!, 'Later')));
    await p.indexer.onCommitted(name, doc, changed);
    await p.indexer.flush();
    expect(await p.index.indexedSeq(name)).toBe(changed);
  });
});

describe('start-up reconciliation with held seqs', () => {
  it('after a clean stop (held seqs written on close) a restart reindexes nothing, also on reload', async () => {
    const file = tempFile();
    const p = open(file);
    const { name, doc } = await seeded(p);
    for (let i = 0; i < 5; i++) await p.indexer.onCommitted(name, doc, commit(p, name, doc, () => doc.getMap('settings').set('zoom', i)));
    await p.indexer.flush();
    p.db.close();

    const again = open(file);
    const reindex = vi.spyOn(again.indexer, 'reindexDocument');
    await again.indexer.reconcile();
    await load(again, ALICE);
    expect(reindex).not.toHaveBeenCalled();
    expect(await indexedNames(again)).toEqual(['Workflow 0', 'Workflow 1', 'Workflow 2']);
  });

  it('a document reloaded before its held seq is written is not reindexed', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, () => doc.getMap('settings').set('zoom', 9)));
    const reindex = vi.spyOn(p.indexer, 'reindexDocument');
    await load(p, ALICE);
    expect(reindex).not.toHaveBeenCalled();
  });

  it('after a crash, documents with unwritten seqs or unindexed commits are reindexed and the index ends right', async () => {
    const file = tempFile();
    const p = open(file);
    const alice = await seeded(p, ALICE);
    const bob = await seeded(p, BOB);
    // Alice: commits that touch no workflow, held and never written (the process dies).
    for (let i = 0; i < 3; i++) {
      await p.indexer.onCommitted(alice.name, alice.doc, commit(p, alice.name, alice.doc, () => alice.doc.getMap('settings').set('zoom', i)));
    }
    // Bob: a held seq, then a workflow rename committed whose hook never ran (crash between the two).
    await p.indexer.onCommitted(bob.name, bob.doc, commit(p, bob.name, bob.doc, () => bob.doc.getMap('settings').set('zoom', 1)));
    commit(p, bob.name, bob.doc, () => updateEntryWorkflow(bob.doc, ids[0]!, workflow(ids[0]!, 'Renamed before the crash')));
    expect((await indexedNames(p, BOB))[0]).toBe('Workflow 0');
    p.db.close(); // no flushSeqs: a crash

    const again = open(file);
    const reindex = vi.spyOn(again.indexer, 'reindexDocument');
    await again.indexer.reconcile();
    expect(reindex.mock.calls.map((c) => c[0]).sort()).toEqual([ALICE, BOB].sort());
    expect(await indexedNames(again, ALICE)).toEqual(['Workflow 0', 'Workflow 1', 'Workflow 2']);
    expect(await indexedNames(again, BOB)).toEqual(['Renamed before the crash', 'Workflow 1', 'Workflow 2']);
    const stored = await loadStoredDoc(again.store, bob.name);
    expect(readEntry(stored, ids[0]!)?.entry.workflow).toMatchObject({ name: 'Renamed before the crash' });
    stored.destroy();

    // Caught up: the start after that reindexes nothing.
    again.db.close();
    const third = open(file);
    const none = vi.spyOn(third.indexer, 'reindexDocument');
    await third.indexer.reconcile();
    expect(none).not.toHaveBeenCalled();
  });

  it('forgetting a library drops its held seq, so it is not written back', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, () => doc.getMap('settings').set('zoom', 1)));
    await p.indexer.forgetLibrary(ALICE);
    await p.indexer.flush();
    expect(await p.index.indexedSeq(name)).toBeNull();
    expect(await p.index.indexedDocuments()).toEqual([]);
  });
});

describe('client edits: the first at once, a burst together, sharing and renames at once', () => {
  /** A client's edit inside a workflow (its description): coalesced while a burst goes on. */
  const edit = (doc: Y.Doc, i: number, text: string, origin: unknown = CLIENT) => () =>
    doc.transact(() => updateEntryWorkflow(doc, ids[i]!, { ...workflow(ids[i]!, `Workflow ${i}`), description: text }), origin);
  const texts = (p: Process) => Promise.all(ids.map(async (id) => (await p.index.row(id, ALICE))?.description ?? '(none)'));
  /** Opens the coalescing window with one client edit (indexed at once, the leading edge). */
  const lead = (p: Process, name: string, doc: Y.Doc) => p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 0, 'Leading edge')));

  it('the first client edit is indexed at once; the rest of the burst once, at the end of the window, as of the last seq', async () => {
    const p = open(tempFile(), 60_000, 30);
    const { name, doc } = await seeded(p);
    const upserts = vi.spyOn(p.index, 'applyChanges');
    let last = 0;
    for (let i = 0; i < 10; i++) {
      last = commit(p, name, doc, edit(doc, 0, `Drag ${i}`));
      await p.indexer.onCommitted(name, doc, last);
      if (i === 0) expect((await texts(p))[0]).toBe('Drag 0');
    }
    expect((await texts(p))[0]).toBe('Drag 0');
    await vi.waitFor(async () => expect((await texts(p))[0]).toBe('Drag 9'), { timeout: 2000 });
    expect(upsertedIds(upserts)).toEqual([[ids[0]], [ids[0]]]);
    expect(await p.index.indexedSeq(name)).toBe(last);
  });

  it('inside a burst, a client\'s share, unshare, rename, new workflow and delete are indexed at once', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 1, 'Waits for the window')));
    expect((await texts(p))[1]).toBe('Workflow 1');
    const now = (change: () => void) => p.indexer.onCommitted(name, doc, commit(p, name, doc, () => doc.transact(change, CLIENT)));
    await now(() => setEntryPublic(doc, ids[2]!, true));
    expect((await p.index.row(ids[2]!, ALICE))?.is_public).toBe(true);
    // The waiting edit went with it.
    expect((await texts(p))[1]).toBe('Waits for the window');
    await now(() => setEntryPublic(doc, ids[2]!, false));
    expect((await p.index.row(ids[2]!, ALICE))?.is_public).toBe(false);
    await now(() => updateEntryWorkflow(doc, ids[2]!, workflow(ids[2]!, 'Renamed on a device')));
    expect((await indexedNames(p))[2]).toBe('Renamed on a device');
    const added = '1d000000-0000-4000-8000-000000000009';
    await now(() => createEntry(doc, added, workflow(added, 'New on a device'), { isPublic: true }));
    expect((await p.index.row(added, ALICE))?.name).toBe('New on a device');
    await now(() => deleteEntry(doc, ids[0]!));
    expect((await p.index.row(ids[0]!, ALICE)) ?? null).toBeNull();
  });

  it('a server write indexes at once, with the client edits still waiting', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 0, 'From a client')));
    const seq = commit(p, name, doc, edit(doc, 1, 'From the REST API', null));
    await p.indexer.onCommitted(name, doc, seq);
    expect(await texts(p)).toEqual(['From a client', 'From the REST API', 'Workflow 2']);
    expect(await p.index.indexedSeq(name)).toBe(seq);
  });

  it('while a client edit waits, later commits do not record the index as right; a crash then reindexes', async () => {
    const file = tempFile();
    const p = open(file);
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    const indexed = await p.indexer.indexedSeq(name);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 2, 'Not indexed yet')));
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, () => doc.getMap('settings').set('zoom', 1)));
    expect(await p.indexer.indexedSeq(name)).toBe(indexed);
    expect(await p.index.indexedSeq(name)).toBe(indexed);

    // A crash now: the delayed reindex never runs. A second process on the file starts in its place.
    const again = open(file);
    await again.indexer.reconcile();
    expect(await texts(again)).toEqual(['Leading edge', 'Workflow 1', 'Not indexed yet']);
  });

  it('a document dropped with a reindex waiting (failed commit) indexes none of its memory; its next load reindexes from the store', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    const committed = commit(p, name, doc, edit(doc, 1, 'Committed'));
    await p.indexer.onCommitted(name, doc, committed);
    // An edit the store refused: in memory only, no hook (the sync server drops the room).
    edit(doc, 2, 'Refused by the store')();
    doc.destroy();
    expect(await texts(p)).toEqual(['Leading edge', 'Workflow 1', 'Workflow 2']);

    await load(p, ALICE);
    expect(await texts(p)).toEqual(['Leading edge', 'Committed', 'Workflow 2']);
    expect(await p.index.indexedSeq(name)).toBe(committed);
  });

  it('a document dropped with a reindex waiting is reindexed from the store at the next start', async () => {
    const file = tempFile();
    const p = open(file);
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 1, 'Committed before the drop')));
    doc.destroy();
    // The mark for a full reindex is written before the process stops (library.close awaits it).
    await p.indexer.catchUp();
    expect(await p.index.indexedSeq(name)).toBe(-1);
    p.db.close();

    const again = open(file);
    await again.indexer.reconcile();
    expect((await texts(again))[1]).toBe('Committed before the drop');
  });

  it('flush (on close) runs waiting reindexes', async () => {
    const p = open(tempFile());
    const { name, doc } = await seeded(p);
    await lead(p, name, doc);
    await p.indexer.onCommitted(name, doc, commit(p, name, doc, edit(doc, 1, 'Closing')));
    expect((await texts(p))[1]).toBe('Workflow 1');
    await p.indexer.flush();
    expect((await texts(p))[1]).toBe('Closing');
  });
});
