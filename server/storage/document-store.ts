// Where Yjs documents live between restarts: a snapshot plus an append-only log of updates per
// document. Small on purpose, so a second backend (Postgres) is one file; every backend must pass
// the acceptance suite in test/storage/document-store-suite.ts.

export interface StoredDocument {
  /** The last compacted state (a Yjs update), or null if the document was never compacted. */
  snapshot: Uint8Array | null;
  /** Updates appended after the snapshot, in append order. */
  updates: Uint8Array[];
  /** Highest sequence number folded into the snapshot or appended; 0 for an unknown document. */
  lastSeq: number;
}

/** What a catch-up reads: everything stored after a sequence number the reader already has. */
export interface StoredSince {
  /**
   * The snapshot, when a compaction folded some of the wanted updates into it (the reader applies
   * it whole: Yjs updates are idempotent, so what it already had costs nothing); null otherwise.
   */
  snapshot: Uint8Array | null;
  /** Updates with seq > afterSeq that are still in the log (after the snapshot), in seq order. */
  updates: { seq: number; update: Uint8Array }[];
  /** Highest sequence number stored for the document (folded or appended); 0 for an unknown one. */
  lastSeq: number;
}

export interface AppendEntry {
  name: string;
  update: Uint8Array;
}

export interface DocumentStore {
  /** Everything stored for `name`; an unknown document is empty (null snapshot, no updates, lastSeq 0). */
  load(name: string): Promise<StoredDocument>;
  /**
   * For catch-up (a node that missed fan-out messages): the updates with seq > afterSeq, in order.
   * When some of them were folded into the snapshot by a compaction, the snapshot comes too, with
   * the log after it. One consistent read: a concurrent compaction cannot fall between the parts.
   */
  loadSince(name: string, afterSeq: number): Promise<StoredSince>;
  /**
   * The highest stored sequence number (folded or appended) of every document whose name starts
   * with `prefix` (the indexer's reconcile, finding the libraries of removed users).
   */
  storedSeqs(prefix: string): Promise<Map<string, number>>;
  /**
   * Appends a batch, possibly spanning several documents, in ONE atomic commit: this is the
   * durability point (nothing of the batch may be forwarded or acknowledged before it resolves,
   * and after it resolves a crash loses none of it). Entries of one document get increasing
   * sequence numbers in batch order. Resolves to the highest sequence number per document.
   */
  append(batch: readonly AppendEntry[]): Promise<Map<string, number>>;
  /**
   * Optional: the same commit as `append`, done before it returns (throws instead of rejecting).
   * A store whose commit is synchronous anyway (SQLite through better-sqlite3, ~25 µs for one
   * update) offers it so that the sync server can commit and forward an update in the tick it
   * arrived in; deferring to a promise costs more than the commit itself. A store that needs I/O
   * (Postgres, a network service) leaves it out and the server batches per event-loop turn instead.
   */
  appendSync?(batch: readonly AppendEntry[]): Map<string, number>;
  /**
   * Replaces the snapshot by `state` and drops the updates with seq <= `uptoSeq`, atomically.
   * `state` must contain at least everything up to `uptoSeq`. A compaction older than the stored
   * snapshot is ignored, so a late compaction can never move a document back in time.
   */
  compact(name: string, state: Uint8Array, uptoSeq: number): Promise<void>;
  /** Removes the document's snapshot and updates. */
  delete(name: string): Promise<void>;
  /** Releases resources; later calls reject. */
  close(): Promise<void>;
}
