// The editor's draft as a Yjs document of its own, so that undo and redo are Y.UndoManager's: they
// take back the user's own edits on this device and nothing else.
//
// Two kinds of transaction write into the draft document:
// - LOCAL_EDIT: what the user does in this editor. Tracked by the UndoManager.
// - STORED_CHANGE: what arrives from the stored workflow (other devices, other tabs, the form the
//   server keeps after Save). Written as a minimal diff (applyJsonDiff matches nodes and edges by id),
//   never tracked: an undo after a remote edit restores only the local values the user changed, and
//   the remote edit stays.
// The editor keeps rendering plain JSON (`value`): a local edit hands the new JSON in (it becomes
// `value` as it is, so untouched nodes keep their identity), an undo or a stored change reads it back.
import * as Y from 'yjs';
import { applyJsonDiff, yToJson } from '../../shared/workflow/yjson.js';
import type { JsonObject } from '../../shared/workflow/json.js';

export const LOCAL_EDIT = Symbol('local edit');
export const STORED_CHANGE = Symbol('stored change');

/**
 * Consecutive edits with the same merge key within this time are one undo step (a drag, typing in a
 * field); an edit without a key, or with another key, always starts a new step.
 */
export const MERGE_WINDOW_MS = 1000;

export class DraftHistory<T extends object = JsonObject> extends EventTarget {
  private doc = new Y.Doc();
  private root = this.doc.getMap<unknown>('draft');
  private manager = this.newManager();
  private current: T | null = null;
  private lastMergeKey: string | undefined;
  /** counts resets: a new value means another workflow (the canvas fits its view to it) */
  generation = 0;

  private newManager(): Y.UndoManager {
    const manager = new Y.UndoManager(this.root, { trackedOrigins: new Set([LOCAL_EDIT]), captureTimeout: MERGE_WINDOW_MS });
    const changed = (): void => {
      this.dispatchEvent(new Event('change'));
    };
    manager.on('stack-item-added', changed);
    manager.on('stack-item-popped', changed);
    manager.on('stack-cleared', changed);
    return manager;
  }

  /** The draft now, or null before the first reset. */
  get value(): T | null {
    return this.current;
  }

  get canUndo(): boolean {
    return this.manager.canUndo();
  }

  get canRedo(): boolean {
    return this.manager.canRedo();
  }

  /** Starts over with `initial` (another workflow was opened) and an empty history. */
  reset(initial: T | null): void {
    this.manager.destroy();
    this.doc.destroy();
    this.doc = new Y.Doc();
    this.root = this.doc.getMap<unknown>('draft');
    this.manager = this.newManager();
    this.lastMergeKey = undefined;
    this.generation++;
    this.current = initial;
    if (initial) applyJsonDiff(this.root, initial as unknown as JsonObject, STORED_CHANGE);
    this.dispatchEvent(new Event('change'));
  }

  /**
   * A local edit: `next` is the whole draft after it. Edits sharing `mergeKey` (a drag gesture, one
   * text field) within MERGE_WINDOW_MS are undone together.
   */
  edit(next: T, mergeKey?: string): void {
    if (next === this.current) return;
    if (mergeKey === undefined || mergeKey !== this.lastMergeKey) this.manager.stopCapturing();
    applyJsonDiff(this.root, next as unknown as JsonObject, LOCAL_EDIT);
    this.current = next;
    this.lastMergeKey = mergeKey;
    if (mergeKey === undefined) this.manager.stopCapturing();
  }

  /** A change that is not the user's own edit here (see the header): kept, never undone. */
  takeStored(next: T): void {
    applyJsonDiff(this.root, next as unknown as JsonObject, STORED_CHANGE);
    this.current = next;
  }

  /** Takes back the last local step; returns the draft after it, or null when there was none. */
  undo(): T | null {
    return this.step(() => this.manager.undo());
  }

  redo(): T | null {
    return this.step(() => this.manager.redo());
  }

  private step(run: () => unknown): T | null {
    this.lastMergeKey = undefined;
    const item = run();
    if (item === null) return null;
    this.current = yToJson(this.root) as unknown as T;
    return this.current;
  }

  destroy(): void {
    this.manager.destroy();
    this.doc.destroy();
  }
}
