/**
 * fs-library-toolbar: the library's search box and, in the views that have one, the order control.
 * Properties in, events out (the library debounces the search and keeps the choices):
 * - `fs-search-input` (detail: the text typed so far); `fs-search-clear` (✕ or Escape);
 * - `fs-order-change` (detail: `{ orderBy }` or `{ direction }`).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { ORDER_OPTIONS, type Direction, type OrderBy } from '../../data/library-query.js';
import { sharedStyles } from '../shared-styles.js';

export type OrderChange = { orderBy: OrderBy } | { direction: Direction };

@customElement('fs-library-toolbar')
export class LibraryToolbar extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
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
    `,
  ];

  @property({ attribute: false }) accessor searchText = '';
  @property({ type: Boolean }) accessor showOrder = false;
  @property({ attribute: false }) accessor orderBy: OrderBy = 'opened_at';
  @property({ attribute: false }) accessor direction: Direction = 'DESC';

  private emit<T>(type: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent<T | undefined>(type, { detail, bubbles: true, composed: true }));
  }

  override render() {
    return html`<div class="search">
        <input
          type="search"
          aria-label="Search"
          placeholder="Search by name, description or tags"
          .value=${this.searchText}
          @input=${(e: InputEvent) => this.emit('fs-search-input', (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.emit('fs-search-clear')}
        />
        ${this.searchText ? html`<button aria-label="Clear search" @click=${() => this.emit('fs-search-clear')}>✕</button>` : nothing}
      </div>
      ${!this.showOrder
        ? nothing
        : html`<label class="check"
              >Order by
              <select
                aria-label="Order by"
                .value=${this.orderBy}
                @change=${(e: Event) => this.emit<OrderChange>('fs-order-change', { orderBy: (e.target as HTMLSelectElement).value as OrderBy })}
              >
                ${ORDER_OPTIONS.map((o) => html`<option value=${o.value} ?selected=${o.value === this.orderBy}>${o.label}</option>`)}
              </select></label
            >
            <select
              aria-label="Direction"
              .value=${this.direction}
              @change=${(e: Event) => this.emit<OrderChange>('fs-order-change', { direction: (e.target as HTMLSelectElement).value as Direction })}
            >
              <option value="ASC" ?selected=${this.direction === 'ASC'}>Ascending</option>
              <option value="DESC" ?selected=${this.direction === 'DESC'}>Descending</option>
            </select>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-library-toolbar': LibraryToolbar;
  }
}
