// Drag-to-connect, by InvokeAI's rules (shared/workflow/connection-rules.ts): press on an output handle
// and drag to an input (or from an input back to an output); press on a connected input to pick its
// edge up by that end and move it to another input, or drop it on empty canvas to remove it. While
// dragging, every handle the connection may end on is lit, the others are dimmed, and the one under the
// pointer says why it is refused (in its tooltip and in a live region). Dropping a new connection on
// empty canvas offers the nodes that fit (the host opens the add-node popover). Click-to-connect goes
// through `connect` too, so no way of connecting skips the rules.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { nothing, svg } from 'lit';
import type { JsonObject } from '../../../../shared/workflow/json.js';
import {
  compatibleTargets,
  validateConnection,
  type Connection,
  type ConnectionVerdict,
  type DragStart,
  type GraphLike,
} from '../../../../shared/workflow/connection-rules.js';
import { templateFor } from '../../../../shared/node-templates/index.js';
import { edgePath, inputHandle, nodeLayout, nodeTitle, outputHandle, type Point } from '../graph-model.js';
import type { ViewportController } from './viewport-controller.js';
import { fieldColor, NEUTRAL } from '../field-colors.js';

export interface ConnectDragHost extends ReactiveControllerHost {
  readonly svgElement: SVGSVGElement | null;
  readonly nodes: JsonObject[];
  readonly edges: JsonObject[];
  readonly readonly: boolean;
  /** the edges after a connection was made, moved or removed */
  applyEdges(edges: JsonObject[]): void;
  /** a new connection dropped on empty canvas: offer the nodes that fit, at `at` (graph) / `client` (screen) */
  offerNodes(from: DragStart, at: Point, client: { x: number; y: number }): void;
}

interface Drag {
  from: DragStart;
  /** the edge picked up by its input end, if this drag moves one */
  moving: JsonObject | null;
  anchor: Point;
  pointer: Point;
  startClient: { x: number; y: number };
  pointerId: number;
  active: boolean;
  /** node id → handle key (`in:name` / `out:name`) → verdict */
  targets: Map<string, Map<string, ConnectionVerdict>>;
  hover: { nodeId: string; handle: string } | null;
}

/** Screen pixels the pointer must travel before a press on a handle becomes a drag (else it is a click). */
const DRAG_THRESHOLD = 4;
/** How near (screen pixels) to a handle a drop still counts as on it. */
const SNAP_RADIUS = 18;

export function edgeId(c: Connection): string {
  return `reactflow__edge-${c.source}${c.sourceHandle}-${c.target}${c.targetHandle}`;
}

function asGraph(nodes: JsonObject[], edges: JsonObject[]): GraphLike {
  return { nodes: nodes as unknown as GraphLike['nodes'], edges: edges as unknown as GraphLike['edges'] };
}

export class ConnectDragController implements ReactiveController {
  private drag: Drag | null = null;
  /** what the live region says: the reason a target is refused, or what was done */
  message = '';

  constructor(
    private readonly host: ConnectDragHost,
    private readonly viewport: ViewportController,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stopListening();
  }

  get dragging(): boolean {
    return this.drag?.active ?? false;
  }

  private say(message: string): void {
    this.message = message;
    this.host.requestUpdate();
  }

  /**
   * Makes connection `c` if the rules allow it (replacing `replacing`, an edge being moved), else says
   * why not; true when made.
   */
  connect(c: Connection, replacing: JsonObject | null = null): boolean {
    const { nodes, edges } = this.host;
    const verdict = validateConnection(asGraph(nodes, edges), templateFor, c, replacing ? { ignoreEdgeId: String(replacing.id) } : {});
    if (!verdict.ok) {
      this.say(`Not connected: ${verdict.reason}`);
      return false;
    }
    const kept = replacing ? edges.filter((e) => e !== replacing) : edges;
    this.host.applyEdges([...kept, { id: edgeId(c), type: 'default', ...c }]);
    this.say(verdict.unchecked ? `Connected. ${verdict.unchecked}` : 'Connected.');
    return true;
  }

  /** The verdicts for one node's handles and the hovered one, while a connection is dragged. */
  viewFor(nodeId: string): { targets?: ReadonlyMap<string, ConnectionVerdict>; hovered?: string | null } {
    const d = this.drag;
    if (!d?.active) return {};
    return { targets: d.targets.get(nodeId), hovered: d.hover?.nodeId === nodeId ? d.hover.handle : null };
  }

  /** A press on a handle. */
  begin(e: PointerEvent, node: JsonObject, kind: 'input' | 'output', handle: string): void {
    if (this.host.readonly || e.button > 0) return;
    const nodeId = String(node.id);
    const { nodes, edges } = this.host;
    const byId = new Map(nodes.map((n) => [String(n.id), n]));
    let from: DragStart = { nodeId, handle, kind };
    let moving: JsonObject | null = null;
    let anchor: Point | null;
    if (kind === 'input') {
      moving = edges.find((x) => x.target === nodeId && x.targetHandle === handle && typeof x.sourceHandle === 'string') ?? null;
      const source = moving ? byId.get(String(moving.source)) : undefined;
      if (moving && source) {
        // Picking up the edge by its input end: the drag goes on from the output it comes from.
        from = { nodeId: String(source.id), handle: String(moving.sourceHandle), kind: 'output' };
        anchor = outputHandle(source, from.handle, edges);
      } else {
        moving = null;
        anchor = inputHandle(node, handle, edges);
      }
    } else anchor = outputHandle(node, handle, edges);
    const p = this.viewport.toGraph(e);
    this.message = '';
    this.drag = {
      from,
      moving,
      anchor: anchor ?? p,
      pointer: p,
      startClient: { x: e.clientX, y: e.clientY },
      pointerId: e.pointerId,
      active: false,
      targets: new Map(),
      hover: null,
    };
    window.addEventListener('pointermove', this.onMove);
    window.addEventListener('pointerup', this.onUp);
    window.addEventListener('pointercancel', this.onCancel);
  }

  private stopListening(): void {
    window.removeEventListener('pointermove', this.onMove);
    window.removeEventListener('pointerup', this.onUp);
    window.removeEventListener('pointercancel', this.onCancel);
  }

  private activate(d: Drag): void {
    d.active = true;
    const { nodes, edges } = this.host;
    const options = d.moving ? { ignoreEdgeId: String(d.moving.id) } : {};
    for (const t of compatibleTargets(asGraph(nodes, edges), templateFor, d.from, options)) {
      const key = `${d.from.kind === 'output' ? 'in' : 'out'}:${t.handle}`;
      let m = d.targets.get(t.nodeId);
      if (!m) d.targets.set(t.nodeId, (m = new Map()));
      m.set(key, t.verdict);
    }
    if (d.moving) {
      // The picked-up end may go back where it was.
      let m = d.targets.get(String(d.moving.target));
      if (!m) d.targets.set(String(d.moving.target), (m = new Map()));
      m.set(`in:${String(d.moving.targetHandle)}`, { ok: true });
    }
  }

  /** The handle (of the kind the drag may end on) nearest to `p`, within the snap radius. */
  private handleAt(d: Drag, p: Point): { nodeId: string; handle: string } | null {
    const { nodes, edges } = this.host;
    const radius = SNAP_RADIUS * this.viewport.scale();
    let best: { nodeId: string; handle: string; dist: number } | null = null;
    for (const n of nodes) {
      const m = d.targets.get(String(n.id));
      if (!m) continue;
      for (const key of m.keys()) {
        const name = key.slice(key.indexOf(':') + 1);
        const at = key.startsWith('in:') ? inputHandle(n, name, edges) : outputHandle(n, name, edges);
        if (!at) continue;
        const dist = Math.hypot(at.x - p.x, at.y - p.y);
        if (dist <= radius && (!best || dist < best.dist)) best = { nodeId: String(n.id), handle: key, dist };
      }
    }
    return best ? { nodeId: best.nodeId, handle: best.handle } : null;
  }

  private describeHover(d: Drag): string {
    if (!d.hover) return d.moving ? 'Drop on empty canvas to remove this connection.' : 'Drop on empty canvas to add a node that fits.';
    const verdict = d.targets.get(d.hover.nodeId)?.get(d.hover.handle);
    const node = this.host.nodes.find((n) => String(n.id) === d.hover!.nodeId);
    const field = d.hover.handle.slice(d.hover.handle.indexOf(':') + 1);
    const where = node ? `${nodeTitle(node)} ${fieldLabel(node, d.hover.handle, field, this.host.edges)}` : field;
    if (!verdict) return '';
    return verdict.ok ? `Release to connect to ${where}.` : `Cannot connect to ${where}: ${verdict.reason}`;
  }

  private onMove = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointerId) return;
    if (!d.active) {
      if (Math.hypot(e.clientX - d.startClient.x, e.clientY - d.startClient.y) < DRAG_THRESHOLD) return;
      this.activate(d);
    }
    d.pointer = this.viewport.toGraph(e);
    const hover = this.handleAt(d, d.pointer);
    const changed = hover?.nodeId !== d.hover?.nodeId || hover?.handle !== d.hover?.handle;
    d.hover = hover;
    if (changed) this.message = this.describeHover(d);
    this.host.requestUpdate();
  };

  private onCancel = (): void => {
    this.stopListening();
    this.drag = null;
    this.host.requestUpdate();
  };

  private onUp = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointerId) return;
    this.stopListening();
    this.drag = null;
    if (!d.active) return; // a click: the handle's click handler does click-to-connect
    // Swallow the click that follows this pointerup on the handle it ended on.
    window.addEventListener('click', swallow, { capture: true, once: true });
    setTimeout(() => window.removeEventListener('click', swallow, { capture: true }));
    const p = this.viewport.toGraph(e);
    const hover = this.handleAt(d, p);
    if (hover) {
      const name = hover.handle.slice(hover.handle.indexOf(':') + 1);
      const c: Connection = d.from.kind === 'output'
        ? { source: d.from.nodeId, sourceHandle: d.from.handle, target: hover.nodeId, targetHandle: name }
        : { source: hover.nodeId, sourceHandle: name, target: d.from.nodeId, targetHandle: d.from.handle };
      if (d.moving && c.target === d.moving.target && c.targetHandle === d.moving.targetHandle) {
        this.say('');
        return; // put back where it was
      }
      this.connect(c, d.moving);
      return;
    }
    const overNode = e.composedPath().some((t) => t instanceof SVGGElement && t.classList.contains('node'));
    const rect = this.host.svgElement?.getBoundingClientRect();
    const onCanvas = rect && e.clientX >= rect.left && e.clientX <= rect.right && e.clientY >= rect.top && e.clientY <= rect.bottom;
    if (d.moving) {
      if (overNode) {
        this.say('Not moved: drop the connection on an input’s handle, or on empty canvas to remove it.');
        return;
      }
      this.host.applyEdges(this.host.edges.filter((x) => x !== d.moving));
      this.say('Connection removed.');
      return;
    }
    if (onCanvas && !overNode) {
      this.say('');
      this.host.offerNodes(d.from, p, { x: e.clientX, y: e.clientY });
      return;
    }
    this.say('Not connected: drop on a field’s handle.');
  };

  /** The line from the dragged end to the pointer. */
  renderOverlay() {
    const d = this.drag;
    if (!d?.active) return nothing;
    const node = this.host.nodes.find((n) => String(n.id) === d.from.nodeId);
    const layout = node ? nodeLayout(node, this.host.edges) : undefined;
    const field = d.from.kind === 'output'
      ? layout?.outputs.find((o) => o.name === d.from.handle)?.template?.type
      : layout?.inputs.find((i) => i.name === d.from.handle)?.template?.type;
    const ends: [Point, Point] = d.from.kind === 'output' ? [d.anchor, d.pointer] : [d.pointer, d.anchor];
    const refused = d.hover && d.targets.get(d.hover.nodeId)?.get(d.hover.handle)?.ok === false;
    return svg`<path class="connecting ${refused ? 'refused' : ''}" d=${edgePath(ends)}
      stroke=${field ? fieldColor(field) : NEUTRAL} fill="none" stroke-width="2.5" stroke-dasharray=${refused ? '6 4' : 'none'}
      pointer-events="none"></path>`;
  }
}

function swallow(e: Event): void {
  e.stopPropagation();
  e.preventDefault();
}

function fieldLabel(node: JsonObject, key: string, name: string, edges: JsonObject[]): string {
  const layout = nodeLayout(node, edges);
  const row = key.startsWith('in:') ? layout.inputs.find((i) => i.name === name) : layout.outputs.find((o) => o.name === name);
  return row?.label ?? name;
}
