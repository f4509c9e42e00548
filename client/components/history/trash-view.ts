/**
 * fs-trash-view: the signed-in user's deleted workflows (GET /workflows/trash), each with when it was
 * deleted, when it goes for good and how many versions it keeps; Restore puts it back into the library
 * (same id, its History kept), Delete forever purges it after a confirmation. The trash lives on the
 * server, so this view needs a connection.
 * It loads again, shortly after, whenever a workflow leaves or enters the library document (deleted or
 * restored on this device or another): the server files a deletion in the trash once it has committed
 * the change, which can be after this device sees it, so a deleted workflow not yet listed is asked
 * for again a few times, waiting longer each time.
 * Properties: api (listTrash, restoreFromTrash, purgeFromTrash), library (the user's library document).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type * as Y from 'yjs';
import { NetworkError, type TrashItem } from '../../data/api.js';
import { workflowsMap } from '../../../shared/workflow/library-doc.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import '../dialogs/confirm-dialog.js';

export interface TrashApi {
  listTrash(): Promise<{ items: TrashItem[] }>;
  restoreFromTrash(workflowId: string): Promise<unknown>;
  purgeFromTrash(workflowId: string): Promise<void>;
}

/** Several deletions or restores in a row make one request. */
const RELOAD_DEBOUNCE_MS = 400;
/** A deletion the server has not filed yet is asked for again after 1, 2, 4, 8 and 16 s, then left to Refresh. */
const FIRST_RECHECK_MS = 1_000;
const MAX_RECHECKS = 5;

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
  @property({ attribute: false }) accessor library: Y.Doc | null = null;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;
  private observed: Y.Map<Y.Map<unknown>> | null = null;
  /** workflows deleted from the library since the view opened that the trash has not listed yet */
  private readonly awaited = new Set<string>();
  private rechecks = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('library')) this.observe();
    if (changed.has('api')) void this.load();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.observe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observed?.unobserve(this.onLibraryChange);
    this.observed = null;
    clearTimeout(this.timer);
  }

  private observe(): void {
    const map = this.isConnected && this.library ? workflowsMap(this.library) : null;
    if (map === this.observed) return;
    this.observed?.unobserve(this.onLibraryChange);
    this.observed = map;
    map?.observe(this.onLibraryChange);
  }

  /** Only ids leaving or entering the library matter to the trash, not edits inside a workflow. */
  private onLibraryChange = (event: Y.YMapEvent<Y.Map<unknown>>): void => {
    let relevant = false;
    for (const [id, change] of event.changes.keys) {
      if (change.action === 'delete') this.awaited.add(id);
      if (change.action === 'delete' || change.action === 'add') relevant = true;
    }
    if (!relevant) return;
    this.rechecks = 0;
    this.schedule(RELOAD_DEBOUNCE_MS);
  };

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(), ms);
  }

  async load(): Promise<void> {
    if (!this.api) return;
    try {
      this.items = (await this.api.listTrash()).items;
      this.message = '';
      this.recheckUnfiled();
    } catch (err) {
      this.message = failure('The trash could not be loaded', err);
    } finally {
      this.loaded = true;
    }
  }

  /** Asks again, later, for a deletion the server has not filed yet (one that is back in the library is not awaited). */
  private recheckUnfiled(): void {
    const listed = new Set(this.items.map((i) => i.workflow_id));
    const library = this.observed;
    for (const id of this.awaited) if (listed.has(id) || library?.has(id)) this.awaited.delete(id);
    if (this.awaited.size > 0 && this.rechecks < MAX_RECHECKS && this.isConnected) {
      this.schedule(FIRST_RECHECK_MS * 2 ** this.rechecks);
      this.rechecks++;
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
