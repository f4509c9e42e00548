// Publishes every valid shared workflow of every user, and every default workflow, into the `public`
// document (contract §4) — the only document every user may read. It works from the index, so it
// publishes exactly what the index says is valid and public, and it writes through the sync server so
// every open client sees the change at once. Writes are serialized and idempotent: an entry that is
// already as it should be is not rewritten, and a refresh that changes nothing sends nothing.
import type * as Y from 'yjs';
import { PUBLIC_DOCUMENT, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { publicMap, putPublicEntry, removePublicEntry, type PublicEntry, type Workflow } from '../../shared/workflow/index.js';
import type { IndexRow, IndexStore } from './index-store.js';
import type { DocumentWriter } from './library-service.js';

export interface OwnerLookup {
  get(userId: string): { displayName: string | null; email: string } | null;
}

export interface PublisherOptions {
  index: IndexStore;
  docs: DocumentWriter;
  users: OwnerLookup;
  log: (message: string) => void;
}

export class Publisher {
  private chain: Promise<void> = Promise.resolve();
  /**
   * Ids in the `public` document after the last successful write; null when unknown (before the
   * first write, after a failed one). Lets refresh skip ids that are neither wanted nor published,
   * such as every edit of a private workflow, without loading `public` and committing nothing to it.
   */
  private published: Set<string> | null = null;
  private readonly index: IndexStore;
  private readonly docs: DocumentWriter;
  private readonly users: OwnerLookup;
  private readonly log: (message: string) => void;

  constructor(opts: PublisherOptions) {
    this.index = opts.index;
    this.docs = opts.docs;
    this.users = opts.users;
    this.log = opts.log;
  }

  /** owner_name: the display name, else the email; "System" for the system user. */
  ownerName(userId: string): string {
    if (userId === SYSTEM_USER_ID) return 'System';
    const user = this.users.get(userId);
    return user?.displayName?.trim() || user?.email || userId;
  }

  /** Brings the public entries of these ids in line with the index. */
  refresh(workflowIds: Iterable<string>): Promise<void> {
    const published = this.published;
    // A skipped id needs no write: whatever runs later reads the index afresh for every id it writes.
    const ids = [...new Set(workflowIds)].filter((id) => published === null || published.has(id) || this.wanted(id) !== null);
    if (ids.length === 0) return this.chain;
    return this.enqueue((doc) => {
      for (const id of ids) this.apply(doc, id, this.wanted(id));
    });
  }

  /** Rebuilds the whole document: every wanted entry written, every other entry removed. */
  rebuild(): Promise<void> {
    return this.enqueue((doc) => {
      const wanted = new Map<string, IndexRow>();
      // Ordered oldest first: if a client copied an id into a second library, the first one is published.
      for (const row of this.index.publishable()) if (!wanted.has(row.workflow_id)) wanted.set(row.workflow_id, row);
      for (const id of Array.from(publicMap(doc).keys())) if (!wanted.has(id)) removePublicEntry(doc, id);
      for (const [id, row] of wanted) this.apply(doc, id, row);
    });
  }

  /** Republishes the public workflows of one user (their name changed). */
  refreshOwner(userId: string): Promise<void> {
    return this.refresh(this.index.publishable().filter((r) => r.user_id === userId).map((r) => r.workflow_id));
  }

  /** Resolves when every write queued so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private wanted(id: string): IndexRow | null {
    return this.index.rowsForId(id).find((r) => r.valid && (r.is_public || r.category === 'default')) ?? null;
  }

  private apply(doc: Y.Doc, id: string, row: IndexRow | null): void {
    if (row === null || row.workflow === null) {
      removePublicEntry(doc, id);
      return;
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
    // From the thumbnails table, not the library entry: the table is what GET .../thumbnail serves.
    const thumbnail = this.index.thumbnailVersion(id);
    if (thumbnail !== null) entry.thumbnail = thumbnail;
    try {
      putPublicEntry(doc, id, entry);
    } catch (error) {
      // The index only holds validated workflows, so this is a bug; never publish it, keep going.
      removePublicEntry(doc, id);
      this.log(`not publishing ${id}: ${String(error)}`);
    }
  }

  private enqueue(write: (doc: Y.Doc) => void): Promise<void> {
    // One transaction: a refresh of many entries reaches clients as one update.
    const run = () =>
      this.docs.withDocument(PUBLIC_DOCUMENT, (doc) => {
        this.published = null;
        doc.transact(() => write(doc));
        // Only the publisher writes `public`, so after this write its keys are the published ids.
        return new Set(publicMap(doc).keys());
      });
    const next = this.chain
      .then(run, run)
      .then((published) => {
        this.published = published;
      })
      .catch((error: unknown) => {
        this.published = null;
        this.log(`publishing failed: ${String(error)}`);
      });
    this.chain = next;
    return next;
  }
}
