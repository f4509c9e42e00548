// DocumentStore on better-sqlite3, over the tables of migration 0002 (doc_updates, doc_snapshots).
// better-sqlite3 is synchronous: each method does its work in one transaction and returns a settled
// promise, so the event loop is held only for the duration of one small transaction. appendSync is
// the same append without the promise, for the sync server's commit-then-forward fast path.
import type { Database, Statement } from 'better-sqlite3';
import type { AppendEntry, DocumentStore, StoredDocument, StoredSince } from './document-store.js';

export class SqliteStore implements DocumentStore {
  private closed = false;
  private readonly selectSnapshot: Statement<[string], { data: Buffer; seq: number }>;
  private readonly selectUpdates: Statement<[string, number], { data: Buffer; seq: number }>;
  private readonly insertNext: Statement<[string, string, string, Uint8Array], { seq: number }>;
  private readonly upsertSnapshot: Statement<[string, Uint8Array, number, string]>;
  private readonly deleteUpdatesUpto: Statement<[string, number]>;
  private readonly deleteUpdates: Statement<[string]>;
  private readonly deleteSnapshot: Statement<[string]>;
  private readonly appendTx: (batch: readonly AppendEntry[]) => Map<string, number>;
  private readonly compactTx: (name: string, state: Uint8Array, uptoSeq: number) => void;
  private readonly loadTx: (name: string) => StoredDocument;
  private readonly loadSinceTx: (name: string, afterSeq: number) => StoredSince;
  private readonly selectMaxUpdateSeq: Statement<[string], { seq: number | null }>;
  private readonly selectStoredSeqs: Statement<[number, string], { doc: string; seq: number }>;

  /** `db` stays owned by the caller (it is the app's one database); close() does not close it. */
  constructor(private readonly db: Database) {
    this.selectSnapshot = db.prepare('SELECT data, seq FROM doc_snapshots WHERE doc = ?');
    this.selectUpdates = db.prepare('SELECT data, seq FROM doc_updates WHERE doc = ? AND seq > ? ORDER BY seq');
    // The next seq follows the last update, or the snapshot when every update was compacted away
    // (a folded seq is never reused). One statement, so a one-update append is one native call and
    // needs no explicit transaction: a single statement commits atomically on its own. It must be
    // run with .all(), never .get(): .get() stops after the first row and the autocommit then
    // happens when the statement is reset, whose error (a full disk while writing the WAL) better-sqlite3
    // drops; .all() steps to the end, so a failed commit throws (test/storage/sqlite-store.test.ts).
    this.insertNext = db.prepare(
      `INSERT INTO doc_updates (doc, seq, data)
       VALUES (?, coalesce((SELECT max(seq) FROM doc_updates WHERE doc = ?), (SELECT seq FROM doc_snapshots WHERE doc = ?), 0) + 1, ?)
       RETURNING seq`,
    );
    this.upsertSnapshot = db.prepare(
      `INSERT INTO doc_snapshots (doc, data, seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET data = excluded.data, seq = excluded.seq, updated_at = excluded.updated_at`,
    );
    this.selectMaxUpdateSeq = db.prepare('SELECT max(seq) AS seq FROM doc_updates WHERE doc = ?');
    this.selectStoredSeqs = db.prepare(
      `SELECT doc, max(seq) AS seq FROM (SELECT doc, seq FROM doc_updates UNION ALL SELECT doc, seq FROM doc_snapshots)
       WHERE substr(doc, 1, ?) = ? GROUP BY doc`,
    );
    this.deleteUpdatesUpto = db.prepare('DELETE FROM doc_updates WHERE doc = ? AND seq <= ?');
    this.deleteUpdates = db.prepare('DELETE FROM doc_updates WHERE doc = ?');
    this.deleteSnapshot = db.prepare('DELETE FROM doc_snapshots WHERE doc = ?');

    this.appendTx = db.transaction((batch: readonly AppendEntry[]) => this.insertAll(batch));
    this.compactTx = db.transaction((name: string, state: Uint8Array, uptoSeq: number) => {
      const current = this.selectSnapshot.get(name);
      if (current !== undefined && current.seq > uptoSeq) return;
      this.upsertSnapshot.run(name, state, uptoSeq, new Date().toISOString());
      this.deleteUpdatesUpto.run(name, uptoSeq);
    });
    // One read transaction, so a concurrent compaction (another connection) cannot fall between
    // reading the snapshot and reading the updates after it.
    this.loadTx = db.transaction((name: string) => {
      const snapshot = this.selectSnapshot.get(name);
      const snapshotSeq = snapshot?.seq ?? 0;
      const rows = this.selectUpdates.all(name, snapshotSeq);
      return {
        snapshot: snapshot ? new Uint8Array(snapshot.data) : null,
        updates: rows.map((row) => new Uint8Array(row.data)),
        lastSeq: rows.length > 0 ? rows[rows.length - 1]!.seq : snapshotSeq,
      };
    });
    // Also one read transaction. When the snapshot folded some wanted update (its seq is past
    // afterSeq), the reader needs the snapshot and the log after it; otherwise the log after afterSeq.
    this.loadSinceTx = db.transaction((name: string, afterSeq: number) => {
      const snapshot = this.selectSnapshot.get(name);
      const snapshotSeq = snapshot?.seq ?? 0;
      const folded = snapshot !== undefined && snapshotSeq > afterSeq;
      const rows = this.selectUpdates.all(name, Math.max(afterSeq, snapshotSeq));
      const lastSeq = rows.length > 0 ? rows[rows.length - 1]!.seq : Math.max(snapshotSeq, this.selectMaxUpdateSeq.get(name)?.seq ?? 0);
      return {
        snapshot: folded ? new Uint8Array(snapshot.data) : null,
        updates: rows.map((row) => ({ seq: row.seq, update: new Uint8Array(row.data) })),
        lastSeq,
      };
    });
  }

  private insertAll(batch: readonly AppendEntry[]): Map<string, number> {
    const last = new Map<string, number>();
    for (const { name, update } of batch) last.set(name, this.insertNext.all(name, name, name, update)[0]!.seq);
    return last;
  }

  async load(name: string): Promise<StoredDocument> {
    this.assertOpen();
    return this.loadTx(name);
  }

  async loadSince(name: string, afterSeq: number): Promise<StoredSince> {
    this.assertOpen();
    return this.loadSinceTx(name, afterSeq);
  }

  async storedSeqs(prefix: string): Promise<Map<string, number>> {
    this.assertOpen();
    return new Map(this.selectStoredSeqs.all(prefix.length, prefix).map((row) => [row.doc, row.seq]));
  }

  async append(batch: readonly AppendEntry[]): Promise<Map<string, number>> {
    return this.appendSync(batch);
  }

  appendSync(batch: readonly AppendEntry[]): Map<string, number> {
    this.assertOpen();
    if (batch.length === 0) return new Map();
    return batch.length === 1 ? this.insertAll(batch) : this.appendTx(batch);
  }

  async compact(name: string, state: Uint8Array, uptoSeq: number): Promise<void> {
    this.assertOpen();
    this.compactTx(name, state, uptoSeq);
  }

  async delete(name: string): Promise<void> {
    this.assertOpen();
    this.db.transaction(() => {
      this.deleteUpdates.run(name);
      this.deleteSnapshot.run(name);
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('document store is closed');
  }
}
