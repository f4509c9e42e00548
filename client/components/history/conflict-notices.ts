/**
 * fs-conflict-notices: the editor's notices that another device's change replaced a value this
 * device had saved (data/conflicts.ts): "Steps was changed to 22 on another device; your 11 is in
 * History", each with "Bring back" and "Dismiss". Properties in (notices), events out:
 * `fs-conflict-bring-back` and `fs-conflict-dismiss` (detail: the notice).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { noticeText, type ConflictNotice } from '../../data/conflicts.js';
import { sharedStyles } from '../shared-styles.js';

@customElement('fs-conflict-notices')
export class ConflictNotices extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        padding: 0.4rem 1rem;
        background: var(--fs-badge-warning);
        color: var(--fs-badge-warning-text);
        font-size: 0.88rem;
      }
      li span {
        margin-right: auto;
      }
    `,
  ];

  @property({ attribute: false }) accessor notices: readonly ConflictNotice[] = [];

  private emit(type: 'fs-conflict-bring-back' | 'fs-conflict-dismiss', n: ConflictNotice): void {
    this.dispatchEvent(new CustomEvent<ConflictNotice>(type, { detail: n, bubbles: true, composed: true }));
  }

  override render() {
    if (this.notices.length === 0) return nothing;
    return html`<ul aria-label="Changed on another device">
      ${this.notices.map(
        (n) => html`<li role="alert" data-key=${n.key}>
          <span>${noticeText(n)}</span>
          <button @click=${() => this.emit('fs-conflict-bring-back', n)}>Bring back</button>
          <button @click=${() => this.emit('fs-conflict-dismiss', n)}>Dismiss</button>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-conflict-notices': ConflictNotices;
  }
  interface HTMLElementEventMap {
    'fs-conflict-bring-back': CustomEvent<ConflictNotice>;
    'fs-conflict-dismiss': CustomEvent<ConflictNotice>;
  }
}
