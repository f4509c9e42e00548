// Pointer gestures on the canvas: dragging nodes by their title bar and panning the background.
// Pointer capture on the SVG keeps the gesture alive when the pointer leaves the element.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Point } from '../graph-model.js';
import type { ViewBox, ViewportController } from './viewport-controller.js';

export interface PointerHost extends ReactiveControllerHost {
  readonly svgElement: SVGSVGElement | null;
  /** moves the node so that its top-left corner is at `to` (graph coordinates) */
  moveNodeTo(id: string, to: Point): void;
}

type Gesture = { kind: 'node'; id: string; offset: Point } | { kind: 'pan'; start: Point; view: ViewBox };

export class PointerController implements ReactiveController {
  private gesture: Gesture | null = null;

  constructor(
    private readonly host: PointerHost,
    private readonly viewport: ViewportController,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  private capture(e: PointerEvent): void {
    this.host.svgElement?.setPointerCapture(e.pointerId);
  }

  /** Starts dragging a node whose top-left corner is at `position`. */
  startNodeDrag(e: PointerEvent, id: string, position: Point): void {
    const p = this.viewport.toGraph(e);
    this.gesture = { kind: 'node', id, offset: { x: p.x - position.x, y: p.y - position.y } };
    this.capture(e);
  }

  startPan(e: PointerEvent): void {
    this.gesture = { kind: 'pan', start: { x: e.clientX, y: e.clientY }, view: this.viewport.view };
    this.capture(e);
  }

  onMove = (e: PointerEvent): void => {
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'node') {
      const p = this.viewport.toGraph(e);
      this.host.moveNodeTo(g.id, { x: p.x - g.offset.x, y: p.y - g.offset.y });
    } else {
      const rect = this.host.svgElement!.getBoundingClientRect();
      const scale = Math.max(g.view.w / rect.width, g.view.h / rect.height);
      this.viewport.view = {
        ...g.view,
        x: g.view.x - (e.clientX - g.start.x) * scale,
        y: g.view.y - (e.clientY - g.start.y) * scale,
      };
    }
  };

  onUp = (): void => {
    this.gesture = null;
  };
}
