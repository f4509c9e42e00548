// The durability point of the sync server. Every change that enters a served Y.Doc (from a client
// or from a server-side write) is queued here; once per event-loop turn the queue appends
// everything queued during that turn to the store in ONE commit, and only after that commit
// resolves are the updates handed on (forwarded to other clients, published, acknowledged).
// Commits are chained, so forwarding order equals commit order.
import type { DocumentStore } from '../storage/document-store.js';

export interface QueuedUpdate<R extends { readonly name: string }> {
  room: R;
  update: Uint8Array;
  origin: unknown;
}

export interface CommitQueueEvents<R extends { readonly name: string }> {
  /** The batch is durable; `lastSeq` holds the highest sequence number per document. */
  committed(batch: QueuedUpdate<R>[], lastSeq: Map<string, number>): void;
  /** The store refused the batch: none of it is durable. */
  failed(batch: QueuedUpdate<R>[], error: unknown): void;
  /** Entries whose room was dropped after they were queued are not committed. */
  isLive(room: R): boolean;
  /** A bug in `committed`: reported, and the queue goes on (a rejected chain would stall it). */
  internalError(error: unknown): void;
}

export class CommitQueue<R extends { readonly name: string }> {
  private batch: QueuedUpdate<R>[] = [];
  private scheduled = false;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: DocumentStore,
    private readonly events: CommitQueueEvents<R>,
  ) {}

  enqueue(entry: QueuedUpdate<R>): void {
    this.batch.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate runs after the poll phase has delivered every frame that was ready, so all
      // updates read in one turn share one transaction.
      setImmediate(() => void this.flush());
    }
  }

  /** Commits what is queued now; resolves when it and everything queued before it is settled. */
  flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.batch.filter((entry) => this.events.isLive(entry.room));
    this.batch = [];
    if (batch.length > 0) {
      this.tail = this.tail.then(() => this.commit(batch)).catch((error: unknown) => this.events.internalError(error));
    }
    return this.tail;
  }

  private async commit(batch: QueuedUpdate<R>[]): Promise<void> {
    let lastSeq: Map<string, number>;
    try {
      lastSeq = await this.store.append(batch.map(({ room, update }) => ({ name: room.name, update })));
    } catch (error) {
      this.events.failed(batch, error);
      return;
    }
    this.events.committed(batch, lastSeq);
  }
}
