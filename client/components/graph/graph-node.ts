/**
 * Draws one node of the graph as SVG, from its template (shared/node-templates) when its type is known:
 * the title (label, else the template's title), a note when the type is unknown or the node is older
 * than its template, InvokeAI's layout (connection-only inputs beside the outputs, then the fields with
 * widgets), typed and coloured handles (field-colors.ts: circles for one value, squares for collections),
 * and a widget per field type: numbers with their bounds and steps, selects for enums, checkboxes,
 * text and multi-line prompts, and read-only chips for models, images, boards and the like. A node of
 * an unknown type is drawn from what it stores, as it is; the notes node is a text area.
 * A plain function over the node JSON (SVG cannot hold custom elements), so the canvas stays the only
 * element; what happens on a click, a drag or an edit is the canvas' business, passed in as NodeActions.
 */
import { css, html, nothing, svg } from 'lit';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import { describeFieldType, enumOptions, enumText, type FieldType } from '../../../shared/node-templates/index.js';
import type { ConnectionVerdict } from '../../../shared/workflow/connection-rules.js';
import type { WorkflowProblem } from '../../../shared/workflow/graph-checks.js';
import {
  HEADER_HEIGHT,
  NODE_WIDTH,
  NOTE_HEIGHT,
  NOTES_HEIGHT,
  ROW_HEIGHT,
  isCollapsed,
  nodeData,
  nodeHeight,
  nodeLayout,
  nodePosition,
  nodeTitle,
  type InputRow,
  type NodeLayout,
} from './graph-model.js';
import { NEUTRAL, fieldColor } from './field-colors.js';
import { chipText, coerceNumber, numberBounds, swatchColor } from './field-values.js';

/** What the canvas does when the user acts on a node. */
export interface NodeActions {
  /** pointer down on the title bar (select, start a drag) */
  headPointerDown(e: PointerEvent, node: JsonObject): void;
  inputHandleClick(e: Event, node: JsonObject, field: string): void;
  outputHandleClick(e: Event, node: JsonObject, output: string): void;
  /** pointer down on a handle: the start of a drag-to-connect */
  handlePointerDown?(e: PointerEvent, node: JsonObject, kind: 'input' | 'output', handle: string): void;
  setOpen(node: JsonObject, open: boolean): void;
  setInputValue(node: JsonObject, field: string, value: JsonValue): void;
  setNotes(node: JsonObject, notes: string): void;
  /** the node itself got the focus (Tab, a click on it) */
  nodeFocus(e: FocusEvent, node: JsonObject): void;
  /** a key on the node itself (not on one of its fields) */
  nodeKey(e: KeyboardEvent, node: JsonObject): void;
}

/** How one node is to be drawn now. */
export interface NodeView {
  node: JsonObject;
  edges: JsonObject[];
  selected: boolean;
  readonly: boolean;
  /** the output of this node waiting for an input click, if any */
  pendingOutput: string | null;
  /** while a connection is dragged: the verdict for each handle of this node (key `in:field` / `out:name`) */
  targets?: ReadonlyMap<string, ConnectionVerdict>;
  /** the handle under the dragged connection's end (same key), if it is on this node */
  hovered?: string | null;
  /** drawn as its box and title only (far off screen, or too many on screen: level-of-detail.ts) */
  lowDetail?: boolean;
  /** what the graph checks found wrong with this node, in plain words (a badge on its title bar) */
  problems?: readonly WorkflowProblem[];
}

const byNodeCache = new WeakMap<readonly WorkflowProblem[], Map<string, WorkflowProblem[]>>();

/** The problems grouped by node id (once per problems list). */
export function problemsByNode(problems: readonly WorkflowProblem[]): ReadonlyMap<string, WorkflowProblem[]> {
  let m = byNodeCache.get(problems);
  if (!m) {
    m = new Map();
    for (const p of problems) {
      if (p.nodeId === undefined) continue;
      const list = m.get(p.nodeId) ?? [];
      list.push(p);
      m.set(p.nodeId, list);
    }
    byNodeCache.set(problems, m);
  }
  return m;
}

/** A badge on the title bar: red for errors, muted for warnings only; its tooltip lists the problems. */
function renderProblemBadge(problems: readonly WorkflowProblem[] | undefined) {
  if (!problems || problems.length === 0) return nothing;
  const error = problems.some((p) => p.severity === 'error');
  const text = problems.map((p) => p.message).join('\n');
  const label = `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${text}`;
  return svg`<g class="problem-badge ${error ? 'error' : 'warning'}" role="img" aria-label=${label}
      transform="translate(${NODE_WIDTH - 52},${HEADER_HEIGHT / 2})">
    <circle r="8"></circle><text text-anchor="middle" y="4">!</text><title>${text}</title>
  </g>`;
}

export const nodeStyles = css`
  .node rect.box {
    fill: var(--fs-surface);
    stroke: var(--fs-border);
    stroke-width: 1.5;
  }
  .node.unknown rect.box {
    stroke: var(--fs-danger);
    stroke-dasharray: 6 4;
  }
  .node.selected rect.box {
    stroke: var(--fs-accent);
    stroke-width: 2.5;
  }
  .node:focus {
    outline: none;
  }
  .node:focus-visible rect.box {
    stroke: var(--fs-accent);
    stroke-width: 3;
    stroke-dasharray: 6 3;
  }
  .handle:focus-visible {
    outline: none;
    stroke: var(--fs-accent);
    stroke-width: 4;
  }
  .node rect.head {
    fill: var(--fs-hover);
    cursor: move;
  }
  .node text {
    fill: var(--fs-text);
    font-size: 13px;
    font-weight: 600;
    pointer-events: none;
  }
  .problem-badge circle {
    fill: var(--fs-danger);
  }
  .problem-badge.warning circle {
    fill: var(--fs-muted);
  }
  .node .problem-badge text {
    fill: #fff;
    font-size: 12px;
    font-weight: 700;
  }
  .node text.out-label {
    font-weight: 400;
    font-size: 11px;
  }
  .node text.note {
    font-weight: 500;
    font-size: 11px;
    fill: var(--fs-danger);
  }
  .node text.note.outdated {
    fill: var(--fs-muted);
  }
  .handle {
    stroke: var(--fs-surface);
    stroke-width: 2;
    cursor: crosshair;
  }
  .handle.pending {
    stroke: var(--fs-accent);
    stroke-width: 3;
  }
  /* While a connection is dragged: the handles it may end on, and the ones it may not. */
  .handle.ok {
    stroke: var(--fs-accent);
    stroke-width: 3;
  }
  .handle.refused {
    opacity: 0.35;
  }
  .handle.refused.hovered {
    opacity: 1;
    stroke: var(--fs-danger);
    stroke-width: 3;
  }
  .toggle {
    cursor: pointer;
  }
  .toggle rect {
    fill: transparent;
  }
  .toggle:hover rect,
  .toggle:focus-visible rect {
    fill: var(--fs-border);
  }
  .toggle path {
    fill: none;
    stroke: var(--fs-muted);
    stroke-width: 2;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 6px;
    height: ${ROW_HEIGHT}px;
    padding: 0 12px;
    font-size: 12px;
    color: var(--fs-muted);
    box-sizing: border-box;
  }
  .row.tall {
    flex-direction: column;
    align-items: stretch;
    gap: 2px;
    padding-top: 4px;
  }
  .row.extra span.label {
    font-style: italic;
  }
  .row span.label {
    flex: 0 0 40%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row.handle-only span.label,
  .row.tall span.label {
    flex: 1 1 auto;
  }
  .row input:not([type='checkbox']),
  .row select {
    flex: 1;
    min-width: 0;
    padding: 2px 4px;
    font-size: 12px;
  }
  .row textarea {
    flex: 1;
    resize: none;
    font-size: 12px;
    padding: 2px 4px;
    min-height: 0;
  }
  .row .chip {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    padding: 1px 8px;
    border-radius: 10px;
    border: 1px solid var(--fs-border);
    background: var(--fs-hover);
    color: var(--fs-text);
  }
  .row .swatch {
    display: inline-block;
    width: 12px;
    height: 12px;
    border-radius: 3px;
    border: 1px solid var(--fs-border);
    vertical-align: middle;
    margin-right: 4px;
  }
  .row .connected {
    font-style: italic;
  }
  textarea.notes {
    width: calc(100% - 16px);
    height: ${NOTES_HEIGHT - 10}px;
    margin: 4px 8px;
    font-size: 12px;
    resize: none;
  }
`;

function fieldDescription(row: InputRow): string {
  const t = row.template;
  if (!t) return row.extra ? `${row.name}: not an input of this node type (kept as stored)` : row.name;
  return [t.description, `Takes ${describeFieldType(t.type)}.`].filter(Boolean).join('\n');
}

/** The widget for one input field, chosen by its template's type (by the stored value for unknown types). */
export function renderFieldValue(view: NodeView, actions: NodeActions, row: InputRow) {
  const { node, readonly } = view;
  const { name, value, template: t } = row;
  const label = `${nodeTitle(node)} ${row.label}`;
  const set = (v: JsonValue) => actions.setInputValue(node, name, v);
  switch (row.widget) {
    case 'boolean':
      return html`<input type="checkbox" aria-label=${label} .checked=${value === true} ?disabled=${readonly}
        @change=${(e: Event) => set((e.target as HTMLInputElement).checked)} />`;
    case 'integer':
    case 'float': {
      const integer = row.widget === 'integer';
      const b = numberBounds(t, integer);
      return html`<input type="number" aria-label=${label} .value=${typeof value === 'number' ? String(value) : ''}
        step=${t ? b.step : 'any'} min=${b.min ?? nothing} max=${b.max ?? nothing} ?disabled=${readonly}
        @change=${(e: Event) => {
          const input = e.target as HTMLInputElement;
          const n = t ? coerceNumber(input.value, t, integer) : Number.isFinite(Number(input.value)) && input.value.trim() !== '' ? Number(input.value) : null;
          if (n === null) {
            // Not a number: the stored value stays, and the field shows it again.
            input.value = typeof value === 'number' ? String(value) : '';
            return;
          }
          input.value = String(n);
          set(n);
        }} />`;
    }
    case 'enum': {
      const options = t ? enumOptions(t) : [];
      const current = enumText(value);
      // A stored value the node type no longer offers stays selectable, so opening never changes it.
      const all = current && !options.some((o) => o.text === current) ? [{ text: current, value: value as string | number }, ...options] : options;
      return html`<select aria-label=${label} ?disabled=${readonly}
        @change=${(e: Event) => {
          const chosen = all.find((o) => o.text === (e.target as HTMLSelectElement).value);
          if (chosen) set(chosen.value);
        }}>
        ${all.map((o) => html`<option value=${o.text} ?selected=${o.text === current}>${o.text}</option>`)}
      </select>`;
    }
    case 'textarea':
      return html`<textarea aria-label=${label} rows="3" .value=${typeof value === 'string' ? value : ''} ?disabled=${readonly}
        @change=${(e: Event) => set((e.target as HTMLTextAreaElement).value)}></textarea>`;
    case 'text':
      return html`<input aria-label=${label} .value=${typeof value === 'string' ? value : value == null ? '' : String(value)}
        ?disabled=${readonly} @change=${(e: Event) => set((e.target as HTMLInputElement).value)} />`;
    case 'chip': {
      // Models, images, boards, collections: shown as what the file holds; picking them needs InvokeAI.
      const text = chipText(t?.type.name, value);
      const swatch = swatchColor(value);
      return html`<span class="chip" role="note" aria-label="${label}: ${text}" title=${value === undefined ? text : JSON.stringify(value)}
        >${swatch ? html`<span class="swatch" style="background:${swatch}"></span>` : nothing}${text}</span>`;
    }
    default:
      return nothing;
  }
}

/** Collapse / expand (InvokeAI's isOpen): a small button at the right of the title bar. */
function renderToggle(node: JsonObject, collapsed: boolean, actions: NodeActions) {
  const label = `${collapsed ? 'Expand' : 'Collapse'} ${nodeTitle(node)}`;
  const toggle = (e: Event) => {
    e.stopPropagation();
    actions.setOpen(node, collapsed);
  };
  return svg`<g class="toggle" role="button" aria-label=${label} tabindex="0"
      transform="translate(${NODE_WIDTH - 26},${HEADER_HEIGHT / 2})"
      @pointerdown=${(e: Event) => e.stopPropagation()} @click=${toggle}
      @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && toggle(e)}>
    <rect x="-10" y="-10" width="20" height="20" rx="4"></rect>
    <path d=${collapsed ? 'M-3,-5 L3,0 L-3,5' : 'M-5,-3 L0,3 L5,-3'}></path><title>${label}</title>
  </g>`;
}

/** A handle: a circle for one value, a square for a collection (InvokeAI's distinction), in the type's colour. */
function renderHandle(
  view: NodeView,
  actions: NodeActions,
  kind: 'input' | 'output',
  name: string,
  type: FieldType | undefined,
  cx: number,
  cy: number,
  title: string,
) {
  const { node } = view;
  const key = `${kind === 'input' ? 'in' : 'out'}:${name}`;
  const verdict = view.targets?.get(key);
  const state = verdict ? (verdict.ok ? 'ok' : 'refused') : '';
  const hovered = view.hovered === key ? 'hovered' : '';
  const pending = kind === 'output' && view.pendingOutput === name ? 'pending' : '';
  const cls = `handle ${kind === 'input' ? 'in' : 'out'} ${state} ${hovered} ${pending}`;
  const fill = type ? fieldColor(type) : NEUTRAL;
  const down = (e: PointerEvent) => {
    e.stopPropagation();
    actions.handlePointerDown?.(e, node, kind, name);
  };
  const click = (e: Event) =>
    kind === 'input' ? actions.inputHandleClick(e, node, name) : actions.outputHandleClick(e, node, name);
  // Keyboard connecting: a handle is a button; Enter or Space acts as its click.
  const press = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    e.stopPropagation();
    click(e);
  };
  const tabindex = view.readonly ? '-1' : '0';
  const nodeName = nodeTitle(node);
  const spoken = kind === 'input' ? `Connect to ${nodeName} ${title}` : `Connect from ${nodeName} ${title}`;
  const tip = verdict && !verdict.ok ? `${title}\n${verdict.reason}` : title;
  const attrs = kind === 'input' ? { field: name, output: undefined } : { field: undefined, output: name };
  if (type && type.cardinality !== 'SINGLE') {
    return svg`<rect class=${cls} x=${cx - 6} y=${cy - 6} width="12" height="12" rx=${type.cardinality === 'COLLECTION' ? 2 : 4}
      fill=${fill} data-field=${attrs.field ?? nothing} data-output=${attrs.output ?? nothing}
      tabindex=${tabindex} role="button" aria-label=${spoken} @keydown=${press}
      @pointerdown=${down} @click=${click}><title>${tip}</title></rect>`;
  }
  return svg`<circle class=${cls} r="6" cx=${cx} cy=${cy} fill=${fill}
    data-field=${attrs.field ?? nothing} data-output=${attrs.output ?? nothing}
    tabindex=${tabindex} role="button" aria-label=${spoken} @keydown=${press}
    @pointerdown=${down} @click=${click}><title>${tip}</title></circle>`;
}

function renderNote(layout: NodeLayout, node: JsonObject) {
  if (layout.noteY === null) return nothing;
  const data = nodeData(node);
  const y = layout.noteY + NOTE_HEIGHT / 2 + 4;
  if (layout.unknownType) {
    return svg`<text class="note unknown-note" x="12" y=${y}>Unknown node type<title>The node type “${String(data.type ?? '')}” is not known here (a custom node pack?). The node is drawn and kept exactly as it is.</title></text>`;
  }
  const version = typeof data.version === 'string' && data.version ? data.version : 'none';
  return svg`<text class="note outdated" x="12" y=${y}>Update node: v${version} → v${layout.template!.version}<title>This node was made with an older version of its node type (v${version}; the type is now v${layout.template!.version}). InvokeAI offers “Update node” for it when it opens the workflow; here it is kept as it is.</title></text>`;
}

export function renderGraphNode(view: NodeView, actions: NodeActions) {
  const { node, edges, selected, readonly } = view;
  const pos = nodePosition(node);
  const h = nodeHeight(node, edges);
  const isNotes = node.type === 'notes';
  const collapsed = isCollapsed(node);
  const layout = nodeLayout(node, edges);
  const brief = collapsed || view.lowDetail === true;
  const inputs = brief ? [] : layout.inputs;
  const outputs = isNotes || brief ? [] : layout.outputs;
  const connected = new Set(edges.filter((e) => e.target === node.id).map((e) => String(e.targetHandle)));
  const classes = `node ${selected ? 'selected' : ''} ${layout.unknownType ? 'unknown' : ''} ${layout.outdated ? 'outdated' : ''}`;
  // A focusable group (keyboard editing): the canvas selects it on focus and takes its keys.
  return svg`<g class=${classes} data-node-id=${String(node.id)} transform="translate(${pos.x},${pos.y})"
      tabindex="0" role="group" aria-roledescription="node" aria-label=${nodeTitle(node)} aria-selected=${selected ? 'true' : 'false'}
      @focus=${(e: FocusEvent) => e.target === e.currentTarget && actions.nodeFocus(e, node)}
      @keydown=${(e: KeyboardEvent) => e.target === e.currentTarget && actions.nodeKey(e, node)}>
    <rect class="box" width=${NODE_WIDTH} height=${h} rx="8"></rect>
    <rect class="head" width=${NODE_WIDTH} height=${HEADER_HEIGHT} rx="8"
      @pointerdown=${(e: PointerEvent) => actions.headPointerDown(e, node)}></rect>
    <text x="12" y="20">${nodeTitle(node)}</text>
    ${isNotes || readonly ? nothing : renderToggle(node, collapsed, actions)}
    ${renderProblemBadge(view.problems)}
    ${collapsed ? nothing : renderNote(layout, node)}
    ${isNotes && !brief
      ? svg`<foreignObject x="0" y=${HEADER_HEIGHT} width=${NODE_WIDTH} height=${NOTES_HEIGHT}>
          <textarea class="notes" aria-label="Notes" .value=${String(nodeData(node).notes ?? '')} ?disabled=${readonly}
            @change=${(e: Event) => actions.setNotes(node, (e.target as HTMLTextAreaElement).value)}></textarea>
        </foreignObject>`
      : inputs.map((f) => {
          // Connection-only inputs share their rows with the outputs, so they leave room on the right.
          const width = f.widget === 'none' ? NODE_WIDTH / 2 : layout.template ? NODE_WIDTH : NODE_WIDTH - 60;
          const isConnected = connected.has(f.name) && f.widget !== 'none';
          const rowClass = `row ${f.widget === 'textarea' ? 'tall' : ''} ${f.widget === 'none' ? 'handle-only' : ''} ${f.extra ? 'extra' : ''}`;
          return svg`<foreignObject x="0" y=${f.y} width=${width} height=${f.height}>
            <div class=${rowClass} data-field=${f.name} style=${f.widget === 'textarea' ? `height:${f.height}px` : ''}>
              <span class="label" title=${fieldDescription(f)}>${f.label}</span>${isConnected
                ? html`<span class="connected">connected</span>`
                : renderFieldValue(view, actions, f)}
            </div>
          </foreignObject>
          ${f.handle ? renderHandle(view, actions, 'input', f.name, f.template?.type, 0, f.y + ROW_HEIGHT / 2, `${f.label} (${f.name})`) : nothing}`;
        })}
    ${outputs.map((o) => {
      const cy = o.y + ROW_HEIGHT / 2;
      const tip = o.template ? `${o.label}: ${describeFieldType(o.template.type)}` : o.name;
      return svg`<text class="out-label" x=${NODE_WIDTH - 12} y=${cy + 4} text-anchor="end">${o.label}<title>${tip}</title></text>
        ${renderHandle(view, actions, 'output', o.name, o.template?.type, NODE_WIDTH, cy, tip)}`;
    })}
  </g>`;
}
