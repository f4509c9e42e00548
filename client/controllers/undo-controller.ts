// Undo and redo for an editor host: owns the draft's history (DraftHistory), re-renders the host when
// what can be undone changes, takes Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl+Y (InvokeAI's keys) anywhere
// in the host except inside a text field (which keeps its own text undo), and draws the two buttons.
import { html, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { DraftHistory } from '../data/draft-history.js';

export interface UndoHost<T> extends ReactiveControllerHost, HTMLElement {
  /** nothing is undone in a read-only view */
  readonly readonly: boolean;
  /** shows the draft after an undo or a redo */
  showDraft(draft: T): void;
}

/** Whether a key press belongs to a text field (its own undo, typing) rather than to the editor. */
export function isTextEntry(e: Event): boolean {
  const target = e.composedPath()[0];
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'range', 'color', 'file'].includes(target.type);
  return false;
}

export class UndoController<T extends object> implements ReactiveController {
  readonly history = new DraftHistory<T>();

  constructor(private readonly host: UndoHost<T>) {
    host.addController(this);
    this.history.addEventListener('change', () => host.requestUpdate());
  }

  hostConnected(): void {
    this.host.addEventListener('keydown', this.onKey);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('keydown', this.onKey);
  }

  undo(): void {
    if (this.host.readonly) return;
    const draft = this.history.undo();
    if (draft) this.host.showDraft(draft);
  }

  redo(): void {
    if (this.host.readonly) return;
    const draft = this.history.redo();
    if (draft) this.host.showDraft(draft);
  }

  private onKey = (e: KeyboardEvent): void => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || isTextEntry(e)) return;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) this.undo();
    else if ((key === 'z' && e.shiftKey) || (key === 'y' && e.ctrlKey && !e.shiftKey)) this.redo();
    else return;
    e.preventDefault();
  };

  renderButtons() {
    if (this.host.readonly) return html``;
    return html`<button class="undo" aria-keyshortcuts="Control+Z Meta+Z" title="Undo (Ctrl+Z)" ?disabled=${!this.history.canUndo}
        @click=${() => this.undo()}>Undo</button>
      <button class="redo" aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y" title="Redo (Ctrl+Shift+Z)"
        ?disabled=${!this.history.canRedo} @click=${() => this.redo()}>Redo</button>`;
  }
}
