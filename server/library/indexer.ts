// Keeps the workflow index in step with the library documents. While a document is loaded, an observer
// on its workflows map collects the ids each change touches, and every commit reindexes just those, in
// one transaction. A commit that touched no workflow (most commits of other parts of the document)
// writes nothing at once: the index is already right for it.
//
// The document's `opened` map (per-user opens of workflows outside the library, opened-doc.ts) is fed
// into the per-user opens table in the commit's hook, from any origin: opens are rare and cheap, and
// REST `opened_at` / `has_been_opened` must agree with the app at once.
//
// Edits from clients inside a workflow are coalesced per document: the first one after a quiet
// INDEX_DELAY_MS is indexed at once (leading edge), the rest of a burst together at the end of that
// window, never later: a node dragged in the editor commits dozens of updates a second, and each
// reindex validates the whole workflow (and, for a shared one, rewrites it into `public`). What others
// must see at once is never coalesced: a workflow added or deleted, shared or unshared, replaced or
// renamed. Every other change (the REST API and the server's own writes through withDocument) is
// indexed in its commit's hook, so a REST call answers with the index already right; a pending client
// edit of the same document goes with it.
//
// Crash safety rests on one number per document, the indexed seq: "the index matches this document as
// of this stored sequence number". At start, every document whose stored seq differs from it is read
// from the store and reindexed in full, so a crash between a commit and its indexing never leaves the
// index stale (and documents written by the CLI while the server was down are picked up). The number
// is written with the rows whenever a commit changes workflows; after commits that changed none it is
// only held in memory and written a little later, together for all documents (SEQ_FLUSH_MS) and on
// close. A crash before that write costs a needless reindex of those documents at the next start,
// never a missed change: the number recorded is always one at which the index was right.
import * as Y from 'yjs';
import { parseDocumentName, libraryDocument } from '../../shared/protocol.js';
import { entryKeyOf, openedMap, readAll, readEntry, readOpened, workflowsMap, type LibraryEntryRead } from '../../shared/workflow/index.js';
import type { DocumentStore } from '../storage/document-store.js';
import { originOf } from '../sync/origins.js';
import type { IndexRow, OpenRecord, RowKey, WorkflowIndexStore } from '../storage/index-store.js';
import { quarantineReason } from './owners.js';

/** Ids whose index rows changed (added, changed or removed) in one library. */
export interface IndexChange {
  userId: string;
  workflowIds: string[];
}

export interface IndexerOptions {
  index: WorkflowIndexStore;
  store: DocumentStore;
  log: (message: string) => void;
  /** How long an indexed seq of a commit that changed no workflow waits in memory. Default SEQ_FLUSH_MS. */
  seqFlushMs?: number;
  /** Longest delay of the index behind a client's edit. Default INDEX_DELAY_MS. */
  indexDelayMs?: number;
  /** Whether a transaction origin is a client's edit (may be indexed late). Default: a sync client's (origins.ts). */
  isClientEdit?: (origin: unknown) => boolean;
}

/**
 * The coalescing window of a client's edits inside a document's workflows: the first edit is indexed
 * at once, the rest of a burst at most this long after it. The listing and `public` lag a drag by up to
 * this much, never the editor itself (it reads its own document), and never a share, an unshare, a
 * rename, a new workflow or a delete.
 */
export const INDEX_DELAY_MS = 200;

/**
 * Seqs of commits that changed no workflow are written this much later, in one transaction for every
 * document: per commit, that write was most of the hook's cost and the commit a second fsync-ordered
 * WAL write. The only price of the delay is a reindex of such documents after a crash.
 */
export const SEQ_FLUSH_MS = 2000;

/** A Y.Doc with everything the store holds for `name` (the caller destroys it). */
export async function loadStoredDoc(store: DocumentStore, name: string): Promise<Y.Doc> {
  const stored = await store.load(name);
  const doc = new Y.Doc();
  doc.transact(() => {
    for (const update of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) Y.applyUpdate(doc, update);
  });
  return doc;
}

const RESERVED_PREFIX = 'default_';

/** The index row for one library entry. Rules beyond workflow validity that only the server knows. */
export function rowFromEntry(userId: string, id: string, read: LibraryEntryRead, docSeq: number): IndexRow {
  const { entry } = read;
  let reason: string | null = read.valid ? null : read.reason;
  if (read.valid && id.startsWith(RESERVED_PREFIX)) reason = `id: ids starting with ${RESERVED_PREFIX} are reserved for default workflows`;
  else if (read.valid && read.workflow.meta.category === 'default') {
    reason = 'meta.category: only the server\'s default workflows may have category "default"';
  }
  const plain = (entry.workflow ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof plain[key] === 'string' ? (plain[key] as string) : '');
  return {
    workflow_id: id,
    user_id: userId,
    category: 'user',
    name: text('name'),
    description: text('description'),
    tags: text('tags'),
    is_public: entry.is_public,
    created_at: entry.created_at,
    updated_at: entry.updated_at,
    opened_at: entry.opened_at,
    valid: reason === null,
    invalid_reason: reason,
    workflow: reason === null && read.valid ? JSON.stringify(read.workflow) : null,
    doc_seq: docSeq,
  };
}

/**
 * rowFromEntry, contained to its entry: should building the row fail on something an entry holds,
 * that entry is indexed as invalid with the error as its reason and the other entries go on.
 */
function guardedRow(userId: string, id: string, read: LibraryEntryRead, docSeq: number): IndexRow {
  try {
    return rowFromEntry(userId, id, read, docSeq);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unknown error';
    const reason = `entry: could not be indexed (${message.slice(0, 200)})`;
    return rowFromEntry(userId, id, { entry: { ...read.entry, workflow: null }, valid: false, reason }, docSeq);
  }
}

/** An indexed seq no stored document has: the next load or start reindexes the document in full. */
const STALE_SEQ = -1;

/** The indexing state of one loaded library document. */
interface Loaded {
  name: string;
  userId: string;
  doc: Y.Doc;
  /** Ids changed since the last reindex. */
  touched: Set<string>;
  /**
   * Index in the next hook, not later: a change not made by a client is among them, or a client's
   * change that others must see at once (a workflow added, deleted, shared, unshared or renamed).
   */
  urgent: boolean;
  /** Until when a client's edit burst is coalesced: the first edit after it is indexed at once. */
  windowUntil: number;
  /** Stored seq of the last commit seen by the hook. */
  seq: number | null;
  /**
   * The seq the doc was complete up to at that hook (the room's contiguous committedSeq): what the
   * indexed seq may claim. Below `seq` when another node's earlier commit had not arrived yet.
   */
  complete: number | null;
  /** An own commit's seq the index could not yet claim (see complete); cleared once the gap closes. */
  behind: number | null;
  /** Ids of the `opened` map changed since they were last fed into the opens table. */
  openedTouched: Set<string>;
  timer: NodeJS.Timeout | null;
}

export class Indexer {
  private readonly loaded = new WeakMap<Y.Doc, Loaded>();
  /** Documents with client edits waiting for their delayed reindex. */
  private readonly delayed = new Set<Loaded>();
  private readonly listeners = new Set<(change: IndexChange) => void>();
  private readonly index: WorkflowIndexStore;
  private readonly store: DocumentStore;
  private readonly log: (message: string) => void;
  /** Indexed seqs of commits that changed no workflow, not yet written (see the top of this file). */
  private readonly unwrittenSeqs = new Map<string, number>();
  private readonly seqFlushMs: number;
  private readonly indexDelayMs: number;
  private readonly isClientEdit: (origin: unknown) => boolean;
  /**
   * The last queued index write of each document: its writes run one after another, in the order of
   * the commits they index (the store is async; an older reindex must never land after a newer one).
   */
  private readonly tails = new Map<string, Promise<void>>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(opts: IndexerOptions) {
    this.index = opts.index;
    this.store = opts.store;
    this.log = opts.log;
    this.seqFlushMs = opts.seqFlushMs ?? SEQ_FLUSH_MS;
    this.indexDelayMs = opts.indexDelayMs ?? INDEX_DELAY_MS;
    this.isClientEdit = opts.isClientEdit ?? ((origin) => originOf(origin).kind === 'client');
  }

  /** Called with the ids of every reindex that changed something. Returns unsubscribe. */
  onChange(listener: (change: IndexChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sync hook: a document was loaded into memory (awaited before any client syncs it). */
  async onLoaded(name: string, doc: Y.Doc): Promise<void> {
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return;
    const state: Loaded = {
      name,
      userId: parsed.userId,
      doc,
      touched: new Set(),
      urgent: false,
      windowUntil: 0,
      seq: null,
      complete: null,
      behind: null,
      timer: null,
      openedTouched: new Set(),
    };
    this.loaded.set(doc, state);
    openedMap(doc).observe((event) => {
      for (const key of event.keysChanged) state.openedTouched.add(key);
    });
    const map = workflowsMap(doc);
    map.observeDeep((events, transaction) => {
      for (const event of events) {
        if (event.target === map) {
          // Workflows added or deleted: others see it at once.
          for (const key of (event as Y.YMapEvent<unknown>).keysChanged) state.touched.add(key);
          state.urgent = true;
        } else {
          // Not event.path: it is quadratic in the depth (see entryKeyOf).
          const key = entryKeyOf(doc, event.target);
          if (key === null) continue;
          state.touched.add(key);
          if (publishesAtOnce(map, key, event)) state.urgent = true;
        }
      }
      // Another node's commit was indexed there; here it only waits for the next reindex.
      if (!this.isClientEdit(transaction.origin) && originOf(transaction.origin).kind !== 'remote') state.urgent = true;
    });
    doc.on('destroy', () => this.dropped(state));
    // A document whose last commits were never indexed (crash after commit): catch up now.
    const stored = (await this.store.storedSeqs(name)).get(name) ?? 0;
    // After the index writes of an earlier copy of the document (a drop's mark for a full reindex).
    await this.tails.get(name);
    if ((await this.indexedSeq(name)) !== stored) await this.reindexDocument(parsed.userId, doc, stored);
  }

  /**
   * Sync hook: updates of a loaded document were committed; `seq` is the stored seq of the last one.
   * Costs a map lookup when no workflow was touched, and a timer check while a client edits. What is
   * to be indexed is read from the doc at once; the returned promise settles when it is written
   * (never rejects: a failure is logged and leaves the indexed seq behind).
   */
  onCommitted(name: string, doc: Y.Doc, seq: number, committedSeq = seq): Promise<void> {
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return Promise.resolve();
    const complete = Math.min(seq, committedSeq);
    const state = this.loaded.get(doc);
    if (state === undefined) return this.contained(name, this.reindexDocument(parsed.userId, doc, complete));
    state.seq = seq;
    state.complete = complete;
    // Rows are written as of `seq` (they hold this commit), the indexed seq only up to `complete`:
    // if this node dies before the gap closes, the reconcile on another node sees the index behind.
    if (complete < seq) state.behind = Math.max(state.behind ?? 0, seq);
    const writes: Promise<void>[] = [];
    if (state.openedTouched.size > 0) {
      const opened = openRecords(state.userId, doc, [...state.openedTouched]);
      state.openedTouched.clear();
      // On failure the next load or start feeds the whole map again (reindexDocument).
      writes.push(
        this.serialize(name, () => this.index.applyChanges({ opened }).then(() => undefined)).catch((error: unknown) =>
          this.log(`recording opens of ${name} failed: ${String(error)}`),
        ),
      );
    }
    if (state.touched.size === 0) {
      // The index is right as of this seq, unless a delayed reindex is still due (it records it).
      if (state.timer === null) this.holdSeq(name, complete);
    } else if (state.urgent) {
      writes.push(this.reindexTouched(state));
    } else if (state.timer === null) {
      // Leading edge: the first edit after a quiet window is indexed (and published) at once; the rest
      // of a burst (a node drag) is coalesced into one reindex at the end of the window, never later.
      const now = Date.now();
      if (now >= state.windowUntil) {
        state.windowUntil = now + this.indexDelayMs;
        writes.push(this.reindexTouched(state));
      } else {
        this.delayed.add(state);
        state.timer = setTimeout(() => {
          state.windowUntil = Date.now() + this.indexDelayMs;
          void this.reindexTouched(state);
        }, state.windowUntil - now);
      }
    }
    return Promise.all(writes).then(() => undefined);
  }

  /**
   * Sync hook: another node's committed update was applied here. Indexing it is that node's work;
   * this one acts only when it closes a gap below an own commit (see Loaded.behind): the ids the
   * missing updates touched are reindexed now, and the indexed seq may claim the whole run.
   */
  onRemoteUpdate(name: string, doc: Y.Doc, committedSeq: number): Promise<void> {
    const state = this.loaded.get(doc);
    if (state === undefined || state.behind === null || committedSeq < state.behind) return Promise.resolve();
    state.behind = null;
    state.seq = Math.max(state.seq ?? 0, committedSeq);
    state.complete = committedSeq;
    if (state.touched.size > 0) return this.reindexTouched(state);
    if (state.timer === null) this.holdSeq(name, committedSeq);
    return Promise.resolve();
  }

  /** Logs a failed reindex of `name`: its indexed seq stays behind, so it is done again later. */
  private contained(name: string, work: Promise<void>): Promise<void> {
    return work.catch((error: unknown) => this.log(`indexing ${name} failed: ${String(error)}`));
  }

  /** Runs `task` after every index write of `name` queued before it. */
  private serialize<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return result;
  }

  /**
   * Reindexes a whole library from a doc (rows of ids no longer present are removed), opens included;
   * `seq` is the stored seq the doc holds everything up to.
   */
  reindexDocument(userId: string, doc: Y.Doc, seq: number): Promise<void> {
    const name = libraryDocument(userId);
    const opened = openRecords(userId, doc, [...openedMap(doc).keys()]);
    const reads = readEntries(doc, [...workflowsMap(doc).keys()]);
    return this.serialize(name, async () => {
      await this.index.applyChanges({ opened });
      // Rows of ids the doc no longer holds are removed with the rest.
      for (const id of await this.index.idsOf(userId, 'user')) if (!reads.has(id)) reads.set(id, null);
      await this.writeRows(userId, reads, seq);
    });
  }

  /**
   * Start-up catch-up: every library document stored with a sequence number other than the indexed
   * one is reindexed from the store; indexed documents the store no longer has are dropped.
   */
  async reconcile(): Promise<void> {
    const stored = await this.store.storedSeqs(libraryDocument(''));
    for (const [name, seq] of stored) {
      if ((await this.indexedSeq(name)) === seq) continue;
      const parsed = parseDocumentName(name);
      if (parsed?.kind !== 'library') continue;
      // One document that cannot be loaded or indexed (whatever its user wrote into it) must not keep
      // the server from starting for everyone: it is logged and left unindexed (its indexed seq stays
      // behind, so it is tried again when it is loaded and at the next start).
      let doc: Y.Doc | null = null;
      try {
        doc = await loadStoredDoc(this.store, name);
        await this.reindexDocument(parsed.userId, doc, seq);
      } catch (error) {
        this.log(`indexing ${name} at start failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        doc?.destroy();
      }
    }
    for (const name of await this.index.indexedDocuments()) {
      const parsed = parseDocumentName(name);
      if (parsed?.kind === 'library' && !stored.has(name)) await this.forgetLibrary(parsed.userId);
    }
  }

  /** Drops every row of a library (its document was deleted). */
  forgetLibrary(userId: string): Promise<void> {
    const name = libraryDocument(userId);
    this.unwrittenSeqs.delete(name);
    return this.serialize(name, async () => {
      const ids = await this.index.deleteUser(userId, name);
      if (ids.length > 0) this.emit({ userId, workflowIds: ids });
    });
  }

  /** The seq up to which the index matches the document: held in memory, else as written. */
  async indexedSeq(name: string): Promise<number | null> {
    return this.unwrittenSeqs.get(name) ?? (await this.index.indexedSeq(name));
  }

  /**
   * Runs every delayed reindex now and waits for every index write under way, so a reader of the
   * index sees every committed change, client edits included.
   */
  async catchUp(): Promise<void> {
    for (const state of [...this.delayed]) void this.reindexTouched(state);
    await Promise.all([...this.tails.values()]);
  }

  /** Runs every delayed reindex and writes every held indexed seq. Call on close (timers do it otherwise). */
  async flush(): Promise<void> {
    await this.catchUp();
    await this.flushSeqs();
  }

  /** Writes every held indexed seq in one transaction. */
  private async flushSeqs(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.unwrittenSeqs.size === 0) return;
    const held = [...this.unwrittenSeqs];
    await this.index.applyChanges({ indexedSeqs: held.map(([document, seq]) => ({ document, seq })) });
    // Only now: a failed write leaves them held, so they are tried again rather than lost.
    for (const [name, seq] of held) if (this.unwrittenSeqs.get(name) === seq) this.unwrittenSeqs.delete(name);
  }

  /**
   * The sync server destroyed a document. An idle unload comes long after the last edit and close()
   * flushes first, so a reindex still waiting here means the room was dropped after a failed commit:
   * its memory may hold changes the store refused. Those must not be indexed; the document is marked
   * for a full reindex from the store instead, at its next load or the next start.
   */
  private dropped(state: Loaded): void {
    if (state.timer === null) return;
    clearTimeout(state.timer);
    state.timer = null;
    this.delayed.delete(state);
    state.touched.clear();
    this.unwrittenSeqs.delete(state.name);
    // After any write of the document still under way, so nothing overwrites the mark.
    void this.serialize(state.name, () => this.index.applyChanges({ indexedSeqs: [{ document: state.name, seq: STALE_SEQ }] })).catch(
      (error: unknown) => this.log(`marking ${state.name} for reindexing failed: ${String(error)}`),
    );
  }

  /**
   * Reindexes the ids touched since the last reindex, as of the last committed seq the hook saw: the
   * entries are read now, written in turn. Never rejects.
   */
  private reindexTouched(state: Loaded): Promise<void> {
    if (state.timer !== null) clearTimeout(state.timer);
    state.timer = null;
    this.delayed.delete(state);
    const reads = readEntries(state.doc, [...state.touched]);
    state.touched.clear();
    state.urgent = false;
    // A reindex is due only after a commit, and every commit recorded its seq.
    const seq = state.seq!;
    const complete = state.complete ?? seq;
    // On failure nothing is recorded: the indexed seq stays behind, so the next start reindexes it.
    return this.contained(state.name, this.serialize(state.name, () => this.writeRows(state.userId, reads, seq, complete)));
  }

  private holdSeq(name: string, seq: number): void {
    this.unwrittenSeqs.set(name, seq);
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushSeqs().catch((error: unknown) => {
        this.flushTimer = null;
        this.log(`recording indexed seqs failed (retried on the next commit): ${String(error)}`);
      });
    }, this.seqFlushMs);
    // Never keeps the process alive; close() writes what is held.
    this.flushTimer.unref();
  }

  /**
   * Writes the rows of these entries (null: not in the document, its row goes) as of `seq`, and the
   * indexed seq with them, in one transaction; reports the ids whose rows really changed.
   */
  private async writeRows(userId: string, reads: Map<string, LibraryEntryRead | null>, seq: number, indexedSeq = seq): Promise<void> {
    const name = libraryDocument(userId);
    const upserts: IndexRow[] = [];
    const deletes: (RowKey & { docSeq: number })[] = [];
    const opened: OpenRecord[] = [];
    for (const [id, read] of reads) {
      if (read === null) {
        deletes.push({ workflowId: id, userId, category: 'user', docSeq: seq });
        continue;
      }
      const row = await this.ownedRow(guardedRow(userId, id, read, seq));
      upserts.push(row);
      // The owner's opened_at from any of their devices counts as their own "opened" record.
      if (row.opened_at !== null) opened.push({ userId, workflowId: id, openedAt: row.opened_at });
    }
    const { changed } = await this.index.applyChanges({ upserts, deletes, opened, indexedSeqs: [{ document: name, seq: indexedSeq }] });
    // Written with the rows: a held seq no newer must not overwrite it later.
    const held = this.unwrittenSeqs.get(name);
    if (held !== undefined && held <= seq) this.unwrittenSeqs.delete(name);
    if (changed.length > 0) this.emit({ userId, workflowIds: changed });
  }

  /**
   * The row as this library may hold it: the id is claimed for the library if nobody owns it yet
   * (first sight wins, whatever the entry's timestamps say); an entry under an id owned by another
   * library or by the defaults is quarantined: kept, listed to its owner with the reason, never valid.
   */
  private async ownedRow(row: IndexRow): Promise<IndexRow> {
    const reason = quarantineReason(await this.index.claimOwner(row.workflow_id, row.user_id, 'user'), row.user_id);
    return reason === null ? row : { ...row, valid: false, invalid_reason: reason, workflow: null };
  }

  private emit(change: IndexChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`index listener failed: ${String(error)}`);
      }
    }
  }
}

/** The entries of these ids as the doc holds them now (null: not there). */
function readEntries(doc: Y.Doc, ids: string[]): Map<string, LibraryEntryRead | null> {
  return new Map(ids.map((id) => [id, readEntry(doc, id)]));
}

/** The well-formed records of these ids of the doc's `opened` map. */
function openRecords(userId: string, doc: Y.Doc, ids: string[]): OpenRecord[] {
  const records: OpenRecord[] = [];
  for (const id of ids) {
    const at = readOpened(doc, id);
    if (at !== null) records.push({ userId, workflowId: id, openedAt: at });
  }
  return records;
}

/** Every entry of a doc as index rows; used by tests and the CLI's dry run. */
export function rowsOfDocument(userId: string, doc: Y.Doc): IndexRow[] {
  return readAll(doc).map(([id, read]) => rowFromEntry(userId, id, read, 0));
}

/**
 * Whether a change to the entry `key` is one that readers of `public` and of the API must see at once
 * rather than within the indexing window: the entry's sharing or its whole workflow replaced, or the
 * workflow renamed. Edits inside a workflow (positions, values) are coalesced.
 */
function publishesAtOnce(map: Y.Map<Y.Map<unknown>>, key: string, event: Y.YEvent<Y.AbstractType<unknown>>): boolean {
  if (!(event instanceof Y.YMapEvent)) return false;
  const entry = map.get(key);
  if (!(entry instanceof Y.Map)) return false;
  if (event.target === entry) return event.keysChanged.has('is_public') || event.keysChanged.has('workflow');
  return event.target === entry.get('workflow') && event.keysChanged.has('name');
}
