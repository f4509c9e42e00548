// Loads, keeps and unloads rooms. Load, compaction and unload of one document run one after the
// other (a per-name chain), so there are never two loads of a document and an unload never races
// a new connection: an acquire that arrives during an unload waits for it and loads afresh.
import * as Y from 'yjs';
import type { DocumentStore } from '../storage/document-store.js';
import type { DocumentQuota } from '../storage/quota.js';
import { describeStoreError } from '../storage/storage-errors.js';
import { DocumentRoom } from './document-room.js';
import type { AwarenessEntry } from './messages.js';
import type { RoomLink } from './room-link.js';

export interface RoomRegistryOptions {
  store: DocumentStore;
  idleUnloadMs: number;
  compactEvery: number;
  maxPendingBytes: number;
  /** Storage quota checked before content is added to a document; none by default. */
  quota?: DocumentQuota | undefined;
  enqueue(room: DocumentRoom, update: Uint8Array, origin: unknown): void;
  /** Waits until every queued update is committed (before a compaction or unload reads the doc). */
  drain(): Promise<void>;
  /**
   * Before the document is read from the store (awaited): its fan-out subscription, live when this
   * resolves, so nothing committed elsewhere during the load is missed; null without a fan-out.
   */
  subscribe(name: string): Promise<RoomLink | null>;
  /** After the room is ready, before anyone uses it (awaited): the link attached, then the extensions. */
  loaded(room: DocumentRoom, link: RoomLink | null): Promise<void>;
  /** Awareness this node's members published, for the other nodes. */
  publishAwareness(room: DocumentRoom, entries: AwarenessEntry[]): void;
  /** Before the room is destroyed (awaited; the doc is still readable). */
  unloading(room: DocumentRoom): Promise<void>;
  log(message: string): void;
}

export class RoomRegistry {
  readonly rooms = new Map<string, DocumentRoom>();
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: RoomRegistryOptions) {}

  async acquire(name: string): Promise<DocumentRoom> {
    const ready = this.rooms.get(name);
    if (ready !== undefined && !this.chains.has(name)) return this.retain(ready);
    return this.serialize(name, async () => {
      let room = this.rooms.get(name);
      if (room === undefined) {
        room = await this.load(name);
        this.rooms.set(name, room);
      }
      return this.retain(room);
    });
  }

  release(room: DocumentRoom): void {
    room.refs--;
    if (room.refs > 0 || room.broken) return;
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null;
      void this.serialize(room.name, () => this.unload(room, false)).catch((error: unknown) =>
        this.opts.log(`unloading ${room.name} failed: ${String(error)}`),
      );
    }, this.opts.idleUnloadMs);
    room.idleTimer.unref();
  }

  /**
   * Folds the room's update log into a snapshot, in the room's chain. Asked for on every commit past
   * the threshold, so a compaction already queued for the room absorbs the later requests.
   */
  compactSoon(room: DocumentRoom): void {
    if (room.compactionQueued) return;
    room.compactionQueued = true;
    void this.serialize(room.name, () => {
      room.compactionQueued = false;
      return this.compact(room);
    }).catch((error: unknown) => {
      // The store rolled the compaction back (log and snapshot as before) and the room serves on.
      // Trying again on every commit would write a whole snapshot per commit into a full disk:
      // wait for another compactEvery commits.
      room.compactionRetryAt = room.sinceCompaction + this.opts.compactEvery;
      this.opts.log(`compacting ${room.name} failed: ${describeStoreError(error)}`);
    });
  }

  /**
   * Unloads every room, compacting each (shutdown). A compaction that fails (a full disk) leaves
   * that document's log as it was, which loads to the same state: it is logged, and the others go on.
   */
  async unloadAll(): Promise<void> {
    await Promise.all(
      [...this.rooms.values()].map((room) =>
        this.serialize(room.name, () => this.unload(room, true)).catch((error: unknown) =>
          this.opts.log(`compacting ${room.name} on unload failed: ${describeStoreError(error)}`),
        ),
      ),
    );
  }

  /**
   * Drops a room whose updates the store refused: its memory is no longer what the store holds. It
   * leaves the registry at once (the next acquire loads afresh from the store); its doc is destroyed
   * once the unloading hooks have seen it.
   */
  evict(room: DocumentRoom): void {
    room.broken = true;
    if (room.idleTimer) clearTimeout(room.idleTimer);
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    void this.safely(() => this.opts.unloading(room)).finally(() => room.destroy());
  }

  private retain(room: DocumentRoom): DocumentRoom {
    room.refs++;
    if (room.idleTimer !== null) {
      clearTimeout(room.idleTimer);
      room.idleTimer = null;
    }
    return room;
  }

  private async load(name: string): Promise<DocumentRoom> {
    const link = await this.opts.subscribe(name);
    let stored;
    try {
      stored = await this.opts.store.load(name);
    } catch (error) {
      await link?.close().catch(() => undefined);
      throw error;
    }
    const doc = new Y.Doc();
    doc.transact(() => {
      for (const update of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) {
        try {
          Y.applyUpdate(doc, update);
        } catch (error) {
          // Only updates Yjs applied in memory are stored, so this means a damaged file.
          this.opts.log(`a stored update of ${name} cannot be applied, skipped: ${String(error)}`);
        }
      }
    });
    let bytes = stored.snapshot?.length ?? 0;
    for (const update of stored.updates) bytes += update.length;
    const snapshotBytes = stored.snapshot?.length ?? 0;
    const room = new DocumentRoom(name, doc, { lastSeq: stored.lastSeq, updates: stored.updates.length, bytes, snapshotBytes }, {
      enqueue: this.opts.enqueue,
      maxPendingBytes: this.opts.maxPendingBytes,
      log: this.opts.log,
      quota: this.opts.quota,
      compactSoon: (room) => this.compactSoon(room),
      publishAwareness: this.opts.publishAwareness,
    });
    await this.safely(() => this.opts.loaded(room, link));
    if (room.compactionDue(this.opts.compactEvery)) this.compactSoon(room);
    return room;
  }

  private async compact(room: DocumentRoom): Promise<void> {
    if (room.broken || this.rooms.get(room.name) !== room) return;
    await this.opts.drain();
    if (room.broken || room.sinceCompaction === 0) return;
    // The doc may already hold updates queued after this drain; the snapshot then contains them
    // under an older seq, and replaying them on load is harmless (Yjs updates are idempotent).
    const folded = room.sinceCompaction;
    const foldedBytes = room.storedBytes;
    const state = Y.encodeStateAsUpdate(room.doc);
    await this.opts.store.compact(room.name, state, room.committedSeq);
    room.sinceCompaction = Math.max(0, room.sinceCompaction - folded);
    room.storedBytes = state.length + Math.max(0, room.storedBytes - foldedBytes);
    room.snapshotBytes = state.length;
    room.compactionRetryAt = 0;
  }

  private async unload(room: DocumentRoom, force: boolean): Promise<void> {
    if (this.rooms.get(room.name) !== room || room.broken) return;
    if (room.refs > 0 && !force) return;
    try {
      await this.compact(room);
    } finally {
      if (room.idleTimer) clearTimeout(room.idleTimer);
      this.rooms.delete(room.name);
      await this.safely(() => this.opts.unloading(room));
      room.destroy();
    }
  }

  private serialize<T>(name: string, op: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(name) ?? Promise.resolve();
    const result = previous.then(op, op);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(name, settled);
    void settled.then(() => {
      if (this.chains.get(name) === settled) this.chains.delete(name);
    });
    return result;
  }

  private async safely(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.opts.log(`room hook failed: ${String(error)}`);
    }
  }
}
