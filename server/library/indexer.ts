// Keeps the workflow index in step with the library documents. While a document is loaded, an observer
// on its workflows map collects the ids each change touches, and every commit reindexes just those.
// At start, every document whose stored sequence number differs from the one last indexed is read from
// the store and reindexed in full, so a crash between a commit and its indexing never leaves the index
// stale (and documents written by the CLI while the server was down are picked up).
import type { Database } from 'better-sqlite3';
import * as Y from 'yjs';
import { parseDocumentName, libraryDocument } from '../../shared/protocol.js';
import { readAll, readEntry, workflowsMap, type LibraryEntryRead } from '../../shared/workflow/index.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { IndexRow, IndexStore } from './index-store.js';

/** Ids whose index rows changed (added, changed or removed) in one library. */
export interface IndexChange {
  userId: string;
  workflowIds: string[];
}

export interface IndexerOptions {
  db: Database;
  index: IndexStore;
  store: DocumentStore;
  log: (message: string) => void;
}

/**
 * The highest sequence number stored for each document, read from the tables of migration 0002
 * (DocumentStore has no listing; this is a read-only look at its bookkeeping).
 */
function storedSeqs(db: Database, prefix: string): Map<string, number> {
  const rows = db
    .prepare(
      `SELECT doc, MAX(seq) AS seq FROM (SELECT doc, seq FROM doc_updates UNION ALL SELECT doc, seq FROM doc_snapshots)
       WHERE substr(doc, 1, ?) = ? GROUP BY doc`,
    )
    .all(prefix.length, prefix) as { doc: string; seq: number }[];
  return new Map(rows.map((r) => [r.doc, r.seq]));
}

function storedSeq(db: Database, name: string): number {
  const row = db
    .prepare(
      `SELECT MAX(seq) AS seq FROM (SELECT MAX(seq) AS seq FROM doc_updates WHERE doc = ? UNION ALL
       SELECT seq FROM doc_snapshots WHERE doc = ?)`,
    )
    .get(name, name) as { seq: number | null };
  return row.seq ?? 0;
}

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

export class Indexer {
  private readonly touched = new WeakMap<Y.Doc, Set<string>>();
  private readonly listeners = new Set<(change: IndexChange) => void>();
  private readonly db: Database;
  private readonly index: IndexStore;
  private readonly store: DocumentStore;
  private readonly log: (message: string) => void;

  constructor(opts: IndexerOptions) {
    this.db = opts.db;
    this.index = opts.index;
    this.store = opts.store;
    this.log = opts.log;
  }

  /** Called with the ids of every reindex that changed something. Returns unsubscribe. */
  onChange(listener: (change: IndexChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sync hook: a document was loaded into memory. */
  onLoaded(name: string, doc: Y.Doc): void {
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return;
    const touched = new Set<string>();
    this.touched.set(doc, touched);
    const map = workflowsMap(doc);
    map.observeDeep((events) => {
      for (const event of events) {
        if (event.target === map) for (const key of (event as Y.YMapEvent<unknown>).keysChanged) touched.add(key);
        else if (typeof event.path[0] === 'string') touched.add(event.path[0]);
      }
    });
    // A document whose last commits were never indexed (crash after commit): catch up now.
    if (this.index.indexedSeq(name) !== storedSeq(this.db, name)) this.reindexDocument(parsed.userId, doc);
  }

  /** Sync hook: updates of a loaded document were committed. */
  onCommitted(name: string, doc: Y.Doc): void {
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return;
    const touched = this.touched.get(doc);
    if (touched === undefined) {
      this.reindexDocument(parsed.userId, doc);
      return;
    }
    const ids = [...touched];
    touched.clear();
    this.reindexIds(parsed.userId, doc, ids);
  }

  /** Reindexes a whole library from a doc (rows of ids no longer present are removed). */
  reindexDocument(userId: string, doc: Y.Doc): void {
    const present = new Set(workflowsMap(doc).keys());
    const ids = new Set([...present, ...this.index.idsOf(userId, 'user')]);
    this.reindexIds(userId, doc, [...ids]);
  }

  /**
   * Start-up catch-up: every library document stored with a sequence number other than the indexed
   * one is reindexed from the store; indexed documents the store no longer has are dropped.
   */
  async reconcile(): Promise<void> {
    const stored = storedSeqs(this.db, libraryDocument(''));
    for (const [name, seq] of stored) {
      if (this.index.indexedSeq(name) === seq) continue;
      const parsed = parseDocumentName(name);
      if (parsed?.kind !== 'library') continue;
      const doc = await loadStoredDoc(this.store, name);
      try {
        this.reindexDocument(parsed.userId, doc);
      } finally {
        doc.destroy();
      }
    }
    for (const name of this.index.indexedDocuments()) {
      const parsed = parseDocumentName(name);
      if (parsed?.kind === 'library' && !stored.has(name)) this.forgetLibrary(parsed.userId);
    }
  }

  /** Drops every row of a library (its document was deleted). */
  forgetLibrary(userId: string): void {
    const ids = this.index.idsOf(userId, 'user');
    this.index.deleteUser(userId, libraryDocument(userId));
    if (ids.length > 0) this.emit({ userId, workflowIds: ids });
  }

  private reindexIds(userId: string, doc: Y.Doc, ids: string[]): void {
    const name = libraryDocument(userId);
    const seq = storedSeq(this.db, name);
    const changed: string[] = [];
    this.db.transaction(() => {
      for (const id of ids) {
        const read = readEntry(doc, id);
        const before = this.index.row(id, userId);
        if (read === null) {
          if (before) {
            this.index.delete(id, userId);
            changed.push(id);
          }
          continue;
        }
        const row = rowFromEntry(userId, id, read, seq);
        if (!before || !sameContent(before, row)) {
          this.index.upsert(row);
          changed.push(id);
        }
        // The owner's opened_at from any of their devices counts as their own "opened" record.
        if (row.opened_at !== null) {
          const known = this.index.openedAt(userId, id);
          if (known === null || known < row.opened_at) this.index.setOpened(userId, id, row.opened_at);
        }
      }
      this.index.setIndexedSeq(name, seq);
    })();
    if (changed.length > 0) this.emit({ userId, workflowIds: changed });
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

/** Equal apart from doc_seq (which moves on every commit). */
function sameContent(a: IndexRow, b: IndexRow): boolean {
  return (Object.keys(a) as (keyof IndexRow)[]).every((k) => k === 'doc_seq' || a[k] === b[k]);
}

/** Every entry of a doc as index rows; used by tests and the CLI's dry run. */
export function rowsOfDocument(userId: string, doc: Y.Doc): IndexRow[] {
  return readAll(doc).map(([id, read]) => rowFromEntry(userId, id, read, 0));
}
