/**
 * fs-workflow-graph: the node graph drawn in SVG. Nodes are boxes with a title and their input
 * fields; edges are curves from an output handle (right) to an input handle (left).
 * Properties: nodes, edges, exposedFields (JSON arrays of the draft), readonly.
 * Interactions (not in readonly): drag a node by its title; edit input values in place; click an
 * output handle then an input handle to connect; click a node or edge to select it, then use the
 * toolbar (or Delete) to remove it; add nodes and input fields from the toolbar; drag the background
 * to pan, wheel to zoom.
 * Event `fs-graph-change` (detail: {nodes, edges, exposedFields}) on every edit.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  HEADER_HEIGHT,
  NODE_WIDTH,
  NOTES_HEIGHT,
  ROW_HEIGHT,
  addEdge,
  addInputField,
  bounds,
  edgeEnds,
  edgePath,
  isCollapsed,
  moveNode,
  newInvocationNode,
  nodeData,
  nodeHeight,
  nodeInputs,
  nodeOutputs,
  nodePosition,
  nodeTitle,
  removeNode,
  setInputValue,
  setNodeData,
  type Point,
} from './graph-model.js';
import { sharedStyles } from '../shared-styles.js';

export interface GraphChange {
  nodes: JsonObject[];
  edges: JsonObject[];
  exposedFields: JsonObject[];
}

type Selection = { kind: 'node'; id: string } | { kind: 'edge'; id: string } | null;

@customElement('fs-workflow-graph')
export class WorkflowGraph extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 20rem;
        border: 1px solid var(--fs-border);
        border-radius: 10px;
        overflow: hidden;
        background: var(--fs-canvas);
      }
      .toolbar {
        display: flex;
        gap: 0.4rem;
        padding: 0.4rem;
        flex-wrap: wrap;
        align-items: center;
        border-bottom: 1px solid var(--fs-border);
        background: var(--fs-surface);
      }
      .toolbar input {
        width: 10rem;
      }
      svg {
        flex: 1;
        width: 100%;
        min-height: 18rem;
        touch-action: none;
        user-select: none;
        cursor: grab;
      }
      .node rect.box {
        fill: var(--fs-surface);
        stroke: var(--fs-border);
        stroke-width: 1.5;
      }
      .node.selected rect.box {
        stroke: var(--fs-accent);
        stroke-width: 2.5;
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
      .edge {
        fill: none;
        stroke: var(--fs-edge);
        stroke-width: 2;
      }
      .edge-hit {
        fill: none;
        stroke: transparent;
        stroke-width: 12;
        cursor: pointer;
      }
      .edge.selected {
        stroke: var(--fs-accent);
        stroke-width: 3;
      }
      circle.handle {
        fill: var(--fs-surface);
        stroke: var(--fs-edge);
        stroke-width: 2;
        cursor: crosshair;
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
      circle.handle.pending {
        fill: var(--fs-accent);
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
    `,
  ];

  @property({ attribute: false }) accessor nodes: JsonObject[] = [];
  @property({ attribute: false }) accessor edges: JsonObject[] = [];
  @property({ attribute: false }) accessor exposedFields: JsonObject[] = [];
  @property({ type: Boolean }) accessor readonly = false;
  @state() accessor selection: Selection = null;
  /** output handle waiting for an input handle click */
  @state() private accessor pendingEdge: { source: string; sourceHandle: string } | null = null;
  @state() private accessor view: { x: number; y: number; w: number; h: number } | null = null;
  @query('svg') private accessor svgEl!: SVGSVGElement;
  private drag: { kind: 'node'; id: string; offset: Point } | { kind: 'pan'; start: Point; view: { x: number; y: number; w: number; h: number } } | null = null;

  private emit(change: Partial<GraphChange>): void {
    const detail: GraphChange = { nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields, ...change };
    this.dispatchEvent(new CustomEvent<GraphChange>('fs-graph-change', { detail, bubbles: true, composed: true }));
  }

  /** Fits the view to the nodes (first render and the "Fit" button). */
  fit(): void {
    this.view = bounds(this.nodes, this.edges);
  }

  override willUpdate(): void {
    if (!this.view) this.view = bounds(this.nodes, this.edges);
  }

  private toSvg(e: { clientX: number; clientY: number }): Point {
    const m = this.svgEl.getScreenCTM();
    if (!m) return { x: e.clientX, y: e.clientY };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  private onHeadDown(e: PointerEvent, node: JsonObject): void {
    e.stopPropagation();
    this.selection = { kind: 'node', id: String(node.id) };
    if (this.readonly) return;
    const p = this.toSvg(e);
    const pos = nodePosition(node);
    this.drag = { kind: 'node', id: String(node.id), offset: { x: p.x - pos.x, y: p.y - pos.y } };
    this.svgEl.setPointerCapture(e.pointerId);
  }

  private onBackgroundDown(e: PointerEvent): void {
    if (e.target !== this.svgEl) return;
    this.selection = null;
    this.pendingEdge = null;
    this.drag = { kind: 'pan', start: { x: e.clientX, y: e.clientY }, view: this.view! };
    this.svgEl.setPointerCapture(e.pointerId);
  }

  private onMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    if (d.kind === 'node') {
      const p = this.toSvg(e);
      this.emit({ nodes: moveNode(this.nodes, d.id, { x: p.x - d.offset.x, y: p.y - d.offset.y }) });
    } else {
      const rect = this.svgEl.getBoundingClientRect();
      const scale = Math.max(d.view.w / rect.width, d.view.h / rect.height);
      this.view = {
        ...d.view,
        x: d.view.x - (e.clientX - d.start.x) * scale,
        y: d.view.y - (e.clientY - d.start.y) * scale,
      };
    }
  }

  private onUp(): void {
    this.drag = null;
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const v = this.view!;
    const factor = e.deltaY > 0 ? 1.1 : 1 / 1.1;
    const p = this.toSvg(e);
    this.view = { x: p.x - (p.x - v.x) * factor, y: p.y - (p.y - v.y) * factor, w: v.w * factor, h: v.h * factor };
  }

  private onOutputClick(e: Event, node: JsonObject, output: string): void {
    e.stopPropagation();
    if (this.readonly) return;
    this.pendingEdge = { source: String(node.id), sourceHandle: output };
  }

  private onInputClick(e: Event, node: JsonObject, field: string): void {
    e.stopPropagation();
    const p = this.pendingEdge;
    if (this.readonly || !p || p.source === node.id) return;
    this.pendingEdge = null;
    this.emit({
      edges: addEdge(this.edges, {
        id: `reactflow__edge-${p.source}${p.sourceHandle}-${String(node.id)}${field}`,
        source: p.source,
        sourceHandle: p.sourceHandle,
        target: String(node.id),
        targetHandle: field,
      }),
    });
  }

  removeSelected(): void {
    const s = this.selection;
    if (!s || this.readonly) return;
    this.selection = null;
    if (s.kind === 'edge') this.emit({ edges: this.edges.filter((e) => e.id !== s.id) });
    else {
      const wf = removeNode({ nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields }, s.id);
      this.emit(wf);
    }
  }

  private addNode(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name=node-type]')!;
    const type = input.value.trim();
    if (!type) return;
    input.value = '';
    const v = this.view!;
    const id = crypto.randomUUID();
    this.emit({ nodes: [...this.nodes, newInvocationNode(id, type, { x: v.x + v.w / 2 - NODE_WIDTH / 2, y: v.y + v.h / 2 - 40 })] });
    this.selection = { kind: 'node', id };
  }

  private addField(nodeId: string): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name=field-name]')!;
    const name = input.value.trim();
    if (!name) return;
    input.value = '';
    this.emit({ nodes: addInputField(this.nodes, nodeId, name) });
  }

  private onKey(e: KeyboardEvent): void {
    const tag = (e.composedPath()[0] as HTMLElement | undefined)?.tagName ?? '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') return;
    if (e.key === 'Delete' || e.key === 'Backspace') this.removeSelected();
    if (e.key === 'Escape') this.pendingEdge = null;
  }

  private renderValue(node: JsonObject, name: string, value: JsonValue | undefined) {
    const id = String(node.id);
    const disabled = this.readonly;
    const label = `${nodeTitle(node)} ${name}`;
    if (typeof value === 'boolean') {
      return html`<input type="checkbox" aria-label=${label} .checked=${value} ?disabled=${disabled}
        @change=${(e: Event) => this.emit({ nodes: setInputValue(this.nodes, id, name, (e.target as HTMLInputElement).checked) })} />`;
    }
    if (typeof value === 'number') {
      return html`<input type="number" aria-label=${label} .value=${String(value)} ?disabled=${disabled}
        @change=${(e: Event) => {
          const n = Number((e.target as HTMLInputElement).value);
          if (Number.isFinite(n)) this.emit({ nodes: setInputValue(this.nodes, id, name, n) });
        }} />`;
    }
    if (typeof value === 'string' || value === undefined) {
      return html`<input aria-label=${label} .value=${value ?? ''} ?disabled=${disabled}
        @change=${(e: Event) => this.emit({ nodes: setInputValue(this.nodes, id, name, (e.target as HTMLInputElement).value) })} />`;
    }
    // Models, images, collections: shown, not edited here (they need InvokeAI's pickers).
    return html`<code title=${JSON.stringify(value)}>${JSON.stringify(value)}</code>`;
  }

  /** Collapse / expand (InvokeAI's isOpen): a small button at the right of the title bar. */
  private renderToggle(node: JsonObject, collapsed: boolean) {
    const label = `${collapsed ? 'Expand' : 'Collapse'} ${nodeTitle(node)}`;
    const toggle = (e: Event) => {
      e.stopPropagation();
      this.emit({ nodes: setNodeData(this.nodes, String(node.id), { isOpen: collapsed }) });
    };
    return svg`<g class="toggle" role="button" aria-label=${label} tabindex="0"
        transform="translate(${NODE_WIDTH - 26},${HEADER_HEIGHT / 2})"
        @pointerdown=${(e: Event) => e.stopPropagation()} @click=${toggle}
        @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && toggle(e)}>
      <rect x="-10" y="-10" width="20" height="20" rx="4"></rect>
      <path d=${collapsed ? 'M-3,-5 L3,0 L-3,5' : 'M-5,-3 L0,3 L5,-3'}></path><title>${label}</title>
    </g>`;
  }

  private renderNode(node: JsonObject) {
    const pos = nodePosition(node);
    const h = nodeHeight(node, this.edges);
    const selected = this.selection?.kind === 'node' && this.selection.id === node.id;
    const isNotes = node.type === 'notes';
    const collapsed = isCollapsed(node);
    const inputs = collapsed ? [] : nodeInputs(node);
    const outputs = isNotes || collapsed ? [] : nodeOutputs(node, this.edges);
    return svg`<g class="node ${selected ? 'selected' : ''}" data-node-id=${String(node.id)}
        transform="translate(${pos.x},${pos.y})">
      <rect class="box" width=${NODE_WIDTH} height=${h} rx="8"></rect>
      <rect class="head" width=${NODE_WIDTH} height=${HEADER_HEIGHT} rx="8"
        @pointerdown=${(e: PointerEvent) => this.onHeadDown(e, node)}></rect>
      <text x="12" y="20">${nodeTitle(node)}</text>
      ${isNotes || this.readonly ? nothing : this.renderToggle(node, collapsed)}
      ${isNotes
        ? svg`<foreignObject x="0" y=${HEADER_HEIGHT} width=${NODE_WIDTH} height=${NOTES_HEIGHT}>
            <textarea class="notes" aria-label="Notes" .value=${String(nodeData(node).notes ?? '')} ?disabled=${this.readonly}
              @change=${(e: Event) => this.emit({ nodes: setNodeData(this.nodes, String(node.id), { notes: (e.target as HTMLTextAreaElement).value }) })}></textarea>
          </foreignObject>`
        : inputs.map(
            (f, i) => svg`<foreignObject x="0" y=${HEADER_HEIGHT + i * ROW_HEIGHT} width=${NODE_WIDTH - 60} height=${ROW_HEIGHT}>
              <div class="row"><span title=${f.name}>${f.label}</span>${this.renderValue(node, f.name, f.value)}</div>
            </foreignObject>
            <circle class="handle in" r="6" cx="0" cy=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2}
              data-field=${f.name} @pointerdown=${(e: Event) => e.stopPropagation()}
              @click=${(e: Event) => this.onInputClick(e, node, f.name)}><title>${f.name}</title></circle>`,
          )}
      ${outputs.map((o, i) => {
        const pe = this.pendingEdge;
        const pending = pe !== null && pe.source === node.id && pe.sourceHandle === o;
        return svg`<text x=${NODE_WIDTH - 12} y=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2 + 4}
            text-anchor="end" style="font-weight:400;font-size:11px">${o}</text>
          <circle class="handle out ${pending ? 'pending' : ''}" r="6" cx=${NODE_WIDTH} cy=${HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2}
            data-output=${o} @pointerdown=${(e: Event) => e.stopPropagation()}
            @click=${(e: Event) => this.onOutputClick(e, node, o)}><title>${o}</title></circle>`;
      })}
    </g>`;
  }

  override render() {
    const v = this.view ?? bounds(this.nodes, this.edges);
    const byId = new Map(this.nodes.map((n) => [String(n.id), n]));
    const sel = this.selection;
    const selNode = sel?.kind === 'node' ? byId.get(sel.id) : undefined;
    return html`
      <div class="toolbar" role="toolbar" aria-label="Graph tools">
        ${this.readonly
          ? html`<span class="muted">Read-only</span>`
          : html`<input name="node-type" placeholder="Node type, e.g. noise" aria-label="Node type"
                @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addNode()} />
              <button @click=${this.addNode}>Add node</button>
              ${selNode
                ? html`<input aria-label="Node label" placeholder="Label" .value=${String(nodeData(selNode).label ?? '')}
                      @change=${(e: Event) => this.emit({ nodes: setNodeData(this.nodes, String(selNode.id), { label: (e.target as HTMLInputElement).value }) })} />
                    ${selNode.type === 'notes'
                      ? nothing
                      : html`<input name="field-name" placeholder="New field name" aria-label="New field name"
                            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addField(String(selNode.id))} />
                          <button @click=${() => this.addField(String(selNode.id))}>Add field</button>`}`
                : nothing}
              <button class="danger" ?disabled=${!sel} @click=${this.removeSelected}>
                ${sel?.kind === 'edge' ? 'Remove edge' : 'Remove node'}
              </button>
              ${this.pendingEdge ? html`<span class="muted">Click an input to connect (Esc cancels)</span>` : nothing}`}
        <button @click=${this.fit} style="margin-left:auto">Fit</button>
      </div>
      <svg
        tabindex="0"
        role="img"
        aria-label="Workflow graph"
        viewBox="${v.x} ${v.y} ${v.w} ${v.h}"
        @pointerdown=${this.onBackgroundDown}
        @pointermove=${this.onMove}
        @pointerup=${this.onUp}
        @pointercancel=${this.onUp}
        @wheel=${this.onWheel}
        @keydown=${this.onKey}
      >
        ${this.edges.map((e) => {
          const ends = edgeEnds(e, byId, this.edges);
          if (!ends) return nothing;
          const d = edgePath(ends);
          const selected = sel?.kind === 'edge' && sel.id === e.id;
          return svg`<path class="edge ${selected ? 'selected' : ''}" d=${d} data-edge-id=${String(e.id)}></path>
            <path class="edge-hit" d=${d} @pointerdown=${(ev: Event) => {
              ev.stopPropagation();
              this.selection = { kind: 'edge', id: String(e.id) };
            }}></path>`;
        })}
        ${this.nodes.map((n) => this.renderNode(n))}
      </svg>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-graph': WorkflowGraph;
  }
  interface HTMLElementEventMap {
    'fs-graph-change': CustomEvent<GraphChange>;
  }
}
