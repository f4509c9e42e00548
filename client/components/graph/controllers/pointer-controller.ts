// Pointer gestures on the canvas: dragging the selected nodes by a title bar (snapped to the grid
// when asked), panning the background, and box selection (Shift+drag on the background, or any
// background drag in select mode). Pointer capture on the SVG keeps a gesture alive when the pointer
// leaves the element.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Point } from '../graph-model.js';
import { rectFromCorners, snapToGrid, type Rect } from '../graph-edits.js';
import type { ViewBox, ViewportController } from './viewport-controller.js';

export interface PointerHost extends ReactiveControllerHost {
  readonly svgElement: SVGSVGElement | null;
  readonly snap: boolean;
  /** places nodes (id → top-left); `mergeKey` makes one drag one undo step */
  placeNodes(to: ReadonlyMap<string, Point>, mergeKey: string): void;
  /** selects the nodes the box touches, added to the selection when `additive` */
  selectInRect(rect: Rect, additive: boolean): void;
}

type Gesture =
  | { kind: 'nodes'; anchor: string; start: Point; origins: Map<string, Point>; key: string }
  | { kind: 'pan'; start: Point; view: ViewBox }
  | { kind: 'box'; start: Point; current: Point; additive: boolean };

let gestures = 0;

export class PointerController implements ReactiveController {
  private gesture: Gesture | null = null;

  constructor(
    private readonly host: PointerHost,
    private readonly viewport: ViewportController,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** The box being drawn, in graph coordinates, or null. */
  get box(): Rect | null {
    const g = this.gesture;
    return g?.kind === 'box' ? rectFromCorners(g.start, g.current) : null;
  }

  private capture(e: PointerEvent): void {
    this.host.svgElement?.setPointerCapture(e.pointerId);
  }

  /** Starts dragging nodes (id → top-left now); `anchor` is the one under the pointer, the one snapped. */
  startNodeDrag(e: PointerEvent, anchor: string, origins: Map<string, Point>): void {
    this.gesture = { kind: 'nodes', anchor, start: this.viewport.toGraph(e), origins, key: `drag:${++gestures}` };
    this.capture(e);
  }

  startPan(e: PointerEvent): void {
    this.gesture = { kind: 'pan', start: { x: e.clientX, y: e.clientY }, view: this.viewport.view };
    this.capture(e);
  }

  startBox(e: PointerEvent, additive: boolean): void {
    const p = this.viewport.toGraph(e);
    this.gesture = { kind: 'box', start: p, current: p, additive };
    this.capture(e);
    this.host.requestUpdate();
  }

  onMove = (e: PointerEvent): void => {
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'nodes') {
      const p = this.viewport.toGraph(e);
      let dx = p.x - g.start.x;
      let dy = p.y - g.start.y;
      if (this.host.snap) {
        // The node under the pointer lands on the grid; the others keep their distance to it.
        const a = g.origins.get(g.anchor)!;
        const snapped = snapToGrid({ x: a.x + dx, y: a.y + dy });
        dx = snapped.x - a.x;
        dy = snapped.y - a.y;
      }
      const to = new Map([...g.origins].map(([id, o]) => [id, { x: o.x + dx, y: o.y + dy }] as const));
      this.host.placeNodes(to, g.key);
    } else if (g.kind === 'pan') {
      const rect = this.host.svgElement!.getBoundingClientRect();
      const scale = Math.max(g.view.w / rect.width, g.view.h / rect.height);
      this.viewport.view = {
        ...g.view,
        x: g.view.x - (e.clientX - g.start.x) * scale,
        y: g.view.y - (e.clientY - g.start.y) * scale,
      };
    } else {
      g.current = this.viewport.toGraph(e);
      this.host.requestUpdate();
    }
  };

  onUp = (): void => {
    const g = this.gesture;
    this.gesture = null;
    if (g?.kind === 'box') {
      this.host.selectInRect(rectFromCorners(g.start, g.current), g.additive);
      this.host.requestUpdate();
    }
  };
}
