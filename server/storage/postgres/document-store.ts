// DocumentStore on PostgreSQL, over the tables of migrations/postgres/0002 (doc_updates, doc_snapshots,
// doc_heads), for several nodes writing the same documents.
//
// Sequence numbers: an append raises each of its documents' doc_heads row by the number of its
// updates in the same statement that inserts them. The row lock taken by that update is held until
// the commit, so appenders of one document (on any node) are serialized: numbers are gapless, never
// given twice, and commit in order (a reader never sees seq N+1 without N). Heads of a batch spanning
// several documents are locked in name order, so two such batches cannot deadlock.
//
// Deleting a document removes its snapshot and updates but KEEPS its head: numbers never go back. A
// node that still has the document loaded (it has not yet heard of the deletion) and catches up with
// loadSince(name, itsSeq) then gets exactly what was written after the deletion, instead of missing
// updates numbered 1, 2, ... again below what it already counts as applied. load() and loadSince()
// report lastSeq from what is stored (0 for a deleted document, as for an unknown one).
//
// Every read is ONE statement, so it sees one consistent snapshot of the database: a compaction
// committed meanwhile cannot fall between the snapshot and the log. Every failure of the database is a
// StorageError (pool.ts). There is no appendSync: the commit needs a round trip, and the sync server
// batches per event-loop turn instead.
import type { AppendEntry, DocumentStore, StoredDocument, StoredSince } from '../document-store.js';
import type { PostgresPool } from './pool.js';

/** A bigint column as pg returns it (a string), as a number: sequence numbers stay far below 2^53. */
function seqOf(value: string | number | null): number {
  return value === null ? 0 : Number(value);
}

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function buffer(update: Uint8Array): Buffer {
  return Buffer.from(update.buffer, update.byteOffset, update.byteLength);
}

// The batch arrives as two parallel arrays (names, updates) in batch order. Per document: n updates,
// the head raised by n (a new document's head starts after whatever is already stored for it, so
// rows copied in without a head still get numbers after theirs), then the i-th update of the document
// in batch order gets head - n + i. One statement, so one transaction.
const APPEND_SQL = `
  WITH entries AS (
    SELECT e.doc, e.data, e.ord,
           row_number() OVER (PARTITION BY e.doc ORDER BY e.ord) AS rank,
           count(*) OVER (PARTITION BY e.doc) AS n
      FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS e (doc, data, ord)
  ),
  docs AS (
    SELECT DISTINCT doc, n FROM entries
  ),
  heads AS (
    INSERT INTO doc_heads AS h (doc, last_seq)
    SELECT d.doc,
           d.n + greatest(coalesce((SELECT max(u.seq) FROM doc_updates u WHERE u.doc = d.doc), 0),
                          coalesce((SELECT s.seq FROM doc_snapshots s WHERE s.doc = d.doc), 0))
      FROM docs d
     ORDER BY d.doc
    ON CONFLICT (doc) DO UPDATE SET last_seq = h.last_seq + (SELECT d.n FROM docs d WHERE d.doc = excluded.doc)
    RETURNING h.doc, h.last_seq
  ),
  inserted AS (
    INSERT INTO doc_updates (doc, seq, data)
    SELECT e.doc, h.last_seq - e.n + e.rank, e.data
      FROM entries e JOIN heads h ON h.doc = e.doc
  )
  SELECT doc, last_seq FROM heads`;

// kind 0: the snapshot; kind 1: the updates after it, in order.
const LOAD_SQL = `
  SELECT 0 AS kind, s.seq, s.data FROM doc_snapshots s WHERE s.doc = $1
  UNION ALL
  SELECT 1 AS kind, u.seq, u.data FROM doc_updates u
   WHERE u.doc = $1 AND u.seq > coalesce((SELECT s.seq FROM doc_snapshots s WHERE s.doc = $1), 0)
  ORDER BY kind, seq`;

// kind 0: the snapshot's seq, and its data only when it folded a wanted update (seq > afterSeq);
// kind 1: the updates after both afterSeq and the snapshot; kind 2: the highest update seq stored.
const LOAD_SINCE_SQL = `
  SELECT 0 AS kind, s.seq, CASE WHEN s.seq > $2 THEN s.data END AS data FROM doc_snapshots s WHERE s.doc = $1
  UNION ALL
  SELECT 1 AS kind, u.seq, u.data FROM doc_updates u
   WHERE u.doc = $1 AND u.seq > greatest($2::bigint, coalesce((SELECT s.seq FROM doc_snapshots s WHERE s.doc = $1), 0))
  UNION ALL
  SELECT 2 AS kind, max(u.seq), NULL FROM doc_updates u WHERE u.doc = $1
  ORDER BY kind, seq`;

// A literal prefix (no pattern characters): left() compares it as it is.
const STORED_SEQS_SQL = `
  SELECT doc, max(seq) AS seq FROM (
    SELECT doc, seq FROM doc_updates WHERE left(doc, $1) = $2
    UNION ALL
    SELECT doc, seq FROM doc_snapshots WHERE left(doc, $1) = $2
  ) stored GROUP BY doc`;

interface SeqDataRow {
  kind: number;
  seq: string | null;
  data: Buffer | null;
}

export class PostgresDocumentStore implements DocumentStore {
  private closed = false;

  /** `pool` stays owned by the caller (every PostgreSQL port shares it); close() does not end it. */
  constructor(private readonly pool: PostgresPool) {}

  async load(name: string): Promise<StoredDocument> {
    this.assertOpen();
    const { rows } = await this.pool.query<SeqDataRow>(LOAD_SQL, [name]);
    let snapshot: Uint8Array | null = null;
    let lastSeq = 0;
    const updates: Uint8Array[] = [];
    for (const row of rows) {
      if (row.kind === 0) snapshot = bytes(row.data!);
      else updates.push(bytes(row.data!));
      lastSeq = seqOf(row.seq);
    }
    return { snapshot, updates, lastSeq };
  }

  async loadSince(name: string, afterSeq: number): Promise<StoredSince> {
    this.assertOpen();
    const { rows } = await this.pool.query<SeqDataRow>(LOAD_SINCE_SQL, [name, afterSeq]);
    let snapshot: Uint8Array | null = null;
    let snapshotSeq = 0;
    let maxUpdateSeq = 0;
    const updates: { seq: number; update: Uint8Array }[] = [];
    for (const row of rows) {
      if (row.kind === 0) {
        snapshotSeq = seqOf(row.seq);
        if (row.data !== null) snapshot = bytes(row.data);
      } else if (row.kind === 1) updates.push({ seq: seqOf(row.seq), update: bytes(row.data!) });
      else maxUpdateSeq = seqOf(row.seq);
    }
    return { snapshot, updates, lastSeq: Math.max(snapshotSeq, maxUpdateSeq) };
  }

  async storedSeqs(prefix: string): Promise<Map<string, number>> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ doc: string; seq: string }>(STORED_SEQS_SQL, [prefix.length, prefix]);
    return new Map(rows.map((row) => [row.doc, seqOf(row.seq)]));
  }

  async append(batch: readonly AppendEntry[]): Promise<Map<string, number>> {
    this.assertOpen();
    if (batch.length === 0) return new Map();
    const { rows } = await this.pool.query<{ doc: string; last_seq: string }>(APPEND_SQL, [
      batch.map((entry) => entry.name),
      batch.map((entry) => buffer(entry.update)),
    ]);
    return new Map(rows.map((row) => [row.doc, seqOf(row.last_seq)]));
  }

  async compact(name: string, state: Uint8Array, uptoSeq: number): Promise<void> {
    this.assertOpen();
    await this.pool.transaction(async (tx) => {
      // The head's lock orders this after any append or delete of the document in flight.
      await tx.query('SELECT 1 FROM doc_heads WHERE doc = $1 FOR UPDATE', [name]);
      // Ignored when the stored snapshot is newer (a late compaction never moves the document back),
      // and when nothing up to uptoSeq is stored (the document was deleted meanwhile: a compaction
      // must not bring it back).
      await tx.query(
        `INSERT INTO doc_snapshots AS s (doc, data, seq, updated_at)
         SELECT $1, $2, $3, now()
          WHERE EXISTS (SELECT 1 FROM doc_updates WHERE doc = $1 AND seq <= $3)
             OR EXISTS (SELECT 1 FROM doc_snapshots WHERE doc = $1 AND seq <= $3)
         ON CONFLICT (doc) DO UPDATE SET data = excluded.data, seq = excluded.seq, updated_at = excluded.updated_at
          WHERE s.seq <= excluded.seq`,
        [name, buffer(state), uptoSeq],
      );
      // Updates up to uptoSeq are in the snapshot now, or in a newer one already.
      await tx.query(
        'DELETE FROM doc_updates WHERE doc = $1 AND seq <= $2 AND EXISTS (SELECT 1 FROM doc_snapshots WHERE doc = $1 AND seq >= $2)',
        [name, uptoSeq],
      );
    });
  }

  async delete(name: string): Promise<void> {
    this.assertOpen();
    await this.pool.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM doc_heads WHERE doc = $1 FOR UPDATE', [name]);
      await tx.query('DELETE FROM doc_updates WHERE doc = $1', [name]);
      await tx.query('DELETE FROM doc_snapshots WHERE doc = $1', [name]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('document store is closed');
  }
}
