/**
 * fs-workflow-graph: the node graph drawn in SVG. Nodes are boxes with a title and their input
 * fields (graph-node.ts); edges are curves from an output handle (right) to an input handle (left)
 * (graph-edge.ts). The interactions live in controllers (controllers/): the viewport (fit, zoom,
 * pan), pointer gestures, the selection and click-to-connect.
 * Properties: nodes, edges, exposedFields (JSON arrays of the draft), readonly.
 * Interactions (not in readonly): drag a node by its title; edit input values in place; click an
 * output handle then an input handle to connect; click a node or edge to select it, then use the
 * toolbar (or Delete) to remove it; add nodes and input fields from the toolbar; drag the background
 * to pan, wheel to zoom.
 * Event `fs-graph-change` (detail: {nodes, edges, exposedFields}) on every edit.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  NODE_WIDTH,
  addEdge,
  addInputField,
  bounds,
  moveNode,
  newInvocationNode,
  nodeData,
  nodePosition,
  removeNode,
  setInputValue,
  setNodeData,
  type Point,
} from './graph-model.js';
import { nodeStyles, renderGraphNode, type NodeActions } from './graph-node.js';
import { edgeStyles, renderGraphEdge } from './graph-edge.js';
import { ViewportController, type ViewBox } from './controllers/viewport-controller.js';
import { PointerController } from './controllers/pointer-controller.js';
import { SelectionController } from './controllers/selection-controller.js';
import { ConnectController } from './controllers/connect-controller.js';
import { sharedStyles } from '../shared-styles.js';

export interface GraphChange {
  nodes: JsonObject[];
  edges: JsonObject[];
  exposedFields: JsonObject[];
}

@customElement('fs-workflow-graph')
export class WorkflowGraph extends LitElement {
  static override styles = [
    sharedStyles,
    nodeStyles,
    edgeStyles,
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
    `,
  ];

  @property({ attribute: false }) accessor nodes: JsonObject[] = [];
  @property({ attribute: false }) accessor edges: JsonObject[] = [];
  @property({ attribute: false }) accessor exposedFields: JsonObject[] = [];
  @property({ type: Boolean }) accessor readonly = false;
  @query('svg') private accessor svgEl!: SVGSVGElement | null;

  readonly viewport = new ViewportController(this);
  readonly selection = new SelectionController(this);
  readonly connect = new ConnectController(this);
  private readonly pointer = new PointerController(this, this.viewport);

  get svgElement(): SVGSVGElement | null {
    return this.svgEl;
  }

  contentBounds(): ViewBox {
    return bounds(this.nodes, this.edges);
  }

  moveNodeTo(id: string, to: Point): void {
    this.emit({ nodes: moveNode(this.nodes, id, to) });
  }

  private emit(change: Partial<GraphChange>): void {
    const detail: GraphChange = { nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields, ...change };
    this.dispatchEvent(new CustomEvent<GraphChange>('fs-graph-change', { detail, bubbles: true, composed: true }));
  }

  /** Fits the view to the nodes (first render and the "Fit" button). */
  fit(): void {
    this.viewport.fit();
  }

  private readonly nodeActions: NodeActions = {
    headPointerDown: (e, node) => {
      e.stopPropagation();
      const id = String(node.id);
      this.selection.set([id]);
      if (this.readonly) return;
      this.pointer.startNodeDrag(e, id, nodePosition(node));
    },
    inputHandleClick: (e, node, field) => {
      e.stopPropagation();
      if (this.readonly) return;
      const edge = this.connect.complete(String(node.id), field);
      if (edge) this.emit({ edges: addEdge(this.edges, edge) });
    },
    outputHandleClick: (e, node, output) => {
      e.stopPropagation();
      if (this.readonly) return;
      this.connect.start(String(node.id), output);
    },
    setOpen: (node, open) => this.emit({ nodes: setNodeData(this.nodes, String(node.id), { isOpen: open }) }),
    setInputValue: (node, field, value: JsonValue) => this.emit({ nodes: setInputValue(this.nodes, String(node.id), field, value) }),
    setNotes: (node, notes) => this.emit({ nodes: setNodeData(this.nodes, String(node.id), { notes }) }),
  };

  private onEdgePointerDown = (e: PointerEvent, edge: JsonObject): void => {
    e.stopPropagation();
    this.selection.set([], [String(edge.id)]);
  };

  private onBackgroundDown(e: PointerEvent): void {
    if (e.target !== this.svgEl) return;
    this.selection.clear();
    this.connect.cancel();
    this.pointer.startPan(e);
  }

  removeSelected(): void {
    const s = this.selection;
    if (s.empty || this.readonly) return;
    let wf: GraphChange = { nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields };
    wf = { ...wf, edges: wf.edges.filter((e) => !s.hasEdge(String(e.id))) };
    for (const id of s.nodes) wf = removeNode(wf, id);
    s.clear();
    this.emit(wf);
  }

  private addNode(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name=node-type]')!;
    const type = input.value.trim();
    if (!type) return;
    input.value = '';
    const v = this.viewport.view;
    const id = crypto.randomUUID();
    this.emit({ nodes: [...this.nodes, newInvocationNode(id, type, { x: v.x + v.w / 2 - NODE_WIDTH / 2, y: v.y + v.h / 2 - 40 })] });
    this.selection.set([id]);
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
    if (e.key === 'Escape') this.connect.cancel();
  }

  override render() {
    const v = this.viewport.view;
    const byId = new Map(this.nodes.map((n) => [String(n.id), n]));
    const sel = this.selection;
    const singleId = sel.singleNode;
    const selNode = singleId === null ? undefined : byId.get(singleId);
    const pending = this.connect.pending;
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
              <button class="danger" ?disabled=${sel.empty} @click=${this.removeSelected}>
                ${sel.nodes.size === 0 && sel.edges.size > 0 ? 'Remove edge' : 'Remove node'}
              </button>
              ${pending ? html`<span class="muted">Click an input to connect (Esc cancels)</span>` : nothing}`}
        <button @click=${this.fit} style="margin-left:auto">Fit</button>
      </div>
      <svg
        tabindex="0"
        role="img"
        aria-label="Workflow graph"
        viewBox="${v.x} ${v.y} ${v.w} ${v.h}"
        @pointerdown=${this.onBackgroundDown}
        @pointermove=${this.pointer.onMove}
        @pointerup=${this.pointer.onUp}
        @pointercancel=${this.pointer.onUp}
        @wheel=${this.viewport.onWheel}
        @keydown=${this.onKey}
      >
        ${this.edges.map((e) =>
          renderGraphEdge({ edge: e, nodesById: byId, edges: this.edges, selected: sel.hasEdge(String(e.id)) }, this.onEdgePointerDown),
        )}
        ${this.nodes.map((n) =>
          renderGraphNode(
            {
              node: n,
              edges: this.edges,
              selected: sel.hasNode(String(n.id)),
              readonly: this.readonly,
              pendingOutput: pending && pending.source === n.id ? pending.sourceHandle : null,
            },
            this.nodeActions,
          ),
        )}
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
