// What the layers above the sync core (the library: indexer and publisher) attach to it. A SyncServer
// holds an ordered list of extensions; each hook runs extension by extension, awaited in turn, and an
// extension that throws or rejects is logged by name without stopping the others or the sync.
import type * as Y from 'yjs';
import type { ChangeOrigin } from './origins.js';

export interface DocumentContext {
  name: string;
  doc: Y.Doc;
  /**
   * The highest store seq S such that every update with seq <= S is in `doc` (read when the hook
   * runs). With several nodes it can be below a hook's `seq`: this node committed seq N + 1 while
   * another node's seq N has not reached it yet. Anything derived from the doc (the index) may claim
   * to be complete only up to this number.
   */
  readonly committedSeq: number;
}

export interface Extension {
  /** Names the extension in log lines. */
  readonly name: string;
  /** After a document is loaded (and its fan-out subscription is live), before any client syncs it. Awaited. */
  onLoaded?(ctx: DocumentContext): void | Promise<void>;
  /**
   * Updates committed (and forwarded) by THIS node, per document per event-loop turn, in commit order;
   * `seq` is the store's sequence number of the last one. Awaited before the withDocument that made
   * them resolves and before the document is unloaded; calls for one document never overlap.
   */
  onCommitted?(ctx: DocumentContext & { updates: Uint8Array[]; origins: ChangeOrigin[]; seq: number }): void | Promise<void>;
  /** An update committed by another node, applied here (after catch-up, in seq order). */
  onRemoteUpdate?(ctx: DocumentContext & { update: Uint8Array; seq: number; nodeId: string }): void | Promise<void>;
  /** Before the document is unloaded or dropped (its doc is still readable). */
  onUnloading?(ctx: DocumentContext): void | Promise<void>;
}
