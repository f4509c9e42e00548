// Adding nodes from the add-node popover (add-node-popover.ts): InvokeAI's keys Shift+A and Space, a
// double click on empty canvas, or the toolbar's button open it at the pointer; the chosen node is
// built from its template (node-factory.ts) and placed there, moved to the nearest free place when it
// would cover another node. A connection dropped on empty canvas opens it with only the node types
// that fit, and the chosen one is connected in the same step.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { html, nothing } from 'lit';
import type { JsonObject } from '../../../../shared/workflow/json.js';
import { allTemplates, templateFor, type NodeTemplate } from '../../../../shared/node-templates/index.js';
import {
  compatibleNodeTemplates,
  validateConnection,
  type Connection,
  type DragStart,
  type GraphLike,
} from '../../../../shared/workflow/connection-rules.js';
import { isTextEntry } from '../../../controllers/undo-controller.js';
import { NODE_WIDTH, ROW_HEIGHT, nodeLayout, type Point } from '../graph-model.js';
import { collisionFreePosition, nodeFromTemplate, templateNodeSize } from '../node-factory.js';
import { edgeId } from './connect-drag-controller.js';
import type { ViewportController } from './viewport-controller.js';
import '../add-node-popover.js';

export interface AddNodeHost extends ReactiveControllerHost, HTMLElement {
  readonly svgElement: SVGSVGElement | null;
  readonly nodes: JsonObject[];
  readonly edges: JsonObject[];
  readonly readonly: boolean;
  /** adds what was built (one undo step) and selects the new node */
  addBuilt(nodes: JsonObject[], edges: JsonObject[], newId: string): void;
  /** says something in the canvas' live region */
  announce(message: string): void;
}

interface OpenPopover {
  /** where the node goes (graph coordinates) */
  at: Point;
  /** where the popover shows, in pixels from the canvas' top-left */
  left: number;
  top: number;
  templates: readonly NodeTemplate[];
  /** node type → the field of the new node the dropped connection joins */
  fields: Map<string, string> | null;
  from: DragStart | null;
}

/** Popover size used to keep it inside the canvas (its CSS caps it at about this). */
const POPOVER = { w: 352, h: 416 };

export class AddNodeController implements ReactiveController {
  open: OpenPopover | null = null;
  /** the last pointer position over the canvas (screen), where the keys open the popover */
  private lastPointer: { x: number; y: number } | null = null;

  constructor(
    private readonly host: AddNodeHost,
    private readonly viewport: ViewportController,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // On the document: with nothing focused (the body), InvokeAI's keys act on the canvas under the pointer.
    document.addEventListener('keydown', this.onKey);
    this.host.addEventListener('pointermove', this.onPointer);
    this.host.addEventListener('dblclick', this.onDoubleClick);
  }

  hostDisconnected(): void {
    document.removeEventListener('keydown', this.onKey);
    this.host.removeEventListener('pointermove', this.onPointer);
    this.host.removeEventListener('dblclick', this.onDoubleClick);
  }

  private onPointer = (e: PointerEvent): void => {
    this.lastPointer = { x: e.clientX, y: e.clientY };
  };

  private onKey = (e: KeyboardEvent): void => {
    if (e.defaultPrevented || this.host.readonly || isTextEntry(e)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const path = e.composedPath();
    const target = path[0];
    const unfocused = target === document.body || target === document.documentElement;
    if (!path.includes(this.host) && !(unfocused && this.pointerInside())) return;
    // Space on a control presses or ticks it (a checkbox, a button, a handle); on a node the canvas selects it.
    const control = 'input, select, textarea, button, a[href], summary, [role=button], [role=checkbox], [role=option], g.node';
    if (e.key === ' ' && target instanceof Element && (target.matches(control) || target.closest('fs-add-node-popover'))) return;
    const shiftA = e.shiftKey && (e.key === 'A' || e.key === 'a');
    if (!shiftA && !(e.key === ' ' && !e.shiftKey)) return;
    e.preventDefault();
    this.openAtPointer();
  };

  private onDoubleClick = (e: MouseEvent): void => {
    if (this.host.readonly || e.composedPath()[0] !== this.host.svgElement) return;
    this.show({ x: e.clientX, y: e.clientY }, null);
  };

  private pointerInside(): boolean {
    const rect = this.host.svgElement?.getBoundingClientRect();
    const p = this.lastPointer;
    return !!rect && !!p && p.x >= rect.left && p.x <= rect.right && p.y >= rect.top && p.y <= rect.bottom;
  }

  /** Opens the popover where the pointer last was over the canvas, else in its middle. */
  openAtPointer(): void {
    const rect = this.host.svgElement?.getBoundingClientRect();
    if (!rect) return;
    const p = this.lastPointer;
    this.show(p && this.pointerInside() ? p : { x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 }, null);
  }

  /** Opens the popover for a connection dropped on empty canvas at `client`. */
  offerFor(from: DragStart, client: { x: number; y: number }): void {
    const node = this.host.nodes.find((n) => String(n.id) === from.nodeId);
    const layout = node ? nodeLayout(node, this.host.edges) : undefined;
    const type = from.kind === 'output'
      ? layout?.outputs.find((o) => o.name === from.handle)?.template?.type
      : layout?.inputs.find((i) => i.name === from.handle)?.template?.type;
    if (!type) {
      this.host.announce('The type of this field is not known (an unknown node type), so no node can be offered for it.');
      return;
    }
    this.show(client, from, compatibleNodeTemplates(type, from.kind, allTemplates()));
  }

  private show(client: { x: number; y: number }, from: DragStart | null, offers?: Array<{ template: NodeTemplate; field: string }>): void {
    const svg = this.host.svgElement;
    if (!svg) return;
    const rect = svg.getBoundingClientRect();
    const at = this.viewport.toGraph({ clientX: client.x, clientY: client.y });
    this.open = {
      at,
      left: Math.max(0, Math.min(client.x - rect.left, rect.width - Math.min(POPOVER.w, rect.width))),
      top: Math.max(0, Math.min(client.y - rect.top, rect.height - Math.min(POPOVER.h, rect.height))),
      templates: offers ? offers.map((o) => o.template) : allTemplates(),
      fields: offers ? new Map(offers.map((o) => [o.template.type, o.field])) : null,
      from,
    };
    this.host.requestUpdate();
  }

  close(): void {
    if (!this.open) return;
    this.open = null;
    this.host.requestUpdate();
    this.host.svgElement?.focus();
  }

  /** Adds a node of `type` where the popover was opened (connected when a connection was dropped there). */
  add(type: string): void {
    const o = this.open;
    const template = templateFor(type);
    if (!o || !template) return;
    const { nodes, edges } = this.host;
    const id = crypto.randomUUID();
    const field = o.fields?.get(type);
    // The new node's joining handle lands under the pointer: its left edge for an input, its right for an output.
    const probe = nodeFromTemplate(template, id, { x: 0, y: 0 });
    const layout = nodeLayout(probe, []);
    const row = field
      ? (o.from?.kind === 'output' ? layout.inputs.find((i) => i.name === field)?.y : layout.outputs.find((x) => x.name === field)?.y)
      : undefined;
    const wanted = {
      x: o.from?.kind === 'input' ? o.at.x - NODE_WIDTH : o.at.x,
      y: o.at.y - (row ?? 0) - ROW_HEIGHT / 2,
    };
    const node = nodeFromTemplate(template, id, collisionFreePosition(nodes, edges, wanted, templateNodeSize(template)));
    let nextEdges = edges;
    const nextNodes = [...nodes, node];
    if (o.from && field) {
      const c: Connection = o.from.kind === 'output'
        ? { source: o.from.nodeId, sourceHandle: o.from.handle, target: id, targetHandle: field }
        : { source: id, sourceHandle: field, target: o.from.nodeId, targetHandle: o.from.handle };
      const verdict = validateConnection({ nodes: nextNodes, edges } as unknown as GraphLike, templateFor, c);
      if (verdict.ok) nextEdges = [...edges, { id: edgeId(c), type: 'default', ...c }];
      else this.host.announce(`Added ${template.title}, not connected: ${verdict.reason}`);
    }
    this.open = null;
    this.host.addBuilt(nextNodes, nextEdges, id);
  }

  render() {
    const o = this.open;
    if (!o) return nothing;
    return html`<fs-add-node-popover style="left:${o.left}px;top:${o.top}px"
      .templates=${o.templates} .fields=${o.fields}
      heading=${o.from ? 'Add a node that connects here' : 'Add node'}
      @fs-add-node=${(e: CustomEvent<{ type: string }>) => this.add(e.detail.type)}
      @fs-add-node-close=${() => this.close()}></fs-add-node-popover>`;
  }
}
