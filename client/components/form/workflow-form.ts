/**
 * fs-workflow-form: the workflow form of InvokeAI 5 (`workflow.form`), as a usable form (mode "view")
 * or with the builder around it (mode "edit").
 * Properties: workflow (the draft: nodes, edges, exposedFields, form), mode, readonly (values cannot
 * be changed), templates (node template lookup).
 * The form holds no values: a node field shows and edits the value inside its node
 * (`nodes[i].data.inputs[field].value`, the same place the graph edits), so graph and form agree.
 * A workflow without a form shows its exposedFields (InvokeAI's older linear view); building in edit
 * mode starts from them, as InvokeAI's migration does. A form whose structure is broken is shown as a
 * reason and kept as it is until the user replaces it.
 * Event `fs-form-change` (detail: {nodes} or {form}) on every change.
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  addElement,
  canMove,
  emptyForm,
  fieldKey,
  fieldsInForm,
  formFromExposedFields,
  hasForm,
  isFormEmpty,
  MAX_FORM_DEPTH,
  moveDown,
  moveElement,
  moveUp,
  newContainer,
  newDivider,
  newHeading,
  newNodeField,
  newText,
  readForm,
  removeElement,
  updateElementData,
  type BuilderForm,
  type ContainerLayout,
  type FieldIdentifier,
  type FormElement,
  type NodeFieldElement,
} from '../../../shared/workflow/form.js';
import { templateFor, type TemplateLookup } from '../../../shared/node-templates/index.js';
import { setInputValue } from '../graph/graph-model.js';
import { formFieldView, numberToStore, pickableFields, setInputText, type FieldWidget } from './form-field.js';
import { sharedStyles } from '../shared-styles.js';

export interface FormWorkflow {
  nodes: JsonObject[];
  edges: JsonObject[];
  exposedFields: FieldIdentifier[];
  form?: unknown;
}

/** A change; `mergeKey` groups the keystrokes typed into one field into one undo step. */
export type FormChange = ({ nodes: JsonObject[] } | { form: BuilderForm }) & { mergeKey?: string };

type Shown = { kind: 'form'; form: BuilderForm; derived: boolean } | { kind: 'invalid'; reason: string } | { kind: 'none' };

const TYPE_LABELS: Record<FormElement['type'], string> = {
  container: 'Container',
  'node-field': 'Node field',
  heading: 'Heading',
  text: 'Text',
  divider: 'Divider',
};

@customElement('fs-workflow-form')
export class WorkflowForm extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        container-type: inline-size;
      }
      .form {
        display: flex;
        flex-direction: column;
        gap: 0.6rem;
        max-width: 48rem;
      }
      .container {
        display: flex;
        gap: 0.6rem;
        min-width: 0;
      }
      .container.column {
        flex-direction: column;
        align-items: stretch;
      }
      /* InvokeAI puts a row's children side by side; here they also wrap on a narrow screen so that
         nothing has to be scrolled sideways on a phone. */
      .container.row {
        flex-direction: row;
        flex-wrap: wrap;
        align-items: flex-start;
      }
      .container.row > * {
        flex: 1 1 9rem;
        min-width: 0;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
        min-width: 0;
      }
      .field > label {
        font-size: 0.85rem;
        font-weight: 600;
      }
      .field input:not([type='checkbox']),
      .field select,
      .field textarea {
        width: 100%;
        min-height: 2.4rem;
      }
      .field textarea {
        resize: vertical;
      }
      .number-and-slider {
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      .number-and-slider input[type='number'] {
        flex: 0 0 6rem;
        width: 6rem;
      }
      input.slider {
        flex: 1;
        min-width: 0;
        width: 100%;
        min-height: 2.4rem;
      }
      .field-settings {
        display: grid;
        grid-template-columns: 1fr;
        gap: 0.3rem;
        font-size: 0.8rem;
      }
      .field input[type='checkbox'] {
        width: 1.4rem;
        height: 1.4rem;
      }
      .description,
      .note {
        margin: 0;
        font-size: 0.8rem;
        color: var(--fs-muted);
        white-space: pre-wrap;
      }
      .chip {
        display: inline-block;
        align-self: flex-start;
        max-width: 100%;
        padding: 0.3rem 0.6rem;
        border-radius: 999px;
        border: 1px solid var(--fs-border);
        background: var(--fs-hover);
        font-size: 0.85rem;
        overflow-wrap: anywhere;
      }
      .error {
        margin: 0;
        font-size: 0.8rem;
        color: var(--fs-danger);
      }
      .missing {
        font-size: 0.85rem;
        color: var(--fs-danger);
      }
      h3.heading {
        margin: 0.2rem 0 0;
        font-size: 1.3rem;
        white-space: pre-wrap;
      }
      p.text {
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      hr {
        width: 100%;
        margin: 0.2rem 0;
        border: none;
        border-top: 1px solid var(--fs-border);
      }
      .view-el {
        display: flex;
        flex-direction: column;
        min-width: 0;
      }
      .container.row > .view-el.divider {
        flex: 0 0 auto;
        align-self: stretch;
      }
      .row > .view-el.divider > hr {
        width: 1px;
        height: 100%;
        margin: 0;
        border-top: none;
        border-left: 1px solid var(--fs-border);
      }
      .placeholder {
        color: var(--fs-muted);
        font-size: 0.85rem;
        padding: 0.8rem;
        text-align: center;
      }
      /* ---- builder ---- */
      .builder-tools {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        align-items: center;
        margin-bottom: 0.6rem;
      }
      .builder-tools select {
        flex: 1 1 100%;
        width: 100%;
      }
      .builder-tools .target {
        flex-basis: 100%;
        font-size: 0.8rem;
        color: var(--fs-muted);
      }
      .el {
        border: 1px dashed var(--fs-border);
        border-radius: 8px;
        padding: 0.4rem 0.5rem 0.5rem;
        min-width: 0;
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      .el.selected {
        border: 2px solid var(--fs-accent);
      }
      .el-head[draggable='true'] {
        cursor: grab;
      }
      /* Where a dragged element would land. */
      .el.drop-before {
        box-shadow: 0 -3px 0 var(--fs-accent);
      }
      .el.drop-after {
        box-shadow: 0 3px 0 var(--fs-accent);
      }
      .el[data-parent-layout='row'].drop-before {
        box-shadow: -3px 0 0 var(--fs-accent);
      }
      .el[data-parent-layout='row'].drop-after {
        box-shadow: 3px 0 0 var(--fs-accent);
      }
      .el.drop-into {
        background: var(--fs-hover);
      }
      .el-head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem;
        align-items: center;
        font-size: 0.8rem;
      }
      .el-head .kind {
        margin-right: auto;
        font-weight: 600;
        color: var(--fs-muted);
      }
      .el-head button {
        min-height: 2rem;
        padding: 0.2rem 0.5rem;
      }
      .el textarea.content,
      .el input.content {
        width: 100%;
      }
    `,
  ];

  @property({ attribute: false }) accessor workflow: FormWorkflow | null = null;
  @property() accessor mode: 'view' | 'edit' = 'view';
  @property({ type: Boolean }) accessor readonly = false;
  @property({ attribute: false }) accessor templates: TemplateLookup = templateFor;
  /** The element new ones are added after (or into, for a container); null: the end of the form. */
  @state() accessor selected: string | null = null;
  /** Values refused (out of bounds, not a number), per form element, with the reason shown. */
  @state() private accessor errors: Record<string, string> = {};
  /** Why the last builder edit was refused (it would have broken the form's structure). */
  @state() private accessor builderError = '';
  private derived: { exposed: unknown; nodes: unknown; form: BuilderForm } | null = null;
  private read: { value: unknown; reading: ReturnType<typeof readForm> } | null = null;
  /** After a move, the button to focus again (the element may have been drawn anew in another container). */
  private refocus: { id: string; direction: 'up' | 'down'; before: unknown } | null = null;
  /** Drag and drop arranging (the pointer way; move up/down is the keyboard way). */
  private dragging: string | null = null;
  @state() private accessor drop: { id: string; where: 'before' | 'after' | 'into' } | null = null;

  private emit(detail: FormChange): void {
    this.dispatchEvent(new CustomEvent<FormChange>('fs-form-change', { detail, bubbles: true, composed: true }));
  }

  /** What is shown: the workflow's form, the form derived from exposedFields, a broken form, nothing. */
  get shown(): Shown {
    const wf = this.workflow;
    if (!wf) return { kind: 'none' };
    if (hasForm(wf)) {
      // Read once per form value (the drawing asks several times).
      if (!this.read || this.read.value !== wf.form) this.read = { value: wf.form, reading: readForm(wf.form) };
      const r = this.read.reading;
      return r.ok ? { kind: 'form', form: r.form, derived: false } : { kind: 'invalid', reason: r.reason };
    }
    // Derived once per exposedFields/nodes, so its element ids stay put between renders.
    if (!this.derived || this.derived.exposed !== wf.exposedFields || this.derived.nodes !== wf.nodes) {
      this.derived = { exposed: wf.exposedFields, nodes: wf.nodes, form: formFromExposedFields(wf.exposedFields ?? [], wf.nodes) };
    }
    return isFormEmpty(this.derived.form) ? { kind: 'none' } : { kind: 'form', form: this.derived.form, derived: true };
  }

  private get editable(): boolean {
    return this.mode === 'edit' && !this.readonly;
  }

  /** Applies a builder edit to the form shown (a new form when there is none); a broken form is left alone. */
  private editForm(edit: (form: BuilderForm) => BuilderForm): void {
    if (!this.editable) return;
    const shown = this.shown;
    if (shown.kind === 'invalid') return;
    const base = shown.kind === 'form' ? shown.form : emptyForm();
    const next = edit(base);
    // What the builder writes must read back (e.g. no nesting past MAX_FORM_DEPTH): else nothing changes.
    const check = readForm(next);
    this.builderError = check.ok ? '' : `Not changed: ${check.reason}.`;
    if (!check.ok) return;
    if (next !== base || shown.kind !== 'form' || shown.derived) this.emit({ form: next });
  }

  private insertionPoint(form: BuilderForm): { parentId: string; index?: number } {
    const sel = this.selected ? form.elements[this.selected] : undefined;
    if (!sel) return { parentId: form.rootElementId };
    if (sel.type === 'container') return { parentId: sel.id };
    const parent = sel.parentId ? form.elements[sel.parentId] : undefined;
    if (!parent || parent.type !== 'container') return { parentId: form.rootElementId };
    return { parentId: parent.id, index: parent.data.children.indexOf(sel.id) + 1 };
  }

  /** Adds an element where the selection says, and selects it (so a new container receives what follows). */
  addElement(element: FormElement): void {
    this.editForm((form) => {
      const at = this.insertionPoint(form);
      return addElement(form, element, at.parentId, at.index);
    });
    if (this.editable && this.shown.kind !== 'invalid') this.selected = element.id;
  }

  /** Adds a node field to the form (the picker, or a field's button in the graph). */
  addNodeField(field: FieldIdentifier): void {
    const node = this.workflow?.nodes.find((n) => n.id === field.nodeId);
    const type = (node?.data as JsonObject | undefined)?.type;
    const template = typeof type === 'string' ? this.templates(type) : undefined;
    const typeName = template?.inputs.find((i) => i.name === field.fieldName)?.type;
    this.addElement(newNodeField(field, typeName?.cardinality === 'SINGLE' ? typeName.name : undefined));
  }

  private move(id: string, direction: 'up' | 'down'): void {
    this.refocus = { id, direction, before: this.workflow?.form };
    this.editForm((f) => (direction === 'up' ? moveUp(f, id) : moveDown(f, id)));
  }

  /**
   * Keeps the keyboard on the moved element: its same button, or the other one when it can go no
   * further that way. Runs when the moved form comes back as the `workflow` property.
   */
  override updated(): void {
    const r = this.refocus;
    if (!r || this.workflow?.form === r.before) return;
    const head = this.renderRoot.querySelector(`[data-element-id="${CSS.escape(r.id)}"] > .el-head`);
    if (!head) return;
    this.refocus = null;
    const same = head.querySelector<HTMLButtonElement>(`button[data-move="${r.direction}"]`);
    const other = head.querySelector<HTMLButtonElement>(`button[data-move="${r.direction === 'up' ? 'down' : 'up'}"]`);
    (same && !same.disabled ? same : other)?.focus();
  }

  private onDragStart(e: DragEvent, id: string): void {
    if (!this.editable) return;
    e.stopPropagation(); // the innermost element is the one dragged
    this.dragging = id;
    e.dataTransfer?.setData('text/plain', id);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
  }

  /** Where a drop on `target` would put the dragged element; null where it cannot go (into itself). */
  private dropPlace(e: DragEvent, form: BuilderForm, target: FormElement, parentLayout: ContainerLayout): { id: string; where: 'before' | 'after' | 'into' } | null {
    const id = this.dragging;
    if (!id || !form.elements[id]) return null;
    for (let cur: string | undefined = target.id, n = 0; cur !== undefined && n <= MAX_FORM_DEPTH + 1; cur = form.elements[cur]?.parentId, n++) {
      if (cur === id) return null;
    }
    if (target.type === 'container' && target.data.children.length === 0) return { id: target.id, where: 'into' };
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const before = parentLayout === 'row' ? e.clientX < r.left + r.width / 2 : e.clientY < r.top + r.height / 2;
    return { id: target.id, where: before ? 'before' : 'after' };
  }

  private onDragOver(e: DragEvent, form: BuilderForm, target: FormElement, parentLayout: ContainerLayout): void {
    const place = this.dropPlace(e, form, target, parentLayout);
    if (!place) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (this.drop?.id !== place.id || this.drop.where !== place.where) this.drop = place;
  }

  private onDrop(e: DragEvent, form: BuilderForm, target: FormElement, parentLayout: ContainerLayout): void {
    const place = this.dropPlace(e, form, target, parentLayout);
    const id = this.dragging;
    this.endDrag();
    if (!place || !id) return;
    e.preventDefault();
    e.stopPropagation();
    this.editForm((f) => {
      if (place.where === 'into') return moveElement(f, id, place.id, 0);
      const parentId = f.elements[place.id]?.parentId;
      const parent = parentId === undefined ? undefined : f.elements[parentId];
      if (!parent || parent.type !== 'container') return f;
      return moveElement(f, id, parent.id, parent.data.children.indexOf(place.id) + (place.where === 'after' ? 1 : 0));
    });
  }

  private endDrag(): void {
    this.dragging = null;
    this.drop = null;
  }

  private removeFormElement(id: string): void {
    if (this.selected === id) this.selected = null;
    this.editForm((form) => removeElement(form, id));
  }

  private setValue(el: NodeFieldElement, value: JsonValue, typing = false): void {
    const wf = this.workflow;
    if (!wf || this.readonly) return;
    const { nodeId, fieldName } = el.data.fieldIdentifier;
    const nodes = setInputValue(wf.nodes, nodeId, fieldName, value);
    this.emit(typing ? { nodes, mergeKey: `form-field:${fieldKey(el.data.fieldIdentifier)}` } : { nodes });
  }

  private setError(id: string, message: string | null): void {
    if ((this.errors[id] ?? null) === message) return;
    const next = { ...this.errors };
    if (message) next[id] = message;
    else delete next[id];
    this.errors = next;
  }

  /** A number typed: rounded and clamped as the graph's fields do (InvokeAI's way); not a number: refused. */
  private onNumber(el: NodeFieldElement, w: Extract<FieldWidget, { kind: 'number' }>, input: HTMLInputElement): void {
    const n = numberToStore(input.value, w);
    if (n === null) {
      this.setError(el.id, 'Enter a number.');
      return;
    }
    this.setError(el.id, null);
    input.value = String(n);
    this.setValue(el, n);
  }

  private renderWidget(el: NodeFieldElement, w: FieldWidget, inputId: string, describedBy: string): TemplateResult {
    const ro = this.readonly;
    switch (w.kind) {
      case 'number': {
        const number = html`<input id=${inputId} type="number" inputmode=${w.integer ? 'numeric' : 'decimal'} .value=${w.value === undefined ? '' : String(w.value)}
          min=${w.min ?? nothing} max=${w.max ?? nothing} step=${w.step} ?readonly=${ro} aria-describedby=${describedBy || nothing}
          aria-invalid=${this.errors[el.id] ? 'true' : 'false'}
          @change=${(e: Event) => this.onNumber(el, w, e.target as HTMLInputElement)} />`;
        if (w.component === 'number-input') return number;
        // A slider drag is one undo step (the merge key of typing).
        const slider = html`<input type="range" class="slider" id=${w.component === 'slider' ? inputId : `${inputId}-slider`}
          aria-labelledby=${`label-${el.id}`} min=${w.min!} max=${w.max!} step=${w.step} .value=${w.value === undefined ? '' : String(w.value)}
          ?disabled=${ro} @input=${(e: Event) => this.setValue(el, (e.target as HTMLInputElement).valueAsNumber, true)} />`;
        return w.component === 'slider' ? slider : html`<div class="number-and-slider">${number}${slider}</div>`;
      }
      case 'text':
        return w.multiline
          ? html`<textarea id=${inputId} rows="4" .value=${w.value} ?readonly=${ro} aria-describedby=${describedBy || nothing}
              @input=${(e: Event) => this.setValue(el, (e.target as HTMLTextAreaElement).value, true)}></textarea>`
          : html`<input id=${inputId} .value=${w.value} ?readonly=${ro} aria-describedby=${describedBy || nothing}
              @input=${(e: Event) => this.setValue(el, (e.target as HTMLInputElement).value, true)} />`;
      case 'select':
        return html`<select id=${inputId} ?disabled=${ro} aria-describedby=${describedBy || nothing}
          @change=${(e: Event) => {
            const text = (e.target as HTMLSelectElement).value;
            const chosen = w.options.find((o) => o.value === text);
            this.setValue(el, chosen?.stored ?? text);
          }}>
          ${w.options.map((o) => html`<option value=${o.value} ?selected=${o.value === w.value}>${o.label}</option>`)}
        </select>`;
      case 'boolean':
        return html`<input id=${inputId} type="checkbox" .checked=${w.value} ?disabled=${ro} aria-describedby=${describedBy || nothing}
          @change=${(e: Event) => this.setValue(el, (e.target as HTMLInputElement).checked)} />`;
      case 'chip':
        return html`<output id=${inputId} class="chip" aria-describedby=${describedBy || nothing}>${w.text}</output>`;
    }
  }

  private renderField(el: NodeFieldElement): TemplateResult {
    const view = formFieldView(el, this.workflow?.nodes ?? [], this.templates);
    if (!view.found) return html`<p class="missing" data-field=${fieldKey(el.data.fieldIdentifier)}>${view.problem}</p>`;
    const inputId = `field-${el.id}`;
    const showDescription = el.data.showDescription !== false && view.description !== '';
    const error = this.errors[el.id];
    const describedBy = [showDescription ? `desc-${el.id}` : '', error ? `err-${el.id}` : ''].filter(Boolean).join(' ');
    return html`<div class="field" data-field=${fieldKey(el.data.fieldIdentifier)}>
      <label id=${`label-${el.id}`} for=${inputId} title=${`${view.nodeLabel} › ${view.fieldName}`}>${view.label}</label>
      ${this.renderWidget(el, view.widget, inputId, describedBy)}
      ${showDescription ? html`<p class="description" id=${`desc-${el.id}`}>${view.description}</p>` : nothing}
      ${error ? html`<p class="error" id=${`err-${el.id}`} role="alert">${error}</p>` : nothing}
    </div>`;
  }

  private renderContent(form: BuilderForm, el: FormElement, parentLayout: ContainerLayout): TemplateResult {
    const edit = this.editable;
    switch (el.type) {
      case 'container': {
        const children = el.data.children.map((c) => form.elements[c]).filter((c): c is FormElement => c !== undefined);
        return html`<div class="container ${el.data.layout}" role="group" aria-label=${edit ? `Container (${el.data.layout})` : nothing}>
          ${repeat(children, (c) => c.id, (c) => this.renderElement(form, c, el.data.layout))}
          ${children.length === 0 ? html`<div class="placeholder">Empty container${edit ? ': select it and add elements, or drop them here' : ''}</div>` : nothing}
        </div>`;
      }
      case 'node-field':
        return this.renderField(el);
      case 'heading':
        return edit
          ? html`<input class="content" aria-label="Heading text" placeholder="Heading" .value=${el.data.content}
              @change=${(e: Event) => this.editForm((f) => updateElementData(f, el.id, { content: (e.target as HTMLInputElement).value }))} />`
          : html`<h3 class="heading">${el.data.content}</h3>`;
      case 'text':
        return edit
          ? html`<textarea class="content" rows="2" aria-label="Text" placeholder="Text" .value=${el.data.content}
              @change=${(e: Event) => this.editForm((f) => updateElementData(f, el.id, { content: (e.target as HTMLTextAreaElement).value }))}></textarea>`
          : html`<p class="text">${el.data.content}</p>`;
      case 'divider':
        return html`<hr aria-orientation=${parentLayout === 'row' ? 'vertical' : 'horizontal'} />`;
    }
  }

  private elementName(el: FormElement): string {
    if (el.type === 'node-field') {
      const v = formFieldView(el, this.workflow?.nodes ?? [], this.templates);
      return v.found ? `field ${v.label}` : `field ${el.data.fieldIdentifier.fieldName}`;
    }
    if ((el.type === 'heading' || el.type === 'text') && el.data.content) return `${el.type} ${el.data.content.slice(0, 40)}`;
    return el.type;
  }

  private renderElement(form: BuilderForm, el: FormElement, parentLayout: ContainerLayout): TemplateResult {
    if (!this.editable) {
      return html`<div class="view-el ${el.type}" data-element-id=${el.id}>${this.renderContent(form, el, parentLayout)}</div>`;
    }
    const name = this.elementName(el);
    const selected = this.selected === el.id;
    const drop = this.drop?.id === el.id ? `drop-${this.drop.where}` : '';
    return html`<div class="el ${el.type} ${selected ? 'selected' : ''} ${drop}" data-element-id=${el.id} data-type=${el.type}
      data-parent-layout=${parentLayout}
      @dragover=${(e: DragEvent) => this.onDragOver(e, form, el, parentLayout)}
      @drop=${(e: DragEvent) => this.onDrop(e, form, el, parentLayout)}>
      <div class="el-head" draggable="true" title="Drag to move"
        @dragstart=${(e: DragEvent) => this.onDragStart(e, el.id)} @dragend=${() => this.endDrag()}>
        <button class="link kind" aria-pressed=${selected ? 'true' : 'false'} title="Select: new elements go ${el.type === 'container' ? 'into' : 'after'} it"
          @click=${() => (this.selected = selected ? null : el.id)}>${TYPE_LABELS[el.type]}</button>
        ${el.type === 'container'
          ? html`<select aria-label=${`Layout of ${name}`}
              @change=${(e: Event) => this.editForm((f) => updateElementData(f, el.id, { layout: (e.target as HTMLSelectElement).value as ContainerLayout }))}>
              <option value="row" ?selected=${el.data.layout === 'row'}>Row</option>
              <option value="column" ?selected=${el.data.layout === 'column'}>Column</option>
            </select>`
          : nothing}
        <button data-move="up" aria-label=${`Move ${name} up`} ?disabled=${!canMove(form, el.id, 'up')} @click=${() => this.move(el.id, 'up')}>↑</button>
        <button data-move="down" aria-label=${`Move ${name} down`} ?disabled=${!canMove(form, el.id, 'down')} @click=${() => this.move(el.id, 'down')}>↓</button>
        <button class="danger" aria-label=${`Remove ${name}`} @click=${() => this.removeFormElement(el.id)}>✕</button>
      </div>
      ${this.renderContent(form, el, parentLayout)}
      ${el.type === 'node-field' ? this.renderFieldSettings(el, name) : nothing}
    </div>`;
  }

  /** Edit mode: the field's label and description (kept in its node) and InvokeAI's widget settings. */
  private renderFieldSettings(el: NodeFieldElement, name: string): TemplateResult | typeof nothing {
    const wf = this.workflow;
    const view = formFieldView(el, wf?.nodes ?? [], this.templates);
    if (!wf || !view.found) return nothing;
    const setText = (change: { label?: string; description?: string }) => {
      this.emit({ nodes: setInputText(wf.nodes, el.data.fieldIdentifier, change) });
    };
    const settings = el.data.settings;
    const setComponent = (component: string) =>
      this.editForm((f) => updateElementData(f, el.id, { settings: { ...(settings as JsonObject), component } }));
    const components: [string, string][] | null =
      settings?.type === 'string-field-config'
        ? [['input', 'One line'], ['textarea', 'Several lines'], ...(settings.component === 'dropdown' ? [['dropdown', 'Dropdown'] as [string, string]] : [])]
        : settings?.type === 'integer-field-config' || settings?.type === 'float-field-config'
          ? [['number-input', 'Number'], ['slider', 'Slider'], ['number-input-and-slider', 'Number and slider']]
          : null;
    return html`<div class="field-settings">
      <label class="field">Label<input aria-label=${`Label of ${name}`} placeholder=${view.templateTitle} .value=${view.userLabel}
        @change=${(e: Event) => setText({ label: (e.target as HTMLInputElement).value })} /></label>
      <label class="field">Description<textarea rows="2" aria-label=${`Description of ${name}`} placeholder=${view.templateDescription}
        .value=${view.userDescription} @change=${(e: Event) => setText({ description: (e.target as HTMLTextAreaElement).value })}></textarea></label>
      <label class="check"><input type="checkbox" .checked=${el.data.showDescription !== false}
        @change=${(e: Event) => this.editForm((f) => updateElementData(f, el.id, { showDescription: (e.target as HTMLInputElement).checked }))} />Show the description</label>
      ${components
        ? html`<label class="field">Widget<select aria-label=${`Widget of ${name}`} @change=${(e: Event) => setComponent((e.target as HTMLSelectElement).value)}>
            ${components.map(([value, label]) => html`<option value=${value} ?selected=${(settings?.component ?? components[0]![0]) === value}>${label}</option>`)}
          </select></label>`
        : nothing}
    </div>`;
  }

  private renderBuilderTools(shown: Shown): TemplateResult {
    const wf = this.workflow;
    const form = shown.kind === 'form' ? shown.form : null;
    const inForm = form ? fieldsInForm(form) : new Set<string>();
    const groups = wf ? pickableFields(wf.nodes, wf.edges ?? [], this.templates) : [];
    const disabled = shown.kind === 'invalid';
    const sel = form && this.selected ? form.elements[this.selected] : undefined;
    const target = !sel ? 'at the end of the form' : sel.type === 'container' ? `into the selected container` : `after the selected ${sel.type.replace('-', ' ')}`;
    const addPicked = () => {
      const select = this.renderRoot.querySelector<HTMLSelectElement>('select.field-picker');
      const [nodeId, fieldName] = (select?.value ?? '').split('\u0000');
      if (nodeId && fieldName) this.addNodeField({ nodeId, fieldName });
    };
    return html`<div class="builder-tools" role="toolbar" aria-label="Form builder">
      <button ?disabled=${disabled} @click=${() => this.addElement(newContainer('row'))}>+ Container</button>
      <button ?disabled=${disabled} @click=${() => this.addElement(newHeading(''))}>+ Heading</button>
      <button ?disabled=${disabled} @click=${() => this.addElement(newText(''))}>+ Text</button>
      <button ?disabled=${disabled} @click=${() => this.addElement(newDivider())}>+ Divider</button>
      <select class="field-picker" aria-label="Node field to add" ?disabled=${disabled || groups.length === 0}>
        ${groups.map(
          (g) => html`<optgroup label=${g.nodeLabel}>
            ${g.fields.map((f) => {
              const key = fieldKey(f);
              return html`<option value=${`${f.nodeId}\u0000${f.fieldName}`} ?disabled=${inForm.has(key)}>
                ${g.nodeLabel} › ${f.label}${inForm.has(key) ? ' (in the form)' : ''}
              </option>`;
            })}
          </optgroup>`,
        )}
      </select>
      <button ?disabled=${disabled || groups.length === 0} @click=${addPicked}>+ Node field</button>
      <span class="target" aria-live="polite">New elements go ${target}.</span>
      ${this.builderError ? html`<p class="error" role="alert">${this.builderError}</p>` : nothing}
    </div>`;
  }

  override render() {
    const shown = this.shown;
    const edit = this.editable;
    const tools = edit ? this.renderBuilderTools(shown) : nothing;
    if (shown.kind === 'invalid') {
      return html`${tools}<p class="missing" role="alert">This workflow's form cannot be shown: ${shown.reason}. It is kept as it is.</p>
        ${edit
          ? html`<button @click=${() => this.emit({ form: this.workflow ? formFromExposedFields(this.workflow.exposedFields ?? [], this.workflow.nodes) : emptyForm() })}>
              Replace it with a new form
            </button>`
          : nothing}`;
    }
    if (shown.kind === 'none') {
      return html`${tools}<p class="placeholder empty">
        ${edit
          ? 'The form is empty. Add a heading, text, a container or a node field above.'
          : `This workflow has no form.${this.readonly ? '' : ' Switch to Edit to build one.'}`}
      </p>`;
    }
    const root = shown.form.elements[shown.form.rootElementId];
    if (!root || root.type !== 'container') return nothing;
    return html`${tools}
      ${shown.derived ? html`<p class="note">No form yet: these are the workflow's exposed fields (InvokeAI's linear view).</p>` : nothing}
      <div class="form" role="form" aria-label="Workflow form" data-element-id=${root.id}>${this.renderContent(shown.form, root, 'column')}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-form': WorkflowForm;
  }
  interface HTMLElementEventMap {
    'fs-form-change': CustomEvent<FormChange>;
  }
}
