// The canvas' keys (the list is hotkeys.ts): selection, clipboard, delete, moving the selection with
// the arrow keys, zoom and fit, the hotkeys list. Undo and redo belong to the editor (its
// UndoController), since they cover the details too. Keys typed into a text field stay there, except
// Escape, which goes back from the field to its node.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isTextEntry } from '../../../controllers/undo-controller.js';
import { GRID } from '../graph-edits.js';

export interface GraphKeysHost extends ReactiveControllerHost, HTMLElement {
  readonly readonly: boolean;
  readonly snap: boolean;
  selectAll(): void;
  removeSelected(): void;
  copySelection(): void;
  /** `withEdges`: also the edges that came into the copied nodes (Ctrl+Shift+V) */
  paste(withEdges?: boolean): void;
  duplicateSelection(): void;
  moveSelectionBy(dx: number, dy: number): void;
  /** Escape: cancel what is pending, else clear the selection; true when it did something */
  escape(): boolean;
  /** Escape from inside a node's field: focus that node */
  leaveField(from: EventTarget): void;
  zoom(factor: number): void;
  fit(): void;
  showHotkeys(): void;
}

/** Arrow steps in graph units: a small nudge, and a larger one with Shift (one grid step when snapping). */
export const NUDGE = 10;
export const NUDGE_FAR = 50;

export class GraphKeysController implements ReactiveController {
  constructor(private readonly host: GraphKeysHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.addEventListener('keydown', this.onKey);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('keydown', this.onKey);
  }

  private onKey = (e: KeyboardEvent): void => {
    if (e.defaultPrevented) return;
    // A dialog (the hotkeys list) keeps its keys: Escape must close it, not clear the selection.
    if (e.composedPath().some((t) => t instanceof HTMLDialogElement)) return;
    if (isTextEntry(e)) {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.host.leaveField(e.composedPath()[0]!);
      }
      return;
    }
    if (this.handle(e)) e.preventDefault();
  };

  private handle(e: KeyboardEvent): boolean {
    const h = this.host;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key === '?') {
      h.showHotkeys();
      return true;
    }
    if (key === 'Escape') return h.escape();
    if (mod && !e.altKey && e.shiftKey && key === 'v') {
      if (!h.readonly) h.paste(true);
      return true;
    }
    if (mod && !e.altKey && !e.shiftKey) {
      if (key === 'a') h.selectAll();
      else if (key === 'c') h.copySelection();
      else if (key === 'v' && !h.readonly) h.paste();
      else if (key === 'd' && !h.readonly) h.duplicateSelection();
      else return false;
      return true;
    }
    if (mod || e.altKey) return false;
    if (key === '+' || key === '=') h.zoom(1 / 1.2);
    else if (key === '-') h.zoom(1.2);
    else if (key === '!' || (key === '1' && e.shiftKey)) h.fit();
    else if ((key === 'Delete' || key === 'Backspace') && !h.readonly) h.removeSelected();
    else if (key.startsWith('Arrow') && !h.readonly) {
      const step = h.snap ? GRID * (e.shiftKey ? 4 : 1) : e.shiftKey ? NUDGE_FAR : NUDGE;
      const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[key] ?? [0, 0];
      h.moveSelectionBy(dx!, dy!);
    } else return false;
    return true;
  }
}
