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
  listItems,
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
import { VIEW_LABELS } from './library-nav.js';
import type { OrderChange } from './library-toolbar.js';
import './library-toolbar.js';
import '../history/trash-view.js';
import { openCounts } from '../../data/presence.js';
import { noticeText } from '../../data/conflicts.js';

const PREFS_KEY = 'flowshelf_library_view';
/** Search waits this long after the last keystroke (InvokeAI: 500 ms). */
export const SEARCH_DEBOUNCE_MS = 300;

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
      main {
        padding: 0.8rem 1rem;
        overflow: auto;
        display: flex;
        flex-direction: column;
        gap: 0.8rem;
        min-width: 0;
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
  /** the Trash (deleted workflows, on the server) is shown instead of a view */
  @state() accessor trashShown = false;
  private docs = new YDocController(this);
  /** presence ("open on N devices") and conflict notices re-render the tiles */
  private presenceEvents = new EventController<EventTarget>(this);
  private followedAwareness: { on(e: 'change', f: () => void): void; off(e: 'change', f: () => void): void } | null = null;
  private rerender = (): void => this.requestUpdate();
  private verdictEvents = new EventController<ServerVerdicts>(this);
  /** the tiles' problem badges, checked in idle time and cached per workflow version */
  readonly problems = new WorkflowProblemsController(this);
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private autoSwitched = false;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;

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
    this.followedAwareness?.off('change', this.rerender);
    this.followedAwareness = null;
  }

  private followPresence(): void {
    const awareness = this.isConnected ? (this.workspace?.library.awareness ?? null) : null;
    if (awareness !== this.followedAwareness) {
      this.followedAwareness?.off('change', this.rerender);
      awareness?.on('change', this.rerender);
      this.followedAwareness = awareness;
    }
    this.presenceEvents.target = this.workspace?.conflicts ?? null;
  }

  override willUpdate(): void {
    this.docs.observe([this.workspace?.library.doc, this.workspace?.publicDoc.doc]);
    this.verdictEvents.target = this.workspace?.verdicts ?? null;
    this.problems.observe(this.workspace?.library.doc, this.workspace?.publicDoc.doc);
    this.followPresence();
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
    this.trashShown = false;
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

  private onSearchInput(e: CustomEvent<string>): void {
    this.searchText = e.detail;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => (this.query = this.searchText), SEARCH_DEBOUNCE_MS);
  }

  private clearSearch(): void {
    clearTimeout(this.searchTimer);
    this.searchText = '';
    this.query = '';
  }

  private onOrderChange(e: CustomEvent<OrderChange>): void {
    const change = e.detail;
    if ('orderBy' in change) this.orderBy = change.orderBy;
    else this.direction = change.direction;
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

  private async loadFile(e: CustomEvent<File>): Promise<void> {
    const result = await readWorkflowFile(e.detail);
    if (!result.ok) {
      this.message = result.error;
      return;
    }
    setPendingDraft(result.workflow);
    navigate({ name: 'new' });
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
      <fs-library-nav
        .views=${views.map((v) => ({ view: v, count: viewItems(v, own, pub).length }))}
        .view=${this.view}
        .items=${inView}
        .query=${this.query}
        .selectedTags=${this.selectedTags}
        @fs-view-select=${(e: CustomEvent<LibraryView>) => this.setView(e.detail)}
        @fs-tags-change=${(e: CustomEvent<string[]>) => (this.selectedTags = e.detail)}
        @fs-new-workflow=${this.newWorkflow}
        @fs-load-file=${this.loadFile}
        ?trashShown=${this.trashShown}
        @fs-show-trash=${() => (this.trashShown = true)}
      ></fs-library-nav>
      ${this.trashShown ? html`<main><fs-trash-view .api=${this.session.api} .library=${this.workspace?.library.doc ?? null}></fs-trash-view></main>` : this.renderMain(items, filtered, thumbUrl)}
      <fs-confirm-dialog></fs-confirm-dialog>
    `;
  }

  private renderMain(items: LibraryItem[], filtered: boolean, thumbUrl: (id: string, version: string) => string) {
    const ws = this.workspace;
    const open = ws ? openCounts(ws.library.awareness) : new Map<string, number>();
    const conflictOf = (i: LibraryItem): string | null => {
      if (!ws || i.source !== 'library') return null;
      const notices = ws.conflicts.notices(i.id);
      return notices.length ? notices.map(noticeText).join('\n') : null;
    };
    return html`
      <main @fs-tile-action=${this.onTileAction}>
        <fs-library-toolbar
          .searchText=${this.searchText}
          ?showOrder=${viewHasOrderControl(this.view)}
          .orderBy=${this.orderBy}
          .direction=${this.direction}
          @fs-search-input=${this.onSearchInput}
          @fs-search-clear=${this.clearSearch}
          @fs-order-change=${this.onOrderChange}
        ></fs-library-toolbar>
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
                  .openOn=${i.source === 'library' ? (open.get(i.id) ?? 0) : 0}
                  .conflict=${conflictOf(i)}
                ></fs-workflow-tile>`,
              )}
            </div>`}
      </main>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-library': WorkflowLibrary;
  }
}
