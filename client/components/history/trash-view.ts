/**
 * fs-trash-view: the signed-in user's deleted workflows (GET /workflows/trash), each with when it was
 * deleted, when it goes for good and how many versions it keeps; Restore puts it back into the library
 * (same id, its History kept), Delete forever purges it after a confirmation. The trash lives on the
 * server, so this view needs a connection.
 * Properties: api (listTrash, restoreFromTrash, purgeFromTrash).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { NetworkError, type TrashItem } from '../../data/api.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import '../dialogs/confirm-dialog.js';

export interface TrashApi {
  listTrash(): Promise<{ items: TrashItem[] }>;
  restoreFromTrash(workflowId: string): Promise<unknown>;
  purgeFromTrash(workflowId: string): Promise<void>;
}

const failure = (what: string, err: unknown): string =>
  err instanceof NetworkError ? `${what}: the server cannot be reached.` : `${what}: ${(err as Error).message}`;

@customElement('fs-trash-view')
export class TrashView extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 0.6rem;
      }
      .head {
        display: flex;
        align-items: center;
        gap: 0.6rem;
      }
      h2 {
        margin: 0;
        font-size: 1.05rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
        padding: 0.6rem 0.8rem;
        border: 1px solid var(--fs-border);
        border-radius: 10px;
        background: var(--fs-surface);
      }
      .what {
        margin-right: auto;
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      .meta {
        font-size: 0.8rem;
        color: var(--fs-muted);
      }
    `,
  ];

  @property({ attribute: false }) accessor api: TrashApi | null = null;
  @state() accessor items: TrashItem[] = [];
  @state() private accessor message = '';
  @state() private accessor loaded = false;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('api')) void this.load();
  }

  async load(): Promise<void> {
    if (!this.api) return;
    try {
      this.items = (await this.api.listTrash()).items;
      this.message = '';
    } catch (err) {
      this.message = failure('The trash could not be loaded', err);
    } finally {
      this.loaded = true;
    }
  }

  private async restore(item: TrashItem): Promise<void> {
    try {
      await this.api!.restoreFromTrash(item.workflow_id);
      this.message = `“${item.name}” is back in Your Workflows.`;
      this.items = this.items.filter((i) => i.workflow_id !== item.workflow_id);
    } catch (err) {
      this.message = failure(`“${item.name}” could not be restored`, err);
    }
  }

  private async purge(item: TrashItem): Promise<void> {
    const { confirmed } = await this.confirm.ask({
      title: 'Delete forever',
      message: `“${item.name}” and its whole History will be gone for good.`,
      confirmLabel: 'Delete forever',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await this.api!.purgeFromTrash(item.workflow_id);
      this.message = `“${item.name}” was deleted for good.`;
      this.items = this.items.filter((i) => i.workflow_id !== item.workflow_id);
    } catch (err) {
      this.message = failure(`“${item.name}” could not be deleted`, err);
    }
  }

  override render() {
    return html`<div class="head"><h2>Trash</h2><button @click=${() => this.load()}>Refresh</button></div>
      <p class="muted">Deleted workflows wait here with their History until the date shown, then they go for good.</p>
      ${this.message ? html`<p role="status">${this.message}</p>` : nothing}
      ${this.loaded && this.items.length === 0 ? html`<p class="muted">The trash is empty.</p>` : nothing}
      <ul aria-label="Deleted workflows">
        ${this.items.map(
          (i) => html`<li data-id=${i.workflow_id}>
            <span class="what"
              ><strong>${i.name || 'Untitled'}</strong>
              <span class="meta"
                >Deleted ${new Date(i.deleted_at).toLocaleString()} · ${i.versions} ${i.versions === 1 ? 'version' : 'versions'} · gone after
                ${new Date(i.purge_at).toLocaleDateString()}</span
              ></span
            >
            <button @click=${() => this.restore(i)}>Restore</button>
            <button class="danger" @click=${() => this.purge(i)}>Delete forever</button>
          </li>`,
        )}
      </ul>
      <fs-confirm-dialog></fs-confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-trash-view': TrashView;
  }
}
