/**
 * fs-status-chip: online / offline / syncing, and how many local changes the server has not seen
 * (see SyncedDoc for how they are counted). Properties: status, pending.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SyncStatus } from '../../data/synced-doc.js';
import { sharedStyles } from '../shared-styles.js';

const LABELS: Record<SyncStatus, string> = {
  online: 'Online',
  offline: 'Offline',
  syncing: 'Syncing',
  unauthorized: 'Signed out',
  forbidden: 'Access lost',
  'over-quota': 'Over storage quota',
};

@customElement('fs-status-chip')
export class StatusChip extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      /* In a phone's header bar the long form ("Offline · 3 local changes not synced") must wrap
         inside the chip instead of pushing the header, and the whole page, wider than the screen. */
      :host {
        display: block;
        min-width: 0;
      }
      span {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        max-width: 100%;
        box-sizing: border-box;
        font-size: 0.8rem;
        line-height: 1.2;
        padding: 0.2rem 0.6rem;
        border-radius: 0.9rem;
        border: 1px solid var(--fs-border);
      }
      i {
        flex: none;
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--dot);
      }
    `,
  ];

  @property() accessor status: SyncStatus = 'offline';
  @property({ type: Number }) accessor pending = 0;

  override render() {
    const dot =
      this.status === 'online' ? '#2e9d5b' : this.status === 'syncing' ? '#d99a1e' : this.status === 'offline' ? '#8a8f98' : '#d0453a';
    const pending = this.pending > 0 ? ` · ${this.pending} local change${this.pending === 1 ? '' : 's'} not synced` : '';
    return html`<span role="status" data-status=${this.status} style="--dot:${dot}" title="Sync status"
      ><i></i>${LABELS[this.status]}${pending}</span
    >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-status-chip': StatusChip;
  }
}
