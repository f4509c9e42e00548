// One served document: its Y.Doc, its connections and its awareness. A room never forwards an
// update by itself: every change of the doc goes to the commit queue, and the server calls
// `forward` once it is committed (with a synchronous store, still inside the doc's update event).
// Answers to sync step 1 (which carry the doc's state) wait until the room has nothing uncommitted,
// for the same reason.
import * as Y from 'yjs';
import { addsContent, exceeded, fits, type DocumentQuota } from '../storage/quota.js';
import type { QuotaExceededError } from '../storage/storage-errors.js';
import { AwarenessRelay } from './awareness-relay.js';
import { encodeAwareness, encodeSyncStep2, encodeUpdate, type AwarenessEntry } from './messages.js';
import { RemoteOrigin } from './origins.js';
import { checkClientUpdate } from './update-limits.js';

/** However large a document, its log is folded by this many times compactEvery updates. */
export const MAX_LOG_FACTOR = 20;

/** What a room needs from a connection: sending and closing, nothing of the socket. */
export interface RoomMember {
  send(frame: Uint8Array): void;
}

/**
 * 'refused': the update breaks the limits of update-limits.ts (too deep or a value too large: 4413)
 * or cannot be read (4400); it was never applied.
 */
export type ApplyResult = 'applied' | 'malformed' | 'too-much-pending' | { refused: 'too-large' | 'malformed'; reason: string };

export class DocumentRoom {
  readonly doc: Y.Doc;
  readonly members = new Set<RoomMember>();
  readonly awareness = new AwarenessRelay();
  /** Connections plus server-side users (withDocument) holding the room loaded. */
  refs = 0;
  idleTimer: NodeJS.Timeout | null = null;
  /** Updates applied to the doc but not yet committed. */
  uncommitted = 0;
  /**
   * Highest store sequence number S such that every update with seq <= S is in the doc (contiguous:
   * with several nodes, room-link.ts keeps it so). Compaction folds up to it, never further.
   */
  committedSeq: number;
  /** Committed updates since the last compaction. */
  sinceCompaction: number;
  /** A compaction is queued in the registry's chain and has not started yet. */
  compactionQueued = false;
  /** Set when the store refused this room's updates: the room is dropped and never committed again. */
  broken = false;
  /** Why the room was dropped (a StorageError or QuotaExceededError), for the server-side writer. */
  brokenBy: unknown = null;
  /** Bytes the store holds for this document (snapshot plus update log), kept up to date on commit and compaction. */
  storedBytes: number;
  /** Bytes of the stored snapshot (0: none yet); the rest of storedBytes is the update log. */
  snapshotBytes: number;
  /** After a failed compaction, the count of commits since the last one at which to try again. */
  compactionRetryAt = 0;
  /** Size of the doc's state as one update (what a compaction would store), for a committedSeq. */
  private compacted: { seq: number; bytes: number } | null = null;
  private readonly waitingStep2: Array<() => void> = [];
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void;

  constructor(
    readonly name: string,
    doc: Y.Doc,
    stored: { lastSeq: number; updates: number; bytes: number; snapshotBytes: number },
    private readonly deps: {
      enqueue(room: DocumentRoom, update: Uint8Array, origin: unknown): void;
      maxPendingBytes: number;
      log(message: string): void;
      quota?: DocumentQuota | undefined;
      compactSoon?(room: DocumentRoom): void;
      /** Awareness entries of this node's members that others accepted, for the other nodes. */
      publishAwareness?(room: DocumentRoom, entries: AwarenessEntry[]): void;
    },
  ) {
    this.doc = doc;
    this.storedBytes = stored.bytes;
    this.snapshotBytes = stored.snapshotBytes;
    this.committedSeq = stored.lastSeq;
    this.sinceCompaction = stored.updates;
    this.onUpdate = (update, origin) => {
      // Committed by another node already (room-link.ts): forwarded, never stored again.
      if (origin instanceof RemoteOrigin) {
        this.forward(update, null);
        return;
      }
      this.uncommitted++;
      this.deps.enqueue(this, update, origin);
    };
    doc.on('update', this.onUpdate);
  }

  /**
   * Applies a client's update. Yjs emits only what it integrated (see onUpdate); an update that
   * depends on state the server lacks stays pending in the doc until that state arrives (a client
   * edits while its own sync step 2 is in flight). Pending state is not stored: the sender still
   * holds it and sends it again in its sync step 2 after any reconnect. It is bounded, though:
   * a connection that grows it beyond maxPendingBytes is refused and the pending state dropped.
   */
  applyClientUpdate(update: Uint8Array, origin: RoomMember): ApplyResult {
    // Before Yjs integrates anything: a type nested too deep cannot be taken out again safely.
    const limits = checkClientUpdate(this.doc, update);
    if (!limits.ok) return { refused: limits.refusal, reason: limits.reason };
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (error) {
      // Yjs also rethrows errors of observers (e.g. the library layer's) after integrating the
      // update; those are not the client's fault. Whatever was integrated before a decode error was
      // emitted as a valid update and is committed like any other, so memory and store agree.
      if (!this.integrated(update)) return 'malformed';
      this.deps.log(`an observer of ${this.name} threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    const store = this.doc.store;
    const pending = (store.pendingStructs?.update.length ?? 0) + (store.pendingDs?.length ?? 0);
    if (pending > this.deps.maxPendingBytes) {
      store.pendingStructs = null;
      store.pendingDs = null;
      return 'too-much-pending';
    }
    return 'applied';
  }

  private integrated(update: Uint8Array): boolean {
    try {
      const have = Y.decodeStateVector(Y.encodeStateVector(this.doc));
      for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update))) {
        if ((have.get(client) ?? 0) < clock) return false;
      }
      return this.doc.store.pendingStructs === null;
    } catch {
      return false;
    }
  }

  /**
   * Refuses an update that adds content and would take the owner's stored bytes past the quota, or
   * returns null. `applied`: the update is in the doc already (a server-side write, checked before
   * it is committed) rather than a client's, checked before it is applied. Deletions always pass.
   * The stored size is measured honestly: when the log holds history a compaction would drop (Yjs
   * GC of deleted content), the size after compaction counts, and that compaction is asked for.
   */
  quotaRefusal(update: Uint8Array, applied: boolean): QuotaExceededError | null {
    const quota = this.deps.quota;
    if (quota === undefined) return null;
    const addedBytes = update.length;
    if (fits({ limit: quota.limitFor(this.name, false), storedBytes: this.storedBytes, addedBytes })) return null;
    if (!addsContent(update)) return null;
    const limit = quota.limitFor(this.name, true);
    if (limit === null || fits({ limit, storedBytes: this.storedBytes, addedBytes })) return null;
    // An applied update is in the doc but not yet in the store: its state counts it already.
    const compactedBytes = applied
      ? Math.min(this.storedBytes + addedBytes, Y.encodeStateAsUpdate(this.doc).length)
      : this.compactedBytes();
    const check = { limit, storedBytes: compactedBytes, addedBytes: applied ? 0 : addedBytes };
    if (fits(check)) {
      this.deps.compactSoon?.(this);
      return null;
    }
    return exceeded(check);
  }

  /** What the store would hold after a compaction now (never more than it holds). */
  private compactedBytes(): number {
    if (this.sinceCompaction === 0) return this.storedBytes;
    if (this.compacted?.seq !== this.committedSeq) {
      this.compacted = { seq: this.committedSeq, bytes: Y.encodeStateAsUpdate(this.doc).length };
    }
    return Math.min(this.storedBytes, this.compacted.bytes);
  }

  /**
   * Whether the update log should be folded into the snapshot now. A compaction encodes and writes
   * the whole document on the event loop (a 9.6 MiB library: ~350 ms, docs/benchmarks.md P7), while
   * the log it folds costs a load little (10,000 small updates replay in ~30 ms beside that
   * library's 500 ms snapshot). So past `compactEvery` updates it is due once the log has grown to a
   * quarter of the snapshot (each compaction then rewrites at most 4 bytes per byte logged), or in
   * any case at MAX_LOG_FACTOR x compactEvery updates, which bounds what a load replays.
   */
  compactionDue(compactEvery: number): boolean {
    if (this.sinceCompaction < Math.max(compactEvery, this.compactionRetryAt)) return false;
    const logBytes = this.storedBytes - this.snapshotBytes;
    return logBytes * 4 >= this.snapshotBytes || this.sinceCompaction >= compactEvery * MAX_LOG_FACTOR;
  }

  /** Answers sync step 1 with the state the member lacks, once everything in the doc is committed. */
  answerStep1(member: RoomMember, stateVector: Uint8Array): void {
    const answer = () => member.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector)));
    if (this.uncommitted === 0) answer();
    else this.waitingStep2.push(answer);
  }

  /** Called by the server after `count` of this room's updates were committed (or dropped). */
  settled(count: number): void {
    this.uncommitted = Math.max(0, this.uncommitted - count);
    if (this.uncommitted === 0 && this.waitingStep2.length > 0) {
      for (const answer of this.waitingStep2.splice(0)) answer();
    }
  }

  /** Sends a committed update to every member except the one it came from. */
  forward(update: Uint8Array, origin: unknown): void {
    if (this.members.size === 0 || (this.members.size === 1 && this.members.has(origin as RoomMember))) return;
    const frame = encodeUpdate(update);
    for (const member of this.members) if (member !== origin) member.send(frame);
  }

  /** Applies a member's awareness entries and forwards what was accepted; returns the refused ones. */
  applyAwareness(member: RoomMember, entries: readonly AwarenessEntry[]): AwarenessEntry[] {
    const { accepted, refused } = this.awareness.apply(member, entries);
    if (accepted.length > 0) {
      this.sendAwareness(accepted, member);
      this.deps.publishAwareness?.(this, accepted);
    }
    return refused;
  }

  /**
   * Awareness of another node's clients: applied to the relay as that node's (no member of this room
   * owns them, and a local member's state is never overwritten) and forwarded to every member.
   */
  applyRemoteAwareness(nodeId: string, entries: readonly AwarenessEntry[]): void {
    const accepted = this.awareness.applyRemote(nodeId, entries);
    if (accepted.length > 0) this.sendAwareness(accepted, null);
  }

  awarenessFrame(): Uint8Array | null {
    const entries = this.awareness.snapshot();
    return entries.length > 0 ? encodeAwareness(entries) : null;
  }

  join(member: RoomMember): void {
    this.members.add(member);
  }

  leave(member: RoomMember): void {
    if (!this.members.delete(member)) return;
    const removals = this.awareness.release(member);
    if (removals.length > 0) {
      this.sendAwareness(removals, member);
      this.deps.publishAwareness?.(this, removals);
    }
  }

  private sendAwareness(entries: AwarenessEntry[], except: RoomMember | null): void {
    const frame = encodeAwareness(entries);
    for (const other of this.members) if (other !== except) other.send(frame);
  }

  destroy(): void {
    this.doc.off('update', this.onUpdate);
    this.waitingStep2.length = 0;
    this.doc.destroy();
  }
}
