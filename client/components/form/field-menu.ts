/**
 * fs-field-menu: the context menu of a node field in the graph, with "Add to form" (InvokeAI offers the
 * same on a field's title). It watches the context menus opened in the shadow tree it is placed in
 * (the editor's), so the graph only marks its field rows (`data-field` inside `g[data-node-id]`).
 * Works from the keyboard too: the context menu key (or Shift+F10) on a field's input opens it at the
 * field; Escape or a press elsewhere closes it and gives the focus back.
 * Properties: workflow (nodes and form, to say whether the field can be added), disabled (not in Edit).
 * Event `fs-add-to-form` (detail: {nodeId, fieldName}).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { fieldKey, fieldsInForm, hasForm, newNodeField, readForm, type FieldIdentifier } from '../../../shared/workflow/form.js';
import { templateFor, type TemplateLookup } from '../../../shared/node-templates/index.js';
import { DismissController } from '../../controllers/dismiss-controller.js';
import { formFieldView, pickableFields } from './form-field.js';
import { sharedStyles } from '../shared-styles.js';

export interface FieldMenuWorkflow {
  nodes: JsonObject[];
  edges: JsonObject[];
  form?: unknown;
}

interface OpenMenu {
  field: FieldIdentifier;
  x: number;
  y: number;
  /** what had the focus, to give it back on Escape */
  returnFocus: HTMLElement | null;
}

/** The node field a context menu was opened on, from the event's path through the shadow trees. */
export function fieldOfEvent(e: Event): FieldIdentifier | null {
  let fieldName: string | null = null;
  for (const target of e.composedPath()) {
    if (!(target instanceof Element)) continue;
    if (fieldName === null && target.hasAttribute('data-field')) fieldName = target.getAttribute('data-field');
    const nodeId = target.getAttribute('data-node-id');
    if (nodeId !== null) return fieldName === null ? null : { nodeId, fieldName };
  }
  return null;
}

@customElement('fs-field-menu')
export class FieldMenu extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      /* No box of its own: placed anywhere in the editor's grid, it takes no cell. */
      :host {
        display: contents;
      }
      [role='menu'] {
        position: fixed;
        z-index: 20;
        min-width: 12rem;
        max-width: min(20rem, calc(100vw - 1rem));
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
        padding: 0.5rem;
        background: var(--fs-surface);
        border: 1px solid var(--fs-border);
        border-radius: 8px;
        box-shadow: 0 6px 20px rgb(0 0 0 / 0.18);
      }
      .title {
        font-size: 0.8rem;
        color: var(--fs-muted);
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property({ attribute: false }) accessor workflow: FieldMenuWorkflow | null = null;
  @property({ type: Boolean }) accessor disabled = false;
  @property({ attribute: false }) accessor templates: TemplateLookup = templateFor;
  @state() accessor open: OpenMenu | null = null;
  private watched: Node | null = null;

  constructor() {
    super();
    new DismissController(
      this,
      () => this.open !== null,
      (reason) => {
        const back = this.open?.returnFocus;
        this.open = null;
        if (reason === 'escape') back?.focus();
      },
    );
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.watched = this.getRootNode();
    this.watched.addEventListener('contextmenu', this.onContextMenu);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.watched?.removeEventListener('contextmenu', this.onContextMenu);
    this.watched = null;
  }

  private onContextMenu = (e: Event): void => {
    if (this.disabled || !this.workflow) return;
    const field = fieldOfEvent(e);
    if (!field) return;
    e.preventDefault();
    const me = e as MouseEvent;
    const origin = e.composedPath()[0];
    // A menu opened from the keyboard has no pointer position: open it at the field.
    let { clientX: x, clientY: y } = me;
    if (x === 0 && y === 0 && origin instanceof Element) {
      const r = origin.getBoundingClientRect();
      x = r.left;
      y = r.bottom;
    }
    const active = origin instanceof HTMLElement ? origin : null;
    this.open = { field, x: Math.min(x, window.innerWidth - 16), y: Math.min(y, window.innerHeight - 16), returnFocus: active };
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role=menuitem]')?.focus());
  };

  /** Why the field cannot be added, or null when it can. */
  private refusal(field: FieldIdentifier): string | null {
    const wf = this.workflow!;
    const reading = hasForm(wf) ? readForm(wf.form) : null;
    if (reading && !reading.ok) return 'The form cannot be changed: it is broken';
    if (reading?.ok && fieldsInForm(reading.form).has(fieldKey(field))) return 'Already in the form';
    const pickable = pickableFields(wf.nodes, wf.edges, this.templates).some((n) => n.fields.some((f) => f.nodeId === field.nodeId && f.fieldName === field.fieldName));
    return pickable ? null : 'Not settable here (connected, or an input for connections only)';
  }

  private add(): void {
    const o = this.open;
    if (!o) return;
    this.open = null;
    this.dispatchEvent(new CustomEvent<FieldIdentifier>('fs-add-to-form', { detail: o.field, bubbles: true, composed: true }));
    o.returnFocus?.focus();
  }

  override render() {
    const o = this.open;
    if (!o || !this.workflow) return nothing;
    const refusal = this.refusal(o.field);
    const view = formFieldView(newNodeField(o.field, undefined, 'menu'), this.workflow.nodes, this.templates);
    const title = view.found ? `${view.nodeLabel} › ${view.label}` : o.field.fieldName;
    return html`<div role="menu" aria-label=${`Field ${title}`} style=${`left:${o.x}px;top:${o.y}px`}>
      <span class="title">${title}</span>
      <button role="menuitem" ?disabled=${refusal !== null} title=${refusal ?? ''} @click=${this.add}>
        ${refusal ?? 'Add to form'}
      </button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-field-menu': FieldMenu;
  }
  interface HTMLElementEventMap {
    'fs-add-to-form': CustomEvent<FieldIdentifier>;
  }
}
