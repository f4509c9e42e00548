/**
 * fs-workflow-graph: the node graph drawn in SVG. Nodes are boxes with a title and their input
 * fields (graph-node.ts); edges are curves from an output handle (right) to an input handle (left)
 * (graph-edge.ts). The interactions live in controllers (controllers/): the viewport (fit, zoom,
 * pan), pointer gestures (drag, pan, box select), the selection, click-to-connect and the keys.
 * Properties: nodes, edges, exposedFields (JSON arrays of the draft), readonly, fitKey (a new value
 * fits the view again: another workflow was opened or loaded).
 * Interactions (not in readonly): drag nodes by their title (snapped to the grid when Snap is on);
 * edit input values in place; click (or Enter on) an output handle then an input handle to connect;
 * click a node or edge to select it, Shift+click to add to the selection, Shift+drag (or drag in
 * Select mode) to box select; copy, paste, duplicate, delete and move the selection with the keys of
 * hotkeys.ts; add nodes and input fields from the toolbar; auto layout; drag the background to pan,
 * wheel or the zoom buttons to zoom; the minimap to move around.
 * Event `fs-graph-change` (detail: {nodes, edges, exposedFields, mergeKey?}) on every edit.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  addInputField,
  bounds,
  nodeData,
  nodePosition,
  removeNode,
  setInputValue,
  setNodeData,
  type Point,
} from './graph-model.js';
import { boundsOf, copyNodes, edgeKey, moveNodesBy, nodesInRect, pasteNodes, placeNodes, type GraphClip, type Rect } from './graph-edits.js';
import { autoLayout } from './graph-layout.js';
import { nodeStyles, problemsByNode, renderGraphNode, type NodeActions } from './graph-node.js';
import type { WorkflowProblem } from '../../../shared/workflow/graph-checks.js';
import { edgeStyles, renderGraphEdge } from './graph-edge.js';
import { minimapStyles, renderMinimap } from './graph-minimap.js';
import { ViewportController, type ViewBox } from './controllers/viewport-controller.js';
import { PointerController } from './controllers/pointer-controller.js';
import { renderMarks, type CanvasMarks } from './graph-marks.js';
import { SelectionController } from './controllers/selection-controller.js';
import { ConnectController } from './controllers/connect-controller.js';
import { GraphKeysController } from './controllers/graph-keys-controller.js';
import { ConnectDragController } from './controllers/connect-drag-controller.js';
import type { DragStart } from '../../../shared/workflow/connection-rules.js';
import { templateFor } from '../../../shared/node-templates/index.js';
import { AddNodeController } from './controllers/add-node-controller.js';
import { inspectorStyles, renderNodeInspector } from './node-inspector.js';
import { detailedNodeIds } from './level-of-detail.js';
import type { HotkeysDialog } from './hotkeys-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import { loadCanvasPrefs, saveCanvasPrefs } from './canvas-prefs.js';
import './hotkeys-dialog.js';

export interface GraphChange {
  nodes: JsonObject[];
  edges: JsonObject[];
  exposedFields: JsonObject[];
  /** changes with the same key in a row are one undo step (one drag); absent: a step of its own */
  mergeKey?: string;
}

/**
 * What Copy took, for Paste in any graph of this tab (the in-app clipboard, as InvokeAI's: the system
 * clipboard would need a permission prompt to read).
 */
let clipboard: GraphClip | null = null;

@customElement('fs-workflow-graph')
export class WorkflowGraph extends LitElement {
  static override styles = [
    sharedStyles,
    nodeStyles,
    edgeStyles,
    minimapStyles,
    inspectorStyles,
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
      /* On the canvas, as React Flow's controls in InvokeAI: the toolbar stays short on a phone. */
      .view-tools {
        position: absolute;
        left: 8px;
        top: 8px;
        display: flex;
        gap: 0.25rem;
        flex-wrap: wrap;
        max-width: calc(100% - 16px);
        padding: 0.25rem;
        border: 1px solid var(--fs-border);
        border-radius: 8px;
        background: var(--fs-surface);
      }
      .view-tools button {
        padding: 0.2rem 0.5rem;
        font-size: 0.8rem;
        min-height: 2rem;
      }
      .view-tools button[aria-pressed='true'] {
        background: var(--fs-hover);
        border-color: var(--fs-accent);
      }
      .stage {
        position: relative;
        flex: 1;
        display: flex;
        min-height: 18rem;
      }
      svg.canvas {
        flex: 1;
        width: 100%;
        min-height: 18rem;
        touch-action: none;
        user-select: none;
        cursor: grab;
      }
      svg.canvas.selecting {
        cursor: crosshair;
      }
      svg.canvas:focus-visible {
        outline: 2px solid var(--fs-accent);
        outline-offset: -2px;
      }
      rect.marquee {
        fill: color-mix(in srgb, var(--fs-accent) 12%, transparent);
        stroke: var(--fs-accent);
        stroke-dasharray: 4 3;
      }
      .connect-status {
        position: absolute;
        left: 0.5rem;
        bottom: 0.5rem;
        margin: 0;
        max-width: calc(100% - 1rem);
        padding: 0.3rem 0.6rem;
        border-radius: 6px;
        background: var(--fs-surface);
        border: 1px solid var(--fs-border);
        font-size: 0.85rem;
      }
      .sr-only {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
      }
    `,
  ];

  @property({ attribute: false }) accessor nodes: JsonObject[] = [];
  @property({ attribute: false }) accessor edges: JsonObject[] = [];
  @property({ attribute: false }) accessor exposedFields: JsonObject[] = [];
  @property({ type: Boolean }) accessor readonly = false;
  /** the graph checks' findings, shown as a badge on each node concerned */
  @property({ attribute: false }) accessor problems: readonly WorkflowProblem[] = [];
  /** a new value fits the view to the nodes (another workflow opened or loaded) */
  @property({ attribute: false }) accessor fitKey: unknown = undefined;
  /** History's differences and other devices' selections, drawn over the nodes (graph-marks.ts) */
  @property({ attribute: false }) accessor marks: CanvasMarks | null = null;
  /** drag positions land on the 25-unit grid (kept between visits, canvas-prefs.ts) */
  @state() accessor snap = loadCanvasPrefs().snap;
  /** a background drag draws a selection box instead of panning (touch screens have no Shift) */
  @state() accessor selectMode = false;
  @state() accessor showMinimap = loadCanvasPrefs().minimap;
  @query('svg.canvas') private accessor svgEl!: SVGSVGElement | null;
  @query('fs-hotkeys-dialog') private accessor hotkeys!: HotkeysDialog;

  readonly viewport = new ViewportController(this);
  readonly selection = new SelectionController(this);
  readonly connect = new ConnectController(this);
  private readonly pointer = new PointerController(this, this.viewport);
  private readonly keys = new GraphKeysController(this);
  readonly dragConnect = new ConnectDragController(this, this.viewport);
  readonly adder = new AddNodeController(this, this.viewport);

  get svgElement(): SVGSVGElement | null {
    return this.svgEl;
  }

  contentBounds(): ViewBox {
    return bounds(this.nodes, this.edges);
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('fitKey') && changed.get('fitKey') !== undefined) this.viewport.fit();
    if (changed.has('nodes') || changed.has('edges')) {
      // An undo, a remote edit or a delete may take selected things away.
      this.selection.retain(new Set(this.nodes.map((n) => String(n.id))), new Set(this.edges.map(edgeKey)));
    }
  }

  private announcedSelection: ReadonlySet<string> = new Set();

  /** `fs-selection-change` (detail: the selected node ids) whenever the node selection changes: presence shows it. */
  override updated(): void {
    if (this.selection.nodes === this.announcedSelection) return;
    this.announcedSelection = this.selection.nodes;
    this.dispatchEvent(new CustomEvent<string[]>('fs-selection-change', { detail: [...this.selection.nodes], bubbles: true, composed: true }));
  }

  private emit(change: Partial<GraphChange>): void {
    const detail: GraphChange = { nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields, ...change };
    this.dispatchEvent(new CustomEvent<GraphChange>('fs-graph-change', { detail, bubbles: true, composed: true }));
  }

  // ---- PointerHost ----

  placeNodes(to: ReadonlyMap<string, Point>, mergeKey: string): void {
    this.emit({ nodes: placeNodes(this.nodes, to), mergeKey });
  }

  selectInRect(rect: Rect, additive: boolean): void {
    const hit = nodesInRect(this.nodes, this.edges, rect);
    this.selection.set(additive ? [...this.selection.nodes, ...hit] : hit, additive ? this.selection.edges : []);
  }

  // ---- ConnectDragHost, AddNodeHost ----

  applyEdges(edges: JsonObject[]): void {
    this.emit({ edges });
  }

  offerNodes(from: DragStart, _at: Point, client: { x: number; y: number }): void {
    this.adder.offerFor(from, client);
  }

  addBuilt(nodes: JsonObject[], edges: JsonObject[], newId: string): void {
    this.emit({ nodes, edges });
    this.selection.set([newId]);
  }

  announce(message: string): void {
    this.dragConnect.message = message;
    this.requestUpdate();
  }

  /** Selects a node and centres the view on it (the problems panel's "show me"). */
  showNode(id: string): void {
    const node = this.nodes.find((n) => String(n.id) === id);
    if (!node) return;
    this.selection.set([id]);
    const r = boundsOf([node], this.edges)!;
    this.centreOn({ x: r.x + r.w / 2, y: r.y + r.h / 2 });
  }

  // ---- GraphKeysHost ----

  /** Fits the view to the nodes (first render, another workflow, the Fit button, Shift+1). */
  fit(): void {
    this.viewport.fit();
  }

  zoom(factor: number): void {
    this.viewport.zoom(factor);
  }

  selectAll(): void {
    this.selection.set(this.nodes.map((n) => String(n.id)));
  }

  removeSelected(): void {
    const s = this.selection;
    if (s.empty || this.readonly) return;
    let wf: GraphChange = { nodes: this.nodes, edges: this.edges, exposedFields: this.exposedFields };
    wf = { ...wf, edges: wf.edges.filter((e) => !s.hasEdge(edgeKey(e))) };
    for (const id of s.nodes) wf = removeNode(wf, id);
    s.clear();
    this.emit(wf);
    this.svgEl?.focus();
  }

  copySelection(): void {
    if (this.selection.nodes.size === 0) return;
    clipboard = copyNodes(this.nodes, this.edges, this.selection.nodes);
  }

  paste(withEdges = false): void {
    if (!clipboard || clipboard.nodes.length === 0 || this.readonly) return;
    this.insertCopy(clipboard, withEdges);
  }

  duplicateSelection(): void {
    if (this.selection.nodes.size === 0 || this.readonly) return;
    this.insertCopy(copyNodes(this.nodes, this.edges, this.selection.nodes));
  }

  private insertCopy(clip: GraphClip, withEdges = false): void {
    const { nodes, edges, pastedIds } = pasteNodes(this.nodes, this.edges, clip, () => crypto.randomUUID(), withEdges);
    this.emit({ nodes, edges });
    this.selection.set(pastedIds);
    this.revealNodes(nodes.filter((n) => pastedIds.includes(String(n.id))), edges);
  }

  moveSelectionBy(dx: number, dy: number): void {
    if (this.selection.nodes.size === 0) return;
    this.emit({ nodes: moveNodesBy(this.nodes, this.selection.nodes, dx, dy), mergeKey: 'keys:move' });
  }

  escape(): boolean {
    if (this.connect.pending) {
      this.connect.cancel();
      return true;
    }
    if (this.selection.empty) return false;
    this.selection.clear();
    return true;
  }

  leaveField(from: EventTarget): void {
    const row = from instanceof Element ? from.closest('g.node') : null;
    if (row instanceof SVGGElement) row.focus();
  }

  showHotkeys(): void {
    void this.hotkeys.show();
  }

  // ---- view ----

  /** Pans (keeping the zoom) so that these nodes are on screen, when some are not. */
  private revealNodes(nodes: JsonObject[], edges: JsonObject[]): void {
    const r = boundsOf(nodes, edges);
    const v = this.viewport.view;
    if (!r || (r.x >= v.x && r.y >= v.y && r.x + r.w <= v.x + v.w && r.y + r.h <= v.y + v.h)) return;
    this.centreOn({ x: r.x + r.w / 2, y: r.y + r.h / 2 });
  }

  private centreOn = (p: Point): void => {
    const v = this.viewport.view;
    this.viewport.view = { ...v, x: p.x - v.w / 2, y: p.y - v.h / 2 };
  };

  private layout(): void {
    if (this.readonly || this.nodes.length === 0) return;
    this.emit({ nodes: autoLayout(this.nodes, this.edges) });
    // The layout's box, not the old one: fit once the new positions are back in.
    void this.updateComplete.then(() => this.viewport.fit());
  }

  // ---- node and edge actions ----

  private readonly nodeActions: NodeActions = {
    headPointerDown: (e, node) => {
      e.stopPropagation();
      const id = String(node.id);
      const sel = this.selection;
      if (e.shiftKey) sel.addNode(id, true);
      else if (!sel.hasNode(id)) sel.set([id]);
      if (this.readonly || !sel.hasNode(id)) return;
      const origins = new Map(this.nodes.filter((n) => sel.hasNode(String(n.id))).map((n) => [String(n.id), nodePosition(n)]));
      this.pointer.startNodeDrag(e, id, origins);
    },
    inputHandleClick: (e, node, field) => {
      e.stopPropagation();
      if (this.readonly) return;
      const edge = this.connect.complete(String(node.id), field);
      // Click-to-connect follows the same rules as a drag (and says why when it refuses).
      if (edge) this.dragConnect.connect(edge);
    },
    outputHandleClick: (e, node, output) => {
      e.stopPropagation();
      if (this.readonly) return;
      this.connect.start(String(node.id), output);
    },
    handlePointerDown: (e, node, kind, handle) => this.dragConnect.begin(e, node, kind, handle),
    setOpen: (node, open) => this.emit({ nodes: setNodeData(this.nodes, String(node.id), { isOpen: open }) }),
    setInputValue: (node, field, value: JsonValue) => this.emit({ nodes: setInputValue(this.nodes, String(node.id), field, value) }),
    setNotes: (node, notes) => this.emit({ nodes: setNodeData(this.nodes, String(node.id), { notes }) }),
    nodeFocus: (_e, node) => {
      // Tabbing to a node selects it (a listbox's habit), unless it is part of the selection already.
      const id = String(node.id);
      if (!this.selection.hasNode(id)) this.selection.set([id]);
      this.revealNodes([node], this.edges);
    },
    nodeKey: (e, node) => {
      const id = String(node.id);
      if (e.key === 'Enter') {
        // Into the node: its first field, else its first handle or button.
        e.preventDefault();
        const g = this.renderRoot.querySelector(`g.node[data-node-id="${CSS.escape(id)}"]`);
        const field = g?.querySelector<HTMLElement>('input:not([disabled]), textarea:not([disabled]), select:not([disabled])');
        (field ?? g?.querySelector<SVGElement>('.handle[tabindex="0"], [tabindex="0"]'))?.focus();
      } else if (e.key === ' ') {
        e.preventDefault();
        if (e.shiftKey) this.selection.addNode(id, true);
        else this.selection.set([id]);
      }
    },
  };

  private onEdgePointerDown = (e: PointerEvent, edge: JsonObject): void => {
    e.stopPropagation();
    if (e.shiftKey) this.selection.addEdge(edgeKey(edge), true);
    else this.selection.set([], [edgeKey(edge)]);
  };

  private onBackgroundDown(e: PointerEvent): void {
    if (e.target !== this.svgEl) return;
    this.connect.cancel();
    if (e.shiftKey || this.selectMode) {
      this.pointer.startBox(e, e.shiftKey);
      return;
    }
    this.selection.clear();
    this.pointer.startPan(e);
  }

  private addField(nodeId: string): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name=field-name]')!;
    const name = input.value.trim();
    if (!name) return;
    input.value = '';
    this.emit({ nodes: addInputField(this.nodes, nodeId, name) });
  }

  private setPrefs(change: { snap?: boolean; minimap?: boolean }): void {
    this.snap = change.snap ?? this.snap;
    this.showMinimap = change.minimap ?? this.showMinimap;
    saveCanvasPrefs({ snap: this.snap, minimap: this.showMinimap });
  }

  private renderViewTools() {
    const toggle = (label: string, pressed: boolean, flip: () => void, title: string) =>
      html`<button aria-pressed=${pressed ? 'true' : 'false'} title=${title} @click=${flip}>${label}</button>`;
    return html`<div class="view-tools" role="group" aria-label="View">
      <button aria-label="Zoom in" title="Zoom in (+)" @click=${() => this.zoom(1 / 1.2)}>+</button>
      <button aria-label="Zoom out" title="Zoom out (-)" @click=${() => this.zoom(1.2)}>−</button>
      <button @click=${this.fit} title="Fit the view (Shift+1)">Fit</button>
      ${this.readonly
        ? nothing
        : html`${toggle('Select', this.selectMode, () => (this.selectMode = !this.selectMode), 'Drag on the canvas selects (Shift+drag always does)')}
            ${toggle('Snap', this.snap, () => this.setPrefs({ snap: !this.snap }), 'Snap to grid')}
            <button @click=${this.layout} title="Arrange the nodes along their connections">Auto layout</button>`}
      ${toggle('Minimap', this.showMinimap, () => this.setPrefs({ minimap: !this.showMinimap }), 'Show the minimap')}
      <button aria-label="Keyboard shortcuts" title="Keyboard shortcuts (Shift+?)" @click=${this.showHotkeys}>?</button>
    </div>`;
  }

  override render() {
    const v = this.viewport.view;
    const byId = new Map(this.nodes.map((n) => [String(n.id), n]));
    const sel = this.selection;
    const singleId = sel.singleNode;
    const selNode = singleId === null ? undefined : byId.get(singleId);
    const pending = this.connect.pending;
    const box = this.pointer.box;
    const selectedCount = sel.nodes.size + sel.edges.size;
    const detailed = detailedNodeIds(this.nodes, this.edges, v);
    return html`
      <div class="toolbar" role="toolbar" aria-label="Graph tools">
        ${this.readonly
          ? html`<span class="muted">Read-only</span>`
          : html`<button title="Add node (Shift+A, Space, or a double click on the canvas)"
                @click=${() => this.adder.openAtPointer()}>Add node</button>
              ${selNode
                ? html`<input aria-label="Node label" placeholder="Label" .value=${String(nodeData(selNode).label ?? '')}
                      @change=${(e: Event) => this.emit({ nodes: setNodeData(this.nodes, String(selNode.id), { label: (e.target as HTMLInputElement).value }) })} />
                    ${selNode.type === 'notes' || templateFor(String(nodeData(selNode).type))
                      ? nothing
                      : html`<input name="field-name" placeholder="New field name" aria-label="New field name"
                            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addField(String(selNode.id))} />
                          <button @click=${() => this.addField(String(selNode.id))}>Add field</button>`}`
                : nothing}
              <button class="danger" ?disabled=${sel.empty} @click=${this.removeSelected}>
                ${sel.nodes.size === 0 && sel.edges.size > 0 ? 'Remove edge' : 'Remove node'}
              </button>
              ${pending ? html`<span class="muted">Click an input to connect (Esc cancels)</span>` : nothing}`}
      </div>
      <div class="stage">
        <svg
          class="canvas ${this.selectMode ? 'selecting' : ''}"
          tabindex="0"
          role="group"
          aria-roledescription="workflow graph"
          aria-label="Workflow graph"
          aria-describedby="graph-help"
          viewBox="${v.x} ${v.y} ${v.w} ${v.h}"
          @pointerdown=${this.onBackgroundDown}
          @pointermove=${this.pointer.onMove}
          @pointerup=${this.pointer.onUp}
          @pointercancel=${this.pointer.onUp}
          @wheel=${this.viewport.onWheel}
        >
          ${this.edges.map((e) =>
            renderGraphEdge({ edge: e, nodesById: byId, edges: this.edges, selected: sel.hasEdge(edgeKey(e)) }, this.onEdgePointerDown),
          )}
          ${this.nodes.map((n) =>
            renderGraphNode(
              {
                node: n,
                edges: this.edges,
                selected: sel.hasNode(String(n.id)),
                readonly: this.readonly,
                pendingOutput: pending && pending.source === n.id ? pending.sourceHandle : null,
                ...this.dragConnect.viewFor(String(n.id)),
                lowDetail: !detailed.has(String(n.id)),
                problems: problemsByNode(this.problems).get(String(n.id)),
              },
              this.nodeActions,
            ),
          )}
          ${renderMarks(this.marks, byId, this.edges)}
          ${this.dragConnect.renderOverlay()}
          ${box ? svg`<rect class="marquee" x=${box.x} y=${box.y} width=${box.w} height=${box.h}></rect>` : nothing}
        </svg>
        ${this.showMinimap && this.nodes.length > 0
          ? renderMinimap(
              { nodes: this.nodes, edges: this.edges, content: this.contentBounds(), view: v, isSelected: (id) => sel.hasNode(id) },
              this.centreOn,
            )
          : nothing}
        ${this.renderViewTools()}
        <p id="graph-help" class="sr-only">
          Tab moves between nodes and their fields. Arrow keys move the selected nodes. Shift+? lists every key.
        </p>
        <p class="sr-only" role="status">${selectedCount > 0 ? `${selectedCount} selected` : ''}</p>
        <p class="connect-status" role="status" aria-live="polite" ?hidden=${!this.dragConnect.message}>${this.dragConnect.message}</p>
        ${this.adder.render()}
      </div>
      ${selNode
        ? renderNodeInspector({ node: selNode, edges: this.edges, selected: true, readonly: this.readonly, pendingOutput: null }, this.nodeActions)
        : nothing}
      <fs-hotkeys-dialog></fs-hotkeys-dialog>
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
