// The part of the graph on screen: an SVG viewBox in graph coordinates. Fits the nodes, zooms around a
// point (wheel, buttons), pans by screen pixels, and converts pointer positions to graph coordinates.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Point } from '../graph-model.js';

export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ViewportHost extends ReactiveControllerHost {
  /** the canvas, once rendered */
  readonly svgElement: SVGSVGElement | null;
  /** the box that shows every node */
  contentBounds(): ViewBox;
}

export class ViewportController implements ReactiveController {
  private current: ViewBox | null = null;

  constructor(private readonly host: ViewportHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  get view(): ViewBox {
    return (this.current ??= this.host.contentBounds());
  }

  set view(v: ViewBox) {
    this.current = v;
    this.host.requestUpdate();
  }

  /** Shows every node. */
  fit(): void {
    this.view = this.host.contentBounds();
  }

  /** Graph coordinates of a pointer position. */
  toGraph(e: { clientX: number; clientY: number }): Point {
    const m = this.host.svgElement?.getScreenCTM();
    if (!m) return { x: e.clientX, y: e.clientY };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  /** Graph units per screen pixel (the viewBox keeps its aspect ratio inside the element: the larger scale wins). */
  scale(): number {
    const rect = this.host.svgElement?.getBoundingClientRect();
    const v = this.view;
    if (!rect || rect.width === 0 || rect.height === 0) return 1;
    return Math.max(v.w / rect.width, v.h / rect.height);
  }

  /** factor > 1 zooms out; the point `around` (graph coordinates) stays where it is on screen. */
  zoom(factor: number, around?: Point): void {
    const v = this.view;
    const p = around ?? { x: v.x + v.w / 2, y: v.y + v.h / 2 };
    this.view = { x: p.x - (p.x - v.x) * factor, y: p.y - (p.y - v.y) * factor, w: v.w * factor, h: v.h * factor };
  }

  onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    this.zoom(e.deltaY > 0 ? 1.1 : 1 / 1.1, this.toGraph(e));
  };
}
