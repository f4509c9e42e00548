/**
 * fs-add-node-popover: the searchable list of node types to add (InvokeAI's add-node popover). A search
 * box (a combobox) over a listbox of templates, ranked by node-search.ts; the arrow keys move through the
 * list, Enter or a click picks, Escape or a click elsewhere closes.
 * Properties: templates (what may be added; the canvas passes only the compatible ones when a dragged
 * connection was dropped), fields (node type → the field a pending connection would join, shown beside
 * each offer), heading.
 * Events: `fs-add-node` (detail: {type}) when one is picked, `fs-add-node-close` when dismissed.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { NodeTemplate } from '../../../shared/node-templates/index.js';
import { searchTemplates } from './node-search.js';
import { sharedStyles } from '../shared-styles.js';

/** At most this many offers are drawn at once (typing narrows the 300 types quickly). */
const SHOWN = 60;

let instances = 0;

@customElement('fs-add-node-popover')
export class AddNodePopover extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        position: absolute;
        z-index: 5;
        display: flex;
        flex-direction: column;
        width: min(22rem, calc(100vw - 1rem));
        max-height: min(26rem, 70vh);
        background: var(--fs-surface);
        border: 1px solid var(--fs-border);
        border-radius: 10px;
        box-shadow: 0 8px 24px rgb(0 0 0 / 25%);
        overflow: hidden;
      }
      .wrap {
        display: flex;
        flex-direction: column;
        min-height: 0;
        max-height: inherit;
      }
      .head {
        padding: 0.5rem;
        border-bottom: 1px solid var(--fs-border);
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
      }
      .head p {
        margin: 0;
        font-size: 0.8rem;
      }
      input {
        width: 100%;
        box-sizing: border-box;
        min-height: 2.75rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0.25rem;
        overflow: auto;
      }
      li {
        padding: 0.45rem 0.6rem;
        border-radius: 6px;
        cursor: pointer;
        min-height: 2.75rem;
        box-sizing: border-box;
      }
      li[aria-selected='true'] {
        background: var(--fs-hover);
        outline: 1px solid var(--fs-accent);
      }
      li .title {
        font-weight: 600;
      }
      li .type,
      li .desc {
        display: block;
        font-size: 0.78rem;
        color: var(--fs-muted);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      li .tag {
        font-size: 0.7rem;
        margin-left: 0.4rem;
        color: var(--fs-muted);
      }
      .empty {
        padding: 0.8rem;
        color: var(--fs-muted);
      }
    `,
  ];

  @property({ attribute: false }) accessor templates: readonly NodeTemplate[] = [];
  @property({ attribute: false }) accessor fields: ReadonlyMap<string, string> | null = null;
  @property() accessor heading = 'Add node';
  @state() private accessor query = '';
  @state() private accessor active = 0;
  @query('input') private accessor input!: HTMLInputElement;
  private readonly listId = `add-node-list-${++instances}`;

  /** The offers for the current search, best first. */
  get results(): NodeTemplate[] {
    return searchTemplates(this.templates, this.query);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // A click anywhere outside closes it (the click that opened it has finished by now).
    setTimeout(() => document.addEventListener('pointerdown', this.onOutside, true));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.onOutside, true);
  }

  override firstUpdated(): void {
    this.input.focus();
  }

  private onOutside = (e: PointerEvent): void => {
    if (!e.composedPath().includes(this)) this.close();
  };

  private close(): void {
    this.dispatchEvent(new CustomEvent('fs-add-node-close', { bubbles: true, composed: true }));
  }

  private pick(t: NodeTemplate | undefined): void {
    if (!t) return;
    this.dispatchEvent(new CustomEvent('fs-add-node', { detail: { type: t.type }, bubbles: true, composed: true }));
  }

  private onKey(e: KeyboardEvent): void {
    const n = Math.min(this.results.length, SHOWN);
    // The canvas' own keys (Delete, arrows, Space…) must not act while the user types here.
    e.stopPropagation();
    if (e.key === 'ArrowDown') this.active = n === 0 ? 0 : (this.active + 1) % n;
    else if (e.key === 'ArrowUp') this.active = n === 0 ? 0 : (this.active - 1 + n) % n;
    else if (e.key === 'Enter') this.pick(this.results[this.active]);
    else if (e.key === 'Escape') this.close();
    else return;
    e.preventDefault();
  }

  override updated(): void {
    this.renderRoot.querySelector('li[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }

  override render() {
    const results = this.results;
    const shown = results.slice(0, SHOWN);
    const active = Math.min(this.active, Math.max(0, shown.length - 1));
    return html`<div class="wrap" role="dialog" aria-label=${this.heading}><div class="head">
        <p class="muted">${this.heading}</p>
        <input type="search" role="combobox" aria-expanded="true" aria-controls=${this.listId} aria-autocomplete="list"
          aria-label="Search node types" placeholder="Search by name, type, tag or description"
          aria-activedescendant=${shown.length ? `${this.listId}-${active}` : nothing}
          .value=${this.query} @input=${(e: Event) => {
            this.query = (e.target as HTMLInputElement).value;
            this.active = 0;
          }} @keydown=${this.onKey} />
      </div>
      ${shown.length === 0
        ? html`<p class="empty" role="status">No node type matches “${this.query}”.</p>`
        : html`<ul id=${this.listId} role="listbox" aria-label="Node types">
            ${shown.map((t, i) => {
              const field = this.fields?.get(t.type);
              return html`<li id="${this.listId}-${i}" role="option" aria-selected=${i === active ? 'true' : 'false'} data-type=${t.type}
                @pointerdown=${(e: Event) => e.preventDefault()} @click=${() => this.pick(t)}>
                <span class="title">${t.title}</span>${t.classification && t.classification !== 'stable'
                  ? html`<span class="tag">${t.classification}</span>`
                  : nothing}
                <span class="type">${t.type}${field ? ` · connects to ${field}` : ''}</span>
                ${t.description ? html`<span class="desc">${t.description}</span>` : nothing}
              </li>`;
            })}
          </ul>`}
      ${results.length > SHOWN ? html`<p class="empty">${results.length - SHOWN} more: type to narrow the list.</p>` : nothing}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-add-node-popover': AddNodePopover;
  }
  interface HTMLElementEventMap {
    'fs-add-node': CustomEvent<{ type: string }>;
    'fs-add-node-close': CustomEvent<void>;
  }
}
