// One loaded document's link to the other nodes (through the fan-out port, fanout.ts). It keeps the
// room's `committedSeq` honest when several nodes commit to one document: the highest store sequence
// number S such that every update with seq <= S is in the doc.
//
// - The link subscribes BEFORE the document is read from the store, and buffers what arrives during
//   the load; once the room exists (attach), buffered updates after the loaded seq are applied. So an
//   update committed elsewhere while this node loads is never missed.
// - An update with seq = committedSeq + 1 is applied and advances it (then any held successors); one
//   further ahead is held and a catch-up from the store is started (DocumentStore.loadSince), which
//   also heals a lost message. A fan-out that lost messages (onReset) makes every link catch up.
// - This node's own commits advance committedSeq only when contiguous: another node may hold seq N
//   while this one committed N + 1. Seqs applied above committedSeq are remembered until the gap
//   closes; a gap that nothing closes within GAP_CATCH_UP_MS is closed by a catch-up.
// Remote updates are applied with a RemoteOrigin: the room forwards them to its sockets and never
// stores them again (they are committed already); they count toward the room's stored bytes and its
// compaction threshold, as they are in the store's log.
import * as Y from 'yjs';
import type { DocumentStore } from '../storage/document-store.js';
import { describeStoreError } from '../storage/storage-errors.js';
import type { DocumentRoom } from './document-room.js';
import type { FanoutAwareness, FanoutSubscription, FanoutUpdate } from './fanout.js';
import { RemoteOrigin } from './origins.js';

/** How long a gap below this node's own commit may wait for the fan-out before a catch-up closes it. */
export const GAP_CATCH_UP_MS = 1000;

/** The nodeId given to updates applied by a catch-up (read from the store, not received). */
export const CATCH_UP_NODE = 'store';

/** Fan-out awareness messages kept while the document loads (only the latest matter). */
const MAX_BUFFERED_AWARENESS = 64;

export interface RoomLinkDeps {
  nodeId: string;
  store: DocumentStore;
  log(message: string): void;
  /** A remote update was applied to the room's doc (for the extensions' onRemoteUpdate). */
  remoteApplied(room: DocumentRoom, update: Uint8Array, seq: number, nodeId: string): void;
  /** Awareness from another node for the room. */
  remoteAwareness(room: DocumentRoom, message: FanoutAwareness): void;
}

export class RoomLink {
  subscription: FanoutSubscription | null = null;
  private room: DocumentRoom | null = null;
  private closed = false;
  /** Messages received while the document loads. */
  private buffered: FanoutUpdate[] = [];
  private bufferedAwareness: FanoutAwareness[] = [];
  /** Received updates further ahead than committedSeq + 1, by seq. */
  private readonly held = new Map<number, FanoutUpdate>();
  /** Seqs in the doc above committedSeq (own commits, or applied ahead by a catch-up). */
  private readonly appliedAbove = new Set<number>();
  private catchingUp = false;
  private catchUpAgain = false;
  /** A catch-up was asked for while the document was loading (a fan-out reset): done once attached. */
  private catchUpOnAttach = false;
  private gapTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    private readonly deps: RoomLinkDeps,
  ) {}

  /** Fan-out handler: an update committed somewhere (own node's are skipped). */
  receiveUpdate(message: FanoutUpdate): void {
    if (this.closed || message.nodeId === this.deps.nodeId) return;
    if (this.room === null) this.buffered.push(message);
    else this.receive(message);
  }

  /** Fan-out handler: awareness of another node's clients. */
  receiveAwareness(message: FanoutAwareness): void {
    if (this.closed || message.nodeId === this.deps.nodeId) return;
    if (this.room === null) {
      this.bufferedAwareness.push(message);
      if (this.bufferedAwareness.length > MAX_BUFFERED_AWARENESS) this.bufferedAwareness.shift();
      return;
    }
    if (!this.room.broken) this.deps.remoteAwareness(this.room, message);
  }

  /** The room is loaded (its committedSeq is the loaded seq): what arrived meanwhile is applied now. */
  attach(room: DocumentRoom): void {
    this.room = room;
    const buffered = this.buffered.sort((a, b) => a.seq - b.seq);
    this.buffered = [];
    for (const message of buffered) this.receive(message);
    const awareness = this.bufferedAwareness;
    this.bufferedAwareness = [];
    for (const message of awareness) this.receiveAwareness(message);
    if (this.catchUpOnAttach) {
      this.catchUpOnAttach = false;
      this.catchUp();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** This node committed an update of the room under `seq`. */
  ownCommitted(seq: number): void {
    const room = this.room;
    if (room === null) return;
    this.mark(room, seq);
    if (this.appliedAbove.size > 0) this.scheduleGapCheck();
  }

  /** Reads from the store whatever the doc may lack (a lost message, a fan-out reset). */
  catchUp(): void {
    if (this.closed) return;
    if (this.room === null) {
      // Messages may have been lost after the store was read: read again once the room exists.
      this.catchUpOnAttach = true;
      return;
    }
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    void this.runCatchUp(this.room).finally(() => {
      this.catchingUp = false;
      if (this.closed) return;
      if (this.catchUpAgain) {
        this.catchUpAgain = false;
        this.catchUp();
      } else if (this.hasGap()) this.scheduleGapCheck();
    });
  }

  /** Stops receiving (the room unloads or is dropped). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.gapTimer !== null) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    this.held.clear();
    this.buffered = [];
    this.bufferedAwareness = [];
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.unsubscribe();
  }

  private receive(message: FanoutUpdate): void {
    const room = this.room!;
    if (room.broken) return;
    if (message.seq <= room.committedSeq || this.appliedAbove.has(message.seq) || this.held.has(message.seq)) return;
    if (message.seq !== room.committedSeq + 1) {
      this.held.set(message.seq, message);
      this.catchUp();
      return;
    }
    this.apply(room, message.update, message.seq, message.nodeId);
    this.releaseHeld(room);
  }

  /** Applies held updates while they follow committedSeq. */
  private releaseHeld(room: DocumentRoom): void {
    for (const seq of [...this.held.keys()]) if (seq <= room.committedSeq) this.held.delete(seq);
    let next = this.held.get(room.committedSeq + 1);
    while (next !== undefined && !room.broken && !this.closed) {
      this.held.delete(next.seq);
      this.apply(room, next.update, next.seq, next.nodeId);
      next = this.held.get(room.committedSeq + 1);
    }
  }

  private apply(room: DocumentRoom, update: Uint8Array, seq: number, nodeId: string): void {
    try {
      Y.applyUpdate(room.doc, update, new RemoteOrigin(nodeId, seq));
    } catch (error) {
      // Committed by another node, so Yjs accepted it there; an observer's error is not the update's.
      this.deps.log(`applying update ${seq} of ${room.name} from node ${nodeId} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    room.storedBytes += update.length;
    room.sinceCompaction++;
    this.mark(room, seq);
    this.deps.remoteApplied(room, update, seq, nodeId);
  }

  /** Records that `seq` is in the doc; committedSeq moves only over a contiguous run. */
  private mark(room: DocumentRoom, seq: number): void {
    if (seq <= room.committedSeq) return;
    if (seq !== room.committedSeq + 1) {
      this.appliedAbove.add(seq);
      return;
    }
    room.committedSeq = seq;
    while (this.appliedAbove.delete(room.committedSeq + 1)) room.committedSeq++;
  }

  private hasGap(): boolean {
    return this.appliedAbove.size > 0 || this.held.size > 0;
  }

  private scheduleGapCheck(): void {
    if (this.gapTimer !== null || this.closed) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.hasGap()) this.catchUp();
    }, GAP_CATCH_UP_MS);
    this.gapTimer.unref();
  }

  private async runCatchUp(room: DocumentRoom): Promise<void> {
    let since;
    try {
      since = await this.deps.store.loadSince(room.name, room.committedSeq);
    } catch (error) {
      // Tried again by the gap check while a gap is known; a reset without a known gap waits for the next message.
      this.deps.log(`catching up ${room.name} from the store failed: ${describeStoreError(error)}`);
      if (!this.closed) this.scheduleGapCheck();
      return;
    }
    if (this.closed || room.broken) return;
    if (since.snapshot !== null) {
      // Some wanted updates exist only inside the snapshot now: it is applied whole (what the doc
      // already holds costs nothing), and the store holds exactly the snapshot and the log after it.
      const snapshotSeq = since.updates.length > 0 ? since.updates[0]!.seq - 1 : since.lastSeq;
      this.applyRead(room, since.snapshot, snapshotSeq);
      room.storedBytes = since.snapshot.length + since.updates.reduce((sum, u) => sum + u.update.length, 0);
      room.sinceCompaction = since.updates.length;
      for (const { seq, update } of since.updates) if (!this.appliedAbove.has(seq)) this.applyRead(room, update, seq);
    } else {
      for (const { seq, update } of since.updates) {
        // Own commits (and anything applied meanwhile) are in the doc and counted already.
        if (seq <= room.committedSeq || this.appliedAbove.has(seq)) continue;
        this.applyRead(room, update, seq);
        room.storedBytes += update.length;
        room.sinceCompaction++;
      }
    }
    // Everything up to lastSeq is in the doc now.
    if (since.lastSeq > room.committedSeq) room.committedSeq = since.lastSeq;
    for (const seq of [...this.appliedAbove]) if (seq <= room.committedSeq) this.appliedAbove.delete(seq);
    while (this.appliedAbove.delete(room.committedSeq + 1)) room.committedSeq++;
    this.releaseHeld(room);
  }

  /** Applies an update read from the store by a catch-up. */
  private applyRead(room: DocumentRoom, update: Uint8Array, seq: number): void {
    try {
      Y.applyUpdate(room.doc, update, new RemoteOrigin(CATCH_UP_NODE, seq));
    } catch (error) {
      this.deps.log(`a stored update of ${room.name} cannot be applied, skipped: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.deps.remoteApplied(room, update, seq, CATCH_UP_NODE);
  }
}
