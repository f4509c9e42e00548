/**
 * fs-confirm-dialog: a modal question. `ask()` opens it and resolves when closed.
 * With `checkboxLabel` it also shows one checkbox and reports its state (e.g. "remove this device's copy").
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { sharedStyles } from '../shared-styles.js';

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  checkboxLabel?: string;
}

@customElement('fs-confirm-dialog')
export class ConfirmDialog extends LitElement {
  static override styles = [
    sharedStyles,
    // No box of its own: as a grid or flex child it would take a track of its parent's layout (the
    // library's grid got a second row and its side nav stopped halfway down the screen).
    css`
      :host {
        display: contents;
      }
    `,
  ];
  @state() private accessor opts: ConfirmOptions | null = null;
  @query('dialog') private accessor dialog!: HTMLDialogElement;
  @query('input[type=checkbox]') private accessor checkbox!: HTMLInputElement | null;
  private resolve: ((r: { confirmed: boolean; checked: boolean }) => void) | null = null;

  async ask(opts: ConfirmOptions): Promise<{ confirmed: boolean; checked: boolean }> {
    this.resolve?.({ confirmed: false, checked: false });
    this.opts = opts;
    await this.updateComplete;
    if (this.checkbox) this.checkbox.checked = false;
    this.dialog.showModal();
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private finish(confirmed: boolean): void {
    const checked = this.checkbox?.checked ?? false;
    if (this.dialog.open) this.dialog.close();
    this.resolve?.({ confirmed, checked: confirmed && checked });
    this.resolve = null;
  }

  override render() {
    const o = this.opts;
    // The close event is queued: it may arrive after ask() reopened the dialog; ignore it then.
    return html`<dialog @close=${() => !this.dialog.open && this.finish(false)} aria-label=${o?.title ?? ''}>
      ${o
        ? html`<h2>${o.title}</h2>
            <p>${o.message}</p>
            ${o.checkboxLabel ? html`<label class="check"><input type="checkbox" />${o.checkboxLabel}</label>` : nothing}
            <div class="actions">
              <button @click=${() => this.finish(false)}>Cancel</button>
              <button class=${o.danger ? 'danger' : 'primary'} @click=${() => this.finish(true)}>${o.confirmLabel}</button>
            </div>`
        : nothing}
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-confirm-dialog': ConfirmDialog;
  }
}
