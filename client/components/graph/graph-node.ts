/**
 * Draws one node of the graph as SVG: its box, title bar, collapse toggle, input rows (label, value
 * widget, input handle) and output handles, or the text area of a notes node.
 * A plain function over the node JSON (SVG cannot hold custom elements), so the canvas stays the only
 * element; what happens on a click or an edit is the canvas' business, passed in as NodeActions.
 * Field widgets are drawn by renderFieldValue, the seam for typed widgets per field type.
 */
import { css, html, nothing, svg } from 'lit';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  HEADER_HEIGHT,
  NODE_WIDTH,
  NOTES_HEIGHT,
  ROW_HEIGHT,
  isCollapsed,
  nodeData,
  nodeHeight,
  nodeInputs,
  nodeOutputs,
  nodePosition,
  nodeTitle,
} from './graph-model.js';

/** What the canvas does when the user acts on a node. */
export interface NodeActions {
  /** pointer down on the title bar (select, start a drag) */
  headPointerDown(e: PointerEvent, node: JsonObject): void;
  inputHandleClick(e: Event, node: JsonObject, field: string): void;
  outputHandleClick(e: Event, node: JsonObject, output: string): void;
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
}

export const nodeStyles = css`
  .node rect.box {
    fill: var(--fs-surface);
    stroke: var(--fs-border);
    stroke-width: 1.5;
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
  circle.handle:focus-visible {
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
  circle.handle {
    fill: var(--fs-surface);
    stroke: var(--fs-edge);
    stroke-width: 2;
    cursor: crosshair;
  }
  circle.handle.pending {
    fill: var(--fs-accent);
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
  }
  .row span {
    flex: 0 0 40%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row input {
    flex: 1;
    min-width: 0;
    padding: 2px 4px;
    font-size: 12px;
  }
  .row code {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  textarea.notes {
    width: calc(100% - 16px);
    height: ${NOTES_HEIGHT - 10}px;
    margin: 4px 8px;
    font-size: 12px;
    resize: none;
  }
`;

/** The widget for one input value, chosen by the JSON type of the value. */
export function renderFieldValue(view: NodeView, actions: NodeActions, name: string, value: JsonValue | undefined) {
  const { node, readonly } = view;
  const label = `${nodeTitle(node)} ${name}`;
  if (typeof value === 'boolean') {
    return html`<input type="checkbox" aria-label=${label} .checked=${value} ?disabled=${readonly}
      @change=${(e: Event) => actions.setInputValue(node, name, (e.target as HTMLInputElement).checked)} />`;
  }
  if (typeof value === 'number') {
    return html`<input type="number" aria-label=${label} .value=${String(value)} ?disabled=${readonly}
      @change=${(e: Event) => {
        const n = Number((e.target as HTMLInputElement).value);
        if (Number.isFinite(n)) actions.setInputValue(node, name, n);
      }} />`;
  }
  if (typeof value === 'string' || value === undefined) {
    return html`<input aria-label=${label} .value=${value ?? ''} ?disabled=${readonly}
      @change=${(e: Event) => actions.setInputValue(node, name, (e.target as HTMLInputElement).value)} />`;
  }
  // Models, images, collections: shown, not edited here (they need InvokeAI's pickers).
  return html`<code title=${JSON.stringify(value)}>${JSON.stringify(value)}</code>`;
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

export function renderGraphNode(view: NodeView, actions: NodeActions) {
  const { node, edges, selected, readonly, pendingOutput } = view;
  const pos = nodePosition(node);
  const h = nodeHeight(node, edges);
  const isNotes = node.type === 'notes';
  const collapsed = isCollapsed(node);
  const inputs = collapsed ? [] : nodeInputs(node);
  const outputs = isNotes || collapsed ? [] : nodeOutputs(node, edges);
  const title = nodeTitle(node);
  // Enter or Space on a handle acts as its click (keyboard connecting).
  const press = (e: KeyboardEvent, act: (e: Event) => void) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    e.stopPropagation();
    act(e);
  };
  return svg`<g class="node ${selected ? 'selected' : ''}" data-node-id=${String(node.id)}
      tabindex="0" role="group" aria-roledescription="node" aria-label=${title} aria-selected=${selected ? 'true' : 'false'}
      @focus=${(e: FocusEvent) => e.target === e.currentTarget && actions.nodeFocus(e, node)}
      @keydown=${(e: KeyboardEvent) => e.target === e.currentTarget && actions.nodeKey(e, node)}
      transform="translate(${pos.x},${pos.y})">
    <rect class="box" width=${NODE_WIDTH} height=${h} rx="8"></rect>
    <rect class="head" width=${NODE_WIDTH} height=${HEADER_HEIGHT} rx="8"
      @pointerdown=${(e: PointerEvent) => actions.headPointerDown(e, node)}></rect>
    <text x="12" y="20">${title}</text>
    ${isNotes || readonly ? nothing : renderToggle(node, collapsed, actions)}
    ${isNotes
      ? svg`<foreignObject x="0" y=${HEADER_HEIGHT} width=${NODE_WIDTH} height=${NOTES_HEIGHT}>
          <textarea class="notes" aria-label="Notes" .value=${String(nodeData(node).notes ?? '')} ?disabled=${readonly}
            @change=${(e: Event) => actions.setNotes(node, (e.target as HTMLTextAreaElement).value)}></textarea>
        </foreignObject>`
      : inputs.map(
          (f, i) => svg`<foreignObject x="0" y=${HEADER_HEIGHT + i * ROW_HEIGHT} width=${NODE_WIDTH - 60} height=${ROW_HEIGHT}>
            <div class="row"><span title=${f.name}>${f.label}</span>${renderFieldValue(view, actions, f.name, f.value)}</div>
          </foreignObject>
          <circle class="handle in" r="6" cx="0" cy=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2}
            data-field=${f.name} tabindex=${readonly ? '-1' : '0'} role="button" aria-label=${`Connect to ${title} ${f.label}`}
            @pointerdown=${(e: Event) => e.stopPropagation()}
            @keydown=${(e: KeyboardEvent) => press(e, (ev) => actions.inputHandleClick(ev, node, f.name))}
            @click=${(e: Event) => actions.inputHandleClick(e, node, f.name)}><title>${f.name}</title></circle>`,
        )}
    ${outputs.map((o, i) => {
      const pending = pendingOutput === o;
      return svg`<text x=${NODE_WIDTH - 12} y=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2 + 4}
          text-anchor="end" style="font-weight:400;font-size:11px">${o}</text>
        <circle class="handle out ${pending ? 'pending' : ''}" r="6" cx=${NODE_WIDTH} cy=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2}
          data-output=${o} tabindex=${readonly ? '-1' : '0'} role="button" aria-label=${`Connect from ${title} ${o}`}
          aria-pressed=${pending ? 'true' : 'false'} @pointerdown=${(e: Event) => e.stopPropagation()}
          @keydown=${(e: KeyboardEvent) => press(e, (ev) => actions.outputHandleClick(ev, node, o))}
          @click=${(e: Event) => actions.outputHandleClick(e, node, o)}><title>${o}</title></circle>`;
    })}
  </g>`;
}
