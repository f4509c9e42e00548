// Publishes every valid shared workflow of every user, and every default workflow, into the `public`
// document (contract §4) — the only document every user may read. It works from the index, so it
// publishes exactly what the index says is valid and public, and it writes through the sync server so
// every open client sees the change at once. Writes are serialized and idempotent: an entry that is
// already as it should be is not rewritten, and a refresh that changes nothing sends nothing.
//
// `public` is everyone's, so no one user may fill it or flood it (issue 9, finding 5):
// - size: a shared workflow larger than limits.maxWorkflowBytes, or beyond its owner's total of
//   limits.maxUserBytes (oldest shared first), stays shared in its library but is not published; the
//   index row carries the reason (`unpublished_reason`), which its owner sees over REST.
// - rate: what one user's changes write into `public` is paid from a per-user byte bucket (refilled at
//   limits.userBytesPerSecond, holding at most one largest workflow). While it is empty, their changed
//   ids wait and are written together when it has refilled, each as it is then: a stream of edits to a
//   big shared workflow becomes one write per refill, and the latest state is always published.
// - log: each write of a changed entry is the whole entry (a `public` entry is a plain JSON value, so
//   Yjs cannot ship part of it). After as many bytes as the document holds have been appended, its
//   log is folded into its snapshot, so the stored log stays within about twice the document.
import * as Y from 'yjs';
import { PUBLIC_DOCUMENT, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { publicMap, putPublicEntry, removePublicEntry, type PublicEntry, type Workflow } from '../../shared/workflow/index.js';
import type { IndexRow, WorkflowIndexStore } from '../storage/index-store.js';
import type { ThumbnailStore } from '../storage/thumbnail-store.js';
import type { DocumentWriter } from './library-service.js';

interface OwnerNames {
  displayName: string | null;
  email: string;
}

export interface OwnerLookup {
  get(userId: string): Promise<OwnerNames | null>;
}

export interface PublishLimits {
  /** Largest shared workflow published (UTF-8 bytes of its JSON). */
  maxWorkflowBytes: number;
  /** Most bytes of one user's shared workflows published in all. */
  maxUserBytes: number;
  /** Average bytes per second one user's changes may write into `public`. */
  userBytesPerSecond: number;
}

/**
 * Real InvokeAI workflows are 10–55 KB: a workflow 20 times the largest still publishes, one user can
 * publish about 80 of the largest, and a 50 KB workflow edited without pause is republished every
 * 0.4 s at most (edits in between are coalesced, never lost).
 */
export const DEFAULT_PUBLISH_LIMITS: PublishLimits = {
  maxWorkflowBytes: 1024 * 1024,
  maxUserBytes: 4 * 1024 * 1024,
  userBytesPerSecond: 128 * 1024,
};

/** Appended bytes below which `public`'s log is never compacted early (the sync server does it by count). */
const MIN_COMPACT_BYTES = 1024 * 1024;

export interface PublisherOptions {
  index: WorkflowIndexStore;
  thumbnails: ThumbnailStore;
  docs: DocumentWriter;
  users: OwnerLookup;
  log: (message: string) => void;
  limits?: PublishLimits;
  /** Milliseconds, for the rate buckets. Default Date.now. */
  now?: () => number;
  /**
   * Whether this publisher is the only writer of `public` (one node; the default). With several nodes
   * each node's publisher writes it, so what this one wrote last is not what the document holds: every
   * refresh then reads the document itself instead of skipping ids it did not publish.
   */
  soleWriter?: boolean;
}

/** A row to publish, with its thumbnail version (read before the write). */
interface Wanted {
  row: IndexRow;
  thumbnail: string | null;
}

/** One user's publishing rate budget: bytes that may be written now (negative: owed). */
interface Bucket {
  tokens: number;
  at: number;
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

export class Publisher {
  private chain: Promise<void> = Promise.resolve();
  /**
   * Ids in the `public` document after the last successful write; null when unknown (before the
   * first write, after a failed one). Lets refresh skip ids that are neither wanted nor published,
   * such as every edit of a private workflow, without loading `public` and committing nothing to it.
   */
  private published: Set<string> | null = null;
  private readonly index: WorkflowIndexStore;
  private readonly thumbnails: ThumbnailStore;
  private readonly docs: DocumentWriter;
  private readonly users: OwnerLookup;
  /** owner_name per user, read ahead of the writes that publish their workflows (loadOwnerNames). */
  private readonly ownerNames = new Map<string, string>();
  private readonly log: (message: string) => void;
  private readonly limits: PublishLimits;
  private readonly now: () => number;
  private readonly soleWriter: boolean;
  private readonly buckets = new Map<string, Bucket>();
  /** Per user: ids waiting for the bucket to refill, and the timer that writes them. */
  private readonly waiting = new Map<string, { ids: Set<string>; timer: NodeJS.Timeout }>();
  /** Bytes appended to `public` since its log was last folded, and the size that triggers the next fold. */
  private appendedBytes = 0;
  private compactAtBytes = MIN_COMPACT_BYTES;

  constructor(opts: PublisherOptions) {
    this.index = opts.index;
    this.thumbnails = opts.thumbnails;
    this.docs = opts.docs;
    this.users = opts.users;
    this.log = opts.log;
    this.limits = opts.limits ?? DEFAULT_PUBLISH_LIMITS;
    this.now = opts.now ?? Date.now;
    this.soleWriter = opts.soleWriter ?? true;
  }

  /** owner_name: the display name, else the email; "System" for the system user. */
  ownerName(userId: string): string {
    if (userId === SYSTEM_USER_ID) return 'System';
    return this.ownerNames.get(userId) ?? userId;
  }

  /**
   * Reads the names of the owners of these rows that are not known yet, before the write: the user
   * lookup is asynchronous, the write one synchronous transaction. refreshOwner forgets a name.
   */
  private async loadOwnerNames(rows: Iterable<IndexRow>): Promise<void> {
    for (const { user_id: userId } of rows) {
      if (userId === SYSTEM_USER_ID || this.ownerNames.has(userId)) continue;
      const user = await this.users.get(userId);
      this.ownerNames.set(userId, user?.displayName?.trim() || user?.email || userId);
    }
  }

  /** Brings the public entries of these ids in line with the index (within each owner's rate budget). */
  refresh(workflowIds: Iterable<string>): Promise<void> {
    const ids = new Set(workflowIds);
    return this.run(async () => {
      // A change of one workflow can publish or withhold another of the same owner (their budget).
      for (const id of await this.allocate(await this.ownersToAllocate(ids))) ids.add(id);
      const wanted = await this.wantedOf(ids);
      const published = this.soleWriter ? this.published : null;
      // A skipped id needs no write: it is neither wanted nor published.
      const due = [...ids].filter((id) => published === null || published.has(id) || wanted.get(id) !== null);
      if (due.length === 0) return;
      await this.writePublic((doc) => {
        for (const id of due) this.applyWithinBudget(doc, id, wanted.get(id) ?? null);
      });
    });
  }

  /** Rebuilds the whole document: every wanted entry written, every other entry removed. Not rate-limited. */
  rebuild(): Promise<void> {
    return this.run(async () => {
      await this.allocate(await this.index.usersWithSharedRows());
      const wanted = new Map<string, Wanted>();
      for (const row of await this.index.publishable()) {
        if (!wanted.has(row.workflow_id)) wanted.set(row.workflow_id, { row, thumbnail: null });
      }
      for (const [id, entry] of wanted) entry.thumbnail = await this.thumbnails.version(id, entry.row.user_id);
      await this.loadOwnerNames([...wanted.values()].map((w) => w.row));
      await this.writePublic((doc) => {
        for (const id of Array.from(publicMap(doc).keys())) if (!wanted.has(id)) removePublicEntry(doc, id);
        for (const [id, entry] of wanted) this.apply(doc, id, entry);
      });
    });
  }

  /** Republishes the public workflows of one user (their name changed). */
  async refreshOwner(userId: string): Promise<void> {
    this.ownerNames.delete(userId);
    const rows = await this.index.publishable();
    return this.refresh(rows.filter((r) => r.user_id === userId).map((r) => r.workflow_id));
  }

  /** Writes every id still waiting for its owner's rate budget now (shutdown). */
  flushWaiting(): Promise<void> {
    const ids: string[] = [];
    for (const [userId, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      this.waiting.delete(userId);
      ids.push(...waiting.ids);
    }
    if (ids.length === 0) return this.chain;
    return this.run(async () => {
      const wanted = await this.wantedOf(ids);
      await this.writePublic((doc) => {
        for (const id of ids) this.apply(doc, id, wanted.get(id) ?? null);
      });
    });
  }

  /** Resolves when every write queued so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * What `public` should hold for these ids as the index says now (null: nothing), with each
   * thumbnail version and owner name read ahead of the synchronous write.
   */
  private async wantedOf(ids: Iterable<string>): Promise<Map<string, Wanted | null>> {
    const out = new Map<string, Wanted | null>();
    for (const id of ids) {
      const row =
        (await this.index.rowsForId(id)).find(
          (r) => r.valid && (r.category === 'default' || (r.is_public && (r.unpublished_reason ?? null) === null)),
        ) ?? null;
      // From the thumbnails table, not the library entry: the table is what GET .../thumbnail serves.
      out.set(id, row === null ? null : { row, thumbnail: await this.thumbnails.version(id, row.user_id) });
    }
    await this.loadOwnerNames([...out.values()].flatMap((w) => (w === null ? [] : [w.row])));
    return out;
  }

  // ---- size budgets ------------------------------------------------------------------------------

  /** Users whose budgets these ids may change: owners of shared, published or withheld rows. */
  private async ownersToAllocate(ids: Set<string>): Promise<string[]> {
    const users = new Set<string>();
    for (const id of ids) {
      for (const row of await this.index.rowsForId(id)) {
        if (row.category !== 'user') continue;
        const relevant =
          (row.valid && row.is_public) || (row.unpublished_reason ?? null) !== null || !this.soleWriter || this.published === null || this.published.has(id);
        if (relevant) users.add(row.user_id);
      }
    }
    return [...users];
  }

  /**
   * Decides which of each user's valid shared workflows fit in `public`: oldest shared first, each
   * no larger than maxWorkflowBytes, all together no more than maxUserBytes. Records the reason on
   * every other one (one write); returns the ids whose verdict changed.
   */
  private async allocate(userIds: Iterable<string>): Promise<string[]> {
    const verdicts: { workflowId: string; userId: string; reason: string | null }[] = [];
    const { maxWorkflowBytes, maxUserBytes } = this.limits;
    for (const userId of new Set(userIds)) {
      const { shared, stale } = await this.index.sharedRowsOf(userId);
      let used = 0;
      for (const row of shared) {
        let reason: string | null = null;
        if (row.bytes > maxWorkflowBytes) {
          reason = `not published: at ${mebibytes(row.bytes)} it is larger than the ${mebibytes(maxWorkflowBytes)} this server publishes per shared workflow`;
        } else if (used + row.bytes > maxUserBytes) {
          reason = `not published: with it your shared workflows would take ${mebibytes(used + row.bytes)}, over the ${mebibytes(maxUserBytes)} this server publishes per user (unshare or shrink others first)`;
        } else {
          used += row.bytes;
        }
        if (reason !== row.unpublished_reason) verdicts.push({ workflowId: row.workflow_id, userId, reason });
      }
      for (const id of stale) verdicts.push({ workflowId: id, userId, reason: null });
    }
    await this.index.setUnpublishedReasons(verdicts);
    return verdicts.map((v) => v.workflowId);
  }

  // ---- rate budgets ------------------------------------------------------------------------------

  /** The user's bucket, refilled up to one largest workflow. */
  private bucket(userId: string): Bucket {
    const now = this.now();
    const capacity = this.limits.maxWorkflowBytes;
    let bucket = this.buckets.get(userId);
    if (bucket === undefined) {
      bucket = { tokens: capacity, at: now };
      this.buckets.set(userId, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * this.limits.userBytesPerSecond) / 1000);
    bucket.at = now;
    return bucket;
  }

  /**
   * Writes one id if its owner's bucket can pay for it, else puts it on the owner's waiting list.
   * Removals and defaults cost nothing; an unchanged entry is never written, so costs nothing.
   */
  private applyWithinBudget(doc: Y.Doc, id: string, wanted: Wanted | null): void {
    const row = wanted?.row ?? null;
    if (wanted === null || row === null || row.workflow === null || row.category === 'default') {
      this.apply(doc, id, wanted);
      return;
    }
    const waiting = this.waiting.get(row.user_id);
    if (waiting !== undefined) {
      waiting.ids.add(id);
      return;
    }
    const cost = Buffer.byteLength(row.workflow);
    const bucket = this.bucket(row.user_id);
    const needed = Math.min(cost, this.limits.maxWorkflowBytes);
    if (bucket.tokens >= needed) {
      if (this.apply(doc, id, wanted)) bucket.tokens -= cost;
      return;
    }
    this.wait(row.user_id, id, needed - bucket.tokens);
  }

  private wait(userId: string, id: string, missingBytes: number): void {
    const delayMs = Math.max(1, Math.ceil((missingBytes * 1000) / this.limits.userBytesPerSecond));
    const timer = setTimeout(() => this.writeWaiting(userId), delayMs);
    // Never keeps the process alive: close() writes what waits (flushWaiting), a restart rebuilds.
    timer.unref();
    this.waiting.set(userId, { ids: new Set([id]), timer });
  }

  /**
   * The user's bucket has refilled: every id that waited is written as it is now, in one write, paid
   * for afterwards (the bucket may go below zero; the next write then waits until it is repaid).
   */
  private writeWaiting(userId: string): void {
    const waiting = this.waiting.get(userId);
    if (waiting === undefined) return;
    this.waiting.delete(userId);
    void this.run(async () => {
      const wanted = await this.wantedOf(waiting.ids);
      await this.writePublic((doc) => {
        let written = 0;
        for (const id of waiting.ids) {
          const entry = wanted.get(id) ?? null;
          if (this.apply(doc, id, entry) && entry?.row.workflow) written += Buffer.byteLength(entry.row.workflow);
        }
        this.bucket(userId).tokens -= written;
      });
    });
  }

  // ---- writing -----------------------------------------------------------------------------------

  /** Makes the entry of `id` what `wanted` says; true if it wrote a new or changed entry. */
  private apply(doc: Y.Doc, id: string, wanted: Wanted | null): boolean {
    const row = wanted?.row ?? null;
    if (wanted === null || row === null || row.workflow === null) {
      removePublicEntry(doc, id);
      return false;
    }
    const entry: PublicEntry = {
      workflow: JSON.parse(row.workflow) as Workflow,
      user_id: row.user_id,
      owner_name: this.ownerName(row.user_id),
      is_public: row.is_public,
      category: row.category,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
    if (wanted.thumbnail !== null) entry.thumbnail = wanted.thumbnail;
    try {
      return putPublicEntry(doc, id, entry);
    } catch (error) {
      // The index only holds validated workflows, so this is a bug; never publish it, keep going.
      removePublicEntry(doc, id);
      this.log(`not publishing ${id}: ${String(error)}`);
      return false;
    }
  }

  /**
   * Queues a publishing task: tasks run one at a time, each reading the index when it runs (so what
   * it writes is the latest), and a failed one is logged without stopping the next.
   */
  private run(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task).catch((error: unknown) => {
      this.published = null;
      this.log(`publishing failed: ${String(error)}`);
    });
    this.chain = next;
    return next;
  }

  /** One transaction on `public`: a refresh of many entries reaches clients as one update. */
  private async writePublic(write: (doc: Y.Doc) => void): Promise<void> {
    this.published = await this.docs.withDocument(PUBLIC_DOCUMENT, (doc) => {
      this.published = null;
      let appended = 0;
      const measure = (update: Uint8Array) => (appended += update.length);
      doc.on('update', measure);
      try {
        doc.transact(() => write(doc));
      } finally {
        doc.off('update', measure);
      }
      this.foldLogIfDue(doc, appended);
      // Only the publisher writes `public`, so after this write its keys are the published ids.
      return new Set(publicMap(doc).keys());
    });
  }

  /**
   * Asks for `public`'s log to be folded into its snapshot once as many bytes as the document holds
   * have been appended since the last fold: stored size stays within about twice the document, and
   * each fold (which writes the whole document) is paid for by that many appended bytes.
   */
  private foldLogIfDue(doc: Y.Doc, appended: number): void {
    this.appendedBytes += appended;
    if (this.appendedBytes < this.compactAtBytes || this.docs.compactSoon === undefined) return;
    this.docs.compactSoon(PUBLIC_DOCUMENT);
    this.appendedBytes = 0;
    this.compactAtBytes = Math.max(MIN_COMPACT_BYTES, Y.encodeStateAsUpdate(doc).length);
  }
}
