// The durability point of the sync server. Every change that enters a served Y.Doc (from a client
// or from a server-side write) is queued here, and only after the store has committed it is it
// handed on (forwarded to other clients, published, acknowledged).
//
// Two ways to commit, chosen by the store:
// - synchronous store (DocumentStore.appendSync, e.g. SQLite): group commit by event-loop turn
//   (turn.ts). The first update of a turn is committed in its own transaction the moment it is
//   enqueued and handed on in the same tick: at low load every update is the first of its turn, so
//   an edit waits for nothing but its own commit. The updates that follow it in the same turn (a
//   loaded server reads many frames per poll) are committed together in ONE transaction at the end
//   of the turn and handed on then: a commit's fixed cost (the WAL frame header, the write lock) is
//   paid once per turn instead of once per update, and each of them would have waited for the
//   commits before it anyway (docs/benchmarks.md, "group commit").
// - asynchronous store: everything queued during one event-loop turn is appended in ONE commit
//   (a round trip per update would cost far more), and commits are chained.
// Either way commit order equals hand-on order, and nothing is handed on before its commit.
import type { AppendEntry, DocumentStore } from '../storage/document-store.js';
import { atEndOfTurn, currentTurn } from './turn.js';

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
  /** A bug in `committed` or `failed`: reported, and the queue goes on (it must never stall or throw into Yjs). */
  internalError(error: unknown): void;
}

export class CommitQueue<R extends { readonly name: string }> {
  private batch: QueuedUpdate<R>[] = [];
  private scheduled = false;
  /** The turn whose first update was committed on its own (synchronous store). */
  private immediateTurn = -1;
  private tail: Promise<void> = Promise.resolve();
  private readonly appendSync: ((batch: readonly AppendEntry[]) => Map<string, number>) | undefined;

  constructor(
    private readonly store: DocumentStore,
    private readonly events: CommitQueueEvents<R>,
  ) {
    this.appendSync = store.appendSync?.bind(store);
  }

  /**
   * Queues one update. With a synchronous store, the first update of a turn is committed and handed
   * on before this returns (enqueue is called from the Y.Doc's update event, so it is durable and
   * forwarded by the time Y.transact / Y.applyUpdate returns); the rest of the turn's updates are
   * committed together at its end, or by flush().
   */
  enqueue(entry: QueuedUpdate<R>): void {
    const appendSync = this.appendSync;
    if (appendSync !== undefined) {
      const turn = currentTurn();
      if (turn !== this.immediateTurn && this.batch.length === 0) {
        this.immediateTurn = turn;
        if (this.events.isLive(entry.room)) this.commitNow([entry], appendSync);
        return;
      }
      this.batch.push(entry);
      if (!this.scheduled) {
        this.scheduled = true;
        atEndOfTurn(() => void this.flush());
      }
      return;
    }
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
    if (this.batch.length === 0) return this.tail;
    const batch = this.batch.filter((entry) => this.events.isLive(entry.room));
    this.batch = [];
    if (batch.length === 0) return this.tail;
    if (this.appendSync !== undefined) {
      // Synchronous: committed and handed on before flush returns, in order after every earlier commit.
      this.commitNow(batch, this.appendSync);
      return this.tail;
    }
    this.tail = this.tail.then(() => this.commit(batch)).catch((error: unknown) => this.events.internalError(error));
    return this.tail;
  }

  private commitNow(batch: QueuedUpdate<R>[], appendSync: (batch: readonly AppendEntry[]) => Map<string, number>): void {
    let lastSeq: Map<string, number>;
    try {
      lastSeq = appendSync(batch.map(({ room, update }) => ({ name: room.name, update })));
    } catch (error) {
      this.settle(() => this.events.failed(batch, error));
      return;
    }
    this.settle(() => this.events.committed(batch, lastSeq));
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

  /** Runs an event handler on the synchronous path, where a throw would land in Yjs' update emit. */
  private settle(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.events.internalError(error);
    }
  }
}
