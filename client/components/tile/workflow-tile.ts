/**
 * fs-workflow-tile: one workflow in the library grid.
 * Properties: item (LibraryItem), canEdit (owner or admin), multiuser, thumbnail (URL or ''),
 * problems (what the node templates find wrong with the workflow; a "N problems" badge when any),
 * openOn (how many other devices have it open: "Open on 2 devices"), conflict (the notice when another
 * device's change replaced a value saved here: a "Changed on another device" badge, the notice its tooltip).
 * Events (all `fs-tile-action`, detail {action, item, value?}):
 *   open (click on the tile), edit, view, download, delete, share (value: the new is_public).
 * Buttons follow reference §6: defaults get View and Download; user workflows Edit/Delete only with
 * canEdit, Download always; the Shared switch only in multiuser mode with canEdit.
 * The Shared badge claims that others can see the workflow, so it is shown only when they can as far
 * as the app knows: never for an invalid (or quarantined) entry, which is never published, and a
 * shared workflow the server keeps out of `public` says so instead ("Shared, but not visible to others").
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LibraryItem } from '../../data/library-query.js';
import { withheldText } from '../../data/server-verdicts.js';
import type { ProblemSummary } from '../../controllers/workflow-problems-controller.js';
import { sharedStyles } from '../shared-styles.js';

export type TileAction = 'open' | 'edit' | 'view' | 'download' | 'delete' | 'share';
export interface TileActionDetail {
  action: TileAction;
  item: LibraryItem;
  value?: boolean;
}

/** "2 problems", with the first ones in plain words as its tooltip. */
function problemsBadge(p: ProblemSummary) {
  const more = p.errors - p.messages.length;
  const details = [...p.messages, ...(more > 0 ? [`…and ${more} more`] : [])].join('\n');
  return html`<span class="badge problems" title=${details}>${p.errors} ${p.errors === 1 ? 'problem' : 'problems'}</span>`;
}

@customElement('fs-workflow-tile')
export class WorkflowTile extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      article {
        display: grid;
        grid-template-columns: 108px 1fr;
        gap: 0.8rem;
        padding: 0.7rem;
        border: 1px solid var(--fs-border);
        border-radius: 10px;
        background: var(--fs-surface);
        cursor: pointer;
        height: 100%;
      }
      article:hover {
        border-color: var(--fs-accent);
      }
      .thumb {
        width: 108px;
        height: 108px;
        border-radius: 8px;
        background: var(--fs-hover);
        display: grid;
        place-items: center;
        overflow: hidden;
        color: var(--fs-muted);
        font-size: 2rem;
      }
      .thumb img {
        width: 100%;
        height: 100%;
        object-fit: cover;
      }
      .body {
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
        min-width: 0;
      }
      h3 {
        margin: 0;
        font-size: 0.98rem;
        display: -webkit-box;
        -webkit-line-clamp: 2;
        -webkit-box-orient: vertical;
        overflow: hidden;
      }
      .desc {
        font-size: 0.85rem;
        color: var(--fs-muted);
        display: -webkit-box;
        -webkit-line-clamp: 3;
        -webkit-box-orient: vertical;
        overflow: hidden;
        margin: 0;
      }
      .tags,
      .meta {
        font-size: 0.78rem;
        color: var(--fs-muted);
        margin: 0;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 0.35rem;
        flex-wrap: wrap;
        margin-top: auto;
      }
      .row button {
        padding: 0.2rem 0.55rem;
        min-height: 1.8rem;
        font-size: 0.8rem;
      }
      .badges {
        display: flex;
        gap: 0.3rem;
        flex-wrap: wrap;
      }
      .badge.default {
        background: var(--fs-hover);
        color: var(--fs-text);
      }
      /* not --fs-danger: the dark scheme's light red under white text is 2.8:1 */
      .badge.invalid {
        background: var(--fs-badge-danger);
        color: var(--fs-badge-danger-text);
      }
      .badge.problems {
        background: var(--fs-badge-warning);
        color: var(--fs-badge-warning-text);
      }
      .badge.conflict {
        background: var(--fs-badge-warning);
        color: var(--fs-badge-warning-text);
      }
      .badge.presence {
        background: var(--fs-hover);
        color: var(--fs-text);
      }
      .badge.withheld {
        background: var(--fs-hover);
        color: var(--fs-danger);
      }
      /* its own line, so Edit, Download and Delete stay together on the next one */
      label.check {
        font-size: 0.8rem;
        flex-basis: 100%;
      }
    `,
  ];

  @property({ attribute: false }) accessor item!: LibraryItem;
  @property({ type: Boolean }) accessor canEdit = false;
  @property({ type: Boolean }) accessor multiuser = true;
  @property() accessor thumbnail = '';
  /** the workflow's problems against the node templates, when known (WorkflowProblemsController) */
  @property({ attribute: false }) accessor problems: ProblemSummary | null = null;
  /** other devices with the workflow open now (presence) */
  @property({ attribute: false }) accessor openOn = 0;
  /** what another device replaced of this device's saved values, in words; null when nothing */
  @property({ attribute: false }) accessor conflict: string | null = null;
  @state() private accessor thumbFailed = false;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('thumbnail')) this.thumbFailed = false;
  }

  private fire(action: TileAction, e?: Event, value?: boolean): void {
    e?.stopPropagation();
    this.dispatchEvent(
      new CustomEvent<TileActionDetail>('fs-tile-action', {
        detail: { action, item: this.item, value },
        bubbles: true,
        composed: true,
      }),
    );
  }

  override render() {
    const item = this.item;
    const isDefault = item.category === 'default';
    const sharedSetting = this.multiuser && item.isPublic && !isDefault;
    const withheld = sharedSetting && !item.invalidReason && item.unpublishedReason ? item.unpublishedReason : null;
    const showShared = sharedSetting && !item.invalidReason && !withheld;
    return html`
      <article
        data-id=${item.id}
        aria-label=${item.name}
        tabindex="0"
        @click=${() => this.fire('open')}
        @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && e.target === e.currentTarget && this.fire('open')}
      >
        <div class="thumb" aria-hidden="true">
          ${this.thumbnail && !this.thumbFailed
            ? html`<img src=${this.thumbnail} alt="" loading="lazy" @error=${() => (this.thumbFailed = true)} />`
            : isDefault
              ? '✦'
              : '▦'}
        </div>
        <div class="body">
          <h3>${item.name || 'Untitled'}</h3>
          <div class="badges">
            ${showShared ? html`<span class="badge shared">Shared</span>` : nothing}
            ${isDefault ? html`<span class="badge default">Default</span>` : nothing}
            ${item.invalidReason ? html`<span class="badge invalid" title=${item.invalidReason}>Invalid</span>` : nothing}
            ${withheld ? html`<span class="badge withheld" title=${withheldText(withheld)}>Not visible to others</span>` : nothing}
            ${this.problems && this.problems.errors > 0 ? problemsBadge(this.problems) : nothing}
            ${this.conflict ? html`<span class="badge conflict" role="note" title=${this.conflict} aria-label=${this.conflict}>Changed on another device</span>` : nothing}
            ${this.openOn > 0
              ? html`<span class="badge presence">Open on ${this.openOn} ${this.openOn === 1 ? 'device' : 'devices'}</span>`
              : nothing}
          </div>
          ${item.description ? html`<p class="desc">${item.description}</p>` : nothing}
          ${item.tags ? html`<p class="tags">Tags: ${item.tags}</p>` : nothing}
          ${item.invalidReason ? html`<p class="tags error">${item.invalidReason}</p>` : nothing}
          ${withheld ? html`<p class="tags error withheld">${withheldText(withheld)}</p>` : nothing}
          ${item.source === 'public' && item.category === 'user' && item.ownerName
            ? html`<p class="meta">by ${item.ownerName}</p>`
            : nothing}
          ${item.openedAt ? html`<p class="meta">Opened ${new Date(item.openedAt).toLocaleString()}</p>` : nothing}
          <div class="row" @click=${(e: Event) => e.stopPropagation()}>
            ${this.multiuser && this.canEdit && !isDefault
              ? html`<label class="check"
                  ><input
                    type="checkbox"
                    role="switch"
                    aria-label="Shared"
                    .checked=${item.isPublic}
                    @change=${(e: Event) => this.fire('share', e, (e.target as HTMLInputElement).checked)}
                  />Shared</label
                >`
              : nothing}
            ${isDefault
              ? html`<button @click=${(e: Event) => this.fire('view', e)}>View</button>`
              : this.canEdit
                ? html`<button @click=${(e: Event) => this.fire('edit', e)}>Edit</button>`
                : html`<button @click=${(e: Event) => this.fire('view', e)}>View</button>`}
            <button @click=${(e: Event) => this.fire('download', e)}>Download</button>
            ${!isDefault && this.canEdit
              ? html`<button class="danger" @click=${(e: Event) => this.fire('delete', e)}>Delete</button>`
              : nothing}
          </div>
        </div>
      </article>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-tile': WorkflowTile;
  }
  interface HTMLElementEventMap {
    'fs-tile-action': CustomEvent<TileActionDetail>;
  }
}
