/**
 * fs-hotkeys-dialog: the list of the editor's keys (hotkeys.ts) in a modal dialog. `show()` opens it;
 * Escape or Close closes it and focus returns where it was (the native dialog does both).
 */
import { LitElement, css, html } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { sharedStyles } from '../shared-styles.js';
import { GRAPH_HOTKEYS } from './hotkeys.js';

@customElement('fs-hotkeys-dialog')
export class HotkeysDialog extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.9rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.3rem 0.5rem;
        border-bottom: 1px solid var(--fs-border);
        vertical-align: top;
      }
      kbd {
        font-family: inherit;
        border: 1px solid var(--fs-border);
        border-radius: 4px;
        padding: 0 0.3rem;
        margin-right: 0.25rem;
        white-space: nowrap;
      }
      dialog {
        width: min(38rem, 94vw);
        max-height: 90vh;
      }
      td:first-child {
        width: 40%;
      }
    `,
  ];

  @query('dialog') private accessor dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    this.dialog?.close();
  }

  override render() {
    return html`<dialog aria-labelledby="hotkeys-title">
      <h2 id="hotkeys-title">Keyboard shortcuts</h2>
      <table>
        <thead><tr><th scope="col">Keys</th><th scope="col">Action</th></tr></thead>
        <tbody>
          ${GRAPH_HOTKEYS.map((k) => html`<tr><td>${k.keys.map((key) => html`<kbd>${key}</kbd>`)}</td><td>${k.action}</td></tr>`)}
        </tbody>
      </table>
      <form method="dialog"><button class="primary" autofocus>Close</button></form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-hotkeys-dialog': HotkeysDialog;
  }
}
