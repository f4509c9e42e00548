/**
 * fs-workflow-library: the library screen. Local-first: "Recently Opened" and "Your Workflows" come
 * from the user's library document, "Shared Workflows" and "Browse Workflows" from `public`; search,
 * tag counts and order are computed here (library-query.ts), and every change of either document
 * re-renders at once, from whichever device or tab it came.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sessionContext, workspaceContext } from '../../data/context.js';
import type { Session } from '../../data/session.js';
import type { Workspace } from '../../data/workspace.js';
import { YDocController } from '../../controllers/ydoc-controller.js';
import { EventController } from '../../controllers/event-controller.js';
import { WorkflowProblemsController } from '../../controllers/workflow-problems-controller.js';
import type { ServerVerdicts } from '../../data/server-verdicts.js';
import {
  DEFAULT_TAG_GROUPS,
  ORDER_OPTIONS,
  countsByTag,
  distinctTags,
  isTagSelected,
  listItems,
  matchesQuery,
  sameTag,
  viewHasOrderControl,
  viewItems,
  viewSwitchOrder,
  type Direction,
  type LibraryItem,
  type LibraryView,
  type ListQuery,
  type OrderBy,
} from '../../data/library-query.js';
import { libraryItems, publicItems } from '../../data/library-items.js';
import { deleteEntry, readEntry, setEntryPublic, workflowsMap } from '../../../shared/workflow/library-doc.js';
import type { SyncedDoc } from '../../data/synced-doc.js';
import { readPublicEntry } from '../../../shared/workflow/public-doc.js';
import { readAllOpened } from '../../../shared/workflow/opened-doc.js';
import { downloadWorkflow, emptyWorkflow, readWorkflowFile } from '../../data/workflow-file.js';
import { setPendingDraft } from '../../data/draft-store.js';
import { navigate } from '../../data/router.js';
import { thumbnailSrc } from '../../data/thumbnails.js';
import type { TileActionDetail } from '../tile/workflow-tile.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import '../tile/workflow-tile.js';
import '../dialogs/confirm-dialog.js';

const PREFS_KEY = 'flowshelf_library_view';
/** Search waits this long after the last keystroke (InvokeAI: 500 ms). */
export const SEARCH_DEBOUNCE_MS = 300;

const VIEW_LABELS: Record<LibraryView, string> = {
  recent: 'Recently Opened',
  yours: 'Your Workflows',
  shared: 'Shared Workflows',
  defaults: 'Browse Workflows',
};

@customElement('fs-workflow-library')
export class WorkflowLibrary extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: 15rem 1fr;
        min-height: 0;
        height: 100%;
      }
      nav {
        border-right: 1px solid var(--fs-border);
        padding: 0.8rem;
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
        overflow: auto;
      }
      nav > button.view {
        text-align: left;
        border: none;
        background: none;
        display: flex;
        justify-content: space-between;
        gap: 0.5rem;
      }
      nav > button.view[aria-current='page'] {
        background: var(--fs-hover);
        font-weight: 600;
      }
      .tags {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
        padding: 0.3rem 0.5rem 0.6rem 1rem;
        font-size: 0.85rem;
      }
      .tags h4 {
        margin: 0.4rem 0 0.1rem;
        font-size: 0.75rem;
        text-transform: uppercase;
        color: var(--fs-muted);
      }
      .tags label {
        display: flex;
        gap: 0.4rem;
        align-items: center;
      }
      .tags .count {
        margin-left: auto;
        color: var(--fs-muted);
      }
      .bottom {
        margin-top: auto;
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
        padding-top: 0.8rem;
      }
      main {
        padding: 0.8rem 1rem;
        overflow: auto;
        display: flex;
        flex-direction: column;
        gap: 0.8rem;
        min-width: 0;
      }
      .top {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: center;
      }
      .search {
        flex: 1 1 14rem;
        display: flex;
        gap: 0.3rem;
      }
      .search input {
        flex: 1;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr));
        gap: 0.8rem;
      }
      .empty {
        text-align: center;
        padding: 3rem 1rem;
        color: var(--fs-muted);
      }
      .error {
        margin: 0;
      }
      @media (max-width: 720px) {
        :host {
          grid-template-columns: 1fr;
          grid-template-rows: auto 1fr;
        }
        nav {
          border-right: none;
          border-bottom: 1px solid var(--fs-border);
          flex-direction: row;
          flex-wrap: wrap;
        }
        .tags {
          width: 100%;
          flex-direction: row;
          flex-wrap: wrap;
          padding: 0.2rem;
        }
        .tags h4 {
          width: 100%;
        }
        .bottom {
          flex-direction: row;
          margin-top: 0;
          padding-top: 0;
        }
      }
    `,
  ];

  @consume({ context: sessionContext, subscribe: true }) accessor session!: Session;
  @consume({ context: workspaceContext, subscribe: true }) accessor workspace: Workspace | null = null;

  @state() accessor view: LibraryView = 'defaults';
  @state() accessor searchText = '';
  /** the search actually applied (debounced from searchText) */
  @state() accessor query = '';
  @state() accessor selectedTags: string[] = [];
  @state() accessor orderBy: OrderBy = 'opened_at';
  @state() accessor direction: Direction = 'DESC';
  @state() private accessor message = '';
  private docs = new YDocController(this);
  private verdictEvents = new EventController<ServerVerdicts>(this);
  /** the tiles' problem badges, checked in idle time and cached per workflow version */
  readonly problems = new WorkflowProblemsController(this);
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private autoSwitched = false;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;
  @query('input[type=file]') private accessor fileInput!: HTMLInputElement;

  constructor() {
    super();
    try {
      const saved = JSON.parse(localStorage.getItem(PREFS_KEY) ?? 'null') as Partial<ListQuery> | null;
      if (saved?.view) this.view = saved.view;
      if (saved?.orderBy) this.orderBy = saved.orderBy;
      if (saved?.direction) this.direction = saved.direction;
      if (saved?.selectedTags) this.selectedTags = saved.selectedTags;
      this.autoSwitched = saved !== null;
    } catch {
      // corrupt preferences: start from the defaults
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.searchTimer);
  }

  override willUpdate(): void {
    this.docs.observe([this.workspace?.library.doc, this.workspace?.publicDoc.doc]);
    this.verdictEvents.target = this.workspace?.verdicts ?? null;
    this.problems.observe(this.workspace?.library.doc, this.workspace?.publicDoc.doc);
    if (!this.autoSwitched && this.workspace) {
      // First visit on this device: land where there is something to see (InvokeAI's auto-switch:
      // Recently Opened, else Your Workflows, else Browse Workflows).
      const own = this.ownItems();
      const openedElsewhere = readAllOpened(this.workspace.library.doc).size > 0;
      if (own.length > 0 || openedElsewhere) {
        this.autoSwitched = true;
        this.view = openedElsewhere || own.some((i) => i.openedAt) ? 'recent' : 'yours';
      }
    }
  }

  override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('view') || changed.has('orderBy') || changed.has('direction') || changed.has('selectedTags')) {
      const prefs: Partial<ListQuery> = {
        view: this.view,
        orderBy: this.orderBy,
        direction: this.direction,
        selectedTags: this.selectedTags,
      };
      localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
    }
  }

  private get multiuser(): boolean {
    return this.session?.multiuser ?? true;
  }

  private ownItems(): LibraryItem[] {
    const ws = this.workspace;
    if (!ws) return [];
    const u = this.session.user;
    return libraryItems(ws.library.doc, ws.userId, u?.displayName ?? u?.email ?? null, {
      publicDoc: ws.publicDoc.doc,
      verdicts: ws.verdicts.all,
    });
  }

  private setView(view: LibraryView): void {
    this.autoSwitched = true;
    if (view === this.view) return;
    this.view = view;
    const order = viewSwitchOrder(view);
    if (order) {
      this.orderBy = order.orderBy;
      this.direction = order.direction;
    }
    // As in InvokeAI, switching views clears the search.
    this.searchText = '';
    this.query = '';
    clearTimeout(this.searchTimer);
  }

  private onSearchInput(e: InputEvent): void {
    this.searchText = (e.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => (this.query = this.searchText), SEARCH_DEBOUNCE_MS);
  }

  private clearSearch(): void {
    clearTimeout(this.searchTimer);
    this.searchText = '';
    this.query = '';
  }

  private toggleTag(tag: string, on: boolean): void {
    // Every spelling of the tag goes: a selection saved under another case must not stay behind.
    const others = this.selectedTags.filter((t) => !sameTag(t, tag));
    this.selectedTags = on ? [...others, tag] : others;
  }

  private canEdit(item: LibraryItem): boolean {
    if (item.category === 'default') return false;
    if (!this.multiuser) return true;
    const user = this.session.user;
    return !!user && (item.ownerId === user.userId || user.isAdmin);
  }

  /**
   * The library document that holds `item`. For an administrator acting on another user's workflow
   * that library may be opened only now: wait for its local copy, then for the server if needed.
   */
  private async libraryHolding(item: LibraryItem): Promise<SyncedDoc | null> {
    const ws = this.workspace;
    if (!ws) return null;
    const synced = ws.libraryOf(item.ownerId);
    await synced.loaded;
    if (!workflowsMap(synced.doc).has(item.id)) await synced.whenOnline();
    return workflowsMap(synced.doc).has(item.id) ? synced : null;
  }

  private async onTileAction(e: CustomEvent<TileActionDetail>): Promise<void> {
    const { action, item, value } = e.detail;
    const ws = this.workspace;
    if (!ws) return;
    this.message = '';
    switch (action) {
      case 'open':
      case 'edit':
      case 'view': {
        // In single-user mode defaults are owned by 'system' too: only user workflows are editable.
        const own = item.source === 'library' || (item.category === 'user' && item.ownerId === ws.userId);
        if (own) navigate({ name: 'edit', ownerId: null, id: item.id });
        else if (action === 'edit' && this.canEdit(item)) navigate({ name: 'edit', ownerId: item.ownerId, id: item.id });
        else navigate({ name: 'view', id: item.id });
        return;
      }
      case 'download': {
        const wf =
          item.source === 'library'
            ? readEntry(ws.library.doc, item.id)?.entry.workflow
            : readPublicEntry(ws.publicDoc.doc, item.id)?.workflow;
        if (wf && typeof wf === 'object') downloadWorkflow(wf);
        return;
      }
      case 'share': {
        const synced = await this.libraryHolding(item);
        if (!synced || !setEntryPublic(synced.doc, item.id, value === true)) {
          this.message = 'This workflow could not be changed here: its library has not reached this device yet.';
        }
        return;
      }
      case 'delete': {
        const { confirmed } = await this.confirm.ask({
          title: 'Delete Workflow',
          message: 'Are you sure you want to delete this workflow? This cannot be undone.',
          confirmLabel: 'Delete',
          danger: true,
        });
        if (!confirmed) return;
        const synced = await this.libraryHolding(item);
        if (!synced || !deleteEntry(synced.doc, item.id)) {
          this.message = 'This workflow could not be deleted here: its library has not reached this device yet.';
          return;
        }
        // The thumbnail lives on the server; when offline it stays until the server drops orphans.
        this.session.api.deleteThumbnail(item.id).catch(() => {});
        return;
      }
    }
  }

  private newWorkflow(): void {
    setPendingDraft(emptyWorkflow());
    navigate({ name: 'new' });
  }

  private async loadFile(): Promise<void> {
    const file = this.fileInput.files?.[0];
    this.fileInput.value = '';
    if (!file) return;
    const result = await readWorkflowFile(file);
    if (!result.ok) {
      this.message = result.error;
      return;
    }
    setPendingDraft(result.workflow);
    navigate({ name: 'new' });
  }

  private renderTags(all: LibraryItem[]) {
    if (this.view !== 'yours' && this.view !== 'defaults') return nothing;
    const base = all.filter((i) => matchesQuery(i, this.query));
    const groups = this.view === 'defaults' ? DEFAULT_TAG_GROUPS : [{ label: 'Tags', tags: distinctTags(all) }];
    const rendered = groups
      .map((g) => {
        const counts = countsByTag(g.tags, base);
        // Tags with no workflow are hidden (reference §6), except ones the user has selected.
        const shown = g.tags.filter((t) => (counts.get(t) ?? 0) > 0 || isTagSelected(this.selectedTags, t));
        if (shown.length === 0) return nothing;
        return html`<h4>${g.label}</h4>
          ${shown.map(
            (t) => html`<label
              ><input
                type="checkbox"
                .checked=${isTagSelected(this.selectedTags, t)}
                @change=${(e: Event) => this.toggleTag(t, (e.target as HTMLInputElement).checked)}
              />${t}<span class="count">${counts.get(t) ?? 0}</span></label
            >`,
          )}`;
      })
      .filter((r) => r !== nothing);
    if (rendered.length === 0) return nothing;
    return html`<div class="tags" role="group" aria-label="Tag filter">
      ${rendered}
      ${this.selectedTags.length > 0
        ? html`<button class="link" @click=${() => (this.selectedTags = [])}>Reset tags</button>`
        : nothing}
    </div>`;
  }

  override render() {
    const ws = this.workspace;
    const own = this.ownItems();
    const pub = ws ? publicItems(ws.publicDoc.doc, readAllOpened(ws.library.doc)) : [];
    const views: LibraryView[] = this.multiuser ? ['recent', 'yours', 'shared', 'defaults'] : ['recent', 'yours', 'defaults'];
    const q: ListQuery = {
      view: this.view,
      query: this.query,
      selectedTags: this.selectedTags,
      orderBy: this.orderBy,
      direction: this.direction,
    };
    const items = listItems(q, own, pub);
    const inView = viewItems(this.view, own, pub);
    const filtered = this.query.trim() !== '' || (this.selectedTags.length > 0 && (this.view === 'yours' || this.view === 'defaults'));
    const thumbUrl = (id: string, version: string) => this.session.api.thumbnailUrl(id, version);
    return html`
      <nav aria-label="Library views">
        ${views.map(
          (v) => html`<button
              class="view"
              aria-current=${v === this.view ? 'page' : 'false'}
              @click=${() => this.setView(v)}
            >
              ${VIEW_LABELS[v]}<span class="muted">${viewItems(v, own, pub).length}</span>
            </button>
            ${v === this.view ? this.renderTags(inView) : nothing}`,
        )}
        <div class="bottom">
          <button @click=${this.newWorkflow}>New Workflow</button>
          <button @click=${() => this.fileInput.click()}>Load from File</button>
          <input type="file" accept="application/json,.json" hidden @change=${this.loadFile} />
        </div>
      </nav>
      <main @fs-tile-action=${this.onTileAction}>
        <div class="top">
          <div class="search">
            <input
              type="search"
              aria-label="Search"
              placeholder="Search by name, description or tags"
              .value=${this.searchText}
              @input=${this.onSearchInput}
              @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.clearSearch()}
            />
            ${this.searchText ? html`<button aria-label="Clear search" @click=${this.clearSearch}>✕</button>` : nothing}
          </div>
          ${!viewHasOrderControl(this.view)
            ? nothing
            : html`<label class="check"
                  >Order by
                  <select
                    aria-label="Order by"
                    .value=${this.orderBy}
                    @change=${(e: Event) => (this.orderBy = (e.target as HTMLSelectElement).value as OrderBy)}
                  >
                    ${ORDER_OPTIONS.map((o) => html`<option value=${o.value} ?selected=${o.value === this.orderBy}>${o.label}</option>`)}
                  </select></label
                >
                <select aria-label="Direction" .value=${this.direction} @change=${(e: Event) => (this.direction = (e.target as HTMLSelectElement).value as Direction)}>
                  <option value="ASC" ?selected=${this.direction === 'ASC'}>Ascending</option>
                  <option value="DESC" ?selected=${this.direction === 'DESC'}>Descending</option>
                </select>`}
        </div>
        ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
        ${items.length === 0
          ? html`<div class="empty">${filtered ? 'No Matching Workflows' : 'No Workflows'}</div>`
          : html`<div class="grid" role="list" aria-label=${VIEW_LABELS[this.view]}>
              ${items.map(
                (i) => html`<fs-workflow-tile
                  role="listitem"
                  .item=${i}
                  .canEdit=${this.canEdit(i)}
                  .multiuser=${this.multiuser}
                  .thumbnail=${thumbnailSrc(thumbUrl, i)}
                  .problems=${this.problems.summaryOf(i)}
                ></fs-workflow-tile>`,
              )}
            </div>`}
      </main>
      <fs-confirm-dialog></fs-confirm-dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-library': WorkflowLibrary;
  }
}
