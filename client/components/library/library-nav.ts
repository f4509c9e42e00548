/**
 * fs-library-nav: the library's side bar: the views with their counts, the tag filter of the current
 * view (Your Workflows: the tags in use; Browse Workflows: InvokeAI's default groups), New Workflow
 * and Load from File. Properties in, events out:
 * - `fs-view-select` (detail: the chosen view);
 * - `fs-tags-change` (detail: the new selection of tags);
 * - `fs-new-workflow`; `fs-load-file` (detail: the chosen File);
 * - `fs-show-trash` (the Trash: deleted workflows, shown while `trashShown`).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import {
  DEFAULT_TAG_GROUPS,
  countsByTag,
  distinctTags,
  isTagSelected,
  matchesQuery,
  sameTag,
  type LibraryItem,
  type LibraryView,
} from '../../data/library-query.js';
import { sharedStyles } from '../shared-styles.js';

export const VIEW_LABELS: Record<LibraryView, string> = {
  recent: 'Recently Opened',
  yours: 'Your Workflows',
  shared: 'Shared Workflows',
  defaults: 'Browse Workflows',
};

@customElement('fs-library-nav')
export class LibraryNav extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        border-right: 1px solid var(--fs-border);
        overflow: auto;
        min-height: 0;
      }
      nav {
        box-sizing: border-box;
        min-height: 100%;
        padding: 0.8rem;
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      nav > button.view,
      nav > button.trash {
        text-align: left;
        border: none;
        background: none;
        display: flex;
        justify-content: space-between;
        gap: 0.5rem;
      }
      nav > button.view[aria-current='page'],
      nav > button.trash[aria-current='page'] {
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
      @media (max-width: 720px) {
        :host {
          border-right: none;
          border-bottom: 1px solid var(--fs-border);
        }
        nav {
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

  /** the views offered, in order, with how many workflows each holds */
  @property({ attribute: false }) accessor views: { view: LibraryView; count: number }[] = [];
  @property({ attribute: false }) accessor view: LibraryView = 'defaults';
  /** the current view's workflows before filtering, for its tags and their counts */
  @property({ attribute: false }) accessor items: LibraryItem[] = [];
  /** the applied search: tag counts count the workflows it matches */
  @property({ attribute: false }) accessor query = '';
  @property({ attribute: false }) accessor selectedTags: string[] = [];
  /** the Trash is shown instead of a view */
  @property({ type: Boolean }) accessor trashShown = false;
  @query('input[type=file]') private accessor fileInput!: HTMLInputElement;

  private emit<T>(type: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent<T | undefined>(type, { detail, bubbles: true, composed: true }));
  }

  private toggleTag(tag: string, on: boolean): void {
    // Every spelling of the tag goes: a selection saved under another case must not stay behind.
    const others = this.selectedTags.filter((t) => !sameTag(t, tag));
    this.emit('fs-tags-change', on ? [...others, tag] : others);
  }

  private onFile(): void {
    const file = this.fileInput.files?.[0];
    this.fileInput.value = '';
    if (file) this.emit('fs-load-file', file);
  }

  private renderTags() {
    if (this.view !== 'yours' && this.view !== 'defaults') return nothing;
    const all = this.items;
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
      ${this.selectedTags.length > 0 ? html`<button class="link" @click=${() => this.emit('fs-tags-change', [])}>Reset tags</button>` : nothing}
    </div>`;
  }

  override render() {
    return html`<nav aria-label="Library views">
      ${this.views.map(
        ({ view, count }) => html`<button
            class="view"
            aria-current=${view === this.view && !this.trashShown ? 'page' : 'false'}
            @click=${() => this.emit('fs-view-select', view)}
          >
            ${VIEW_LABELS[view]}<span class="muted">${count}</span>
          </button>
          ${view === this.view && !this.trashShown ? this.renderTags() : nothing}`,
      )}
      <button class="trash" aria-current=${this.trashShown ? 'page' : 'false'} @click=${() => this.emit('fs-show-trash')}>Trash</button>
      <div class="bottom">
        <button @click=${() => this.emit('fs-new-workflow')}>New Workflow</button>
        <button @click=${() => this.fileInput.click()}>Load from File</button>
        <input type="file" accept="application/json,.json" hidden @change=${this.onFile} />
      </div>
    </nav>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-library-nav': LibraryNav;
  }
}
