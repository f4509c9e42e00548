/**
 * The minimap: the whole graph small in a corner, with the part on screen outlined. Pressing or
 * dragging on it centres the view there. Pointer only (the keyboard has Fit and the zoom keys), so
 * it is hidden from assistive technology.
 */
import { css, html, svg } from 'lit';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { nodeRect, type Rect } from './graph-edits.js';
import type { Point } from './graph-model.js';

export const minimapStyles = css`
  svg.minimap {
    position: absolute;
    right: 8px;
    bottom: 8px;
    width: 160px;
    height: 110px;
    background: var(--fs-surface);
    border: 1px solid var(--fs-border);
    border-radius: 6px;
    cursor: pointer;
    touch-action: none;
    opacity: 0.92;
  }
  svg.minimap rect.mini-node {
    fill: var(--fs-edge);
  }
  svg.minimap rect.mini-node.selected {
    fill: var(--fs-accent);
  }
  svg.minimap rect.mini-view {
    fill: none;
    stroke: var(--fs-accent);
  }
  @media (max-width: 520px) {
    svg.minimap {
      width: 110px;
      height: 76px;
    }
  }
`;

/** The world the minimap shows: the nodes and the view together, with a margin. */
export function minimapWorld(content: Rect, view: Rect): Rect {
  const x = Math.min(content.x, view.x);
  const y = Math.min(content.y, view.y);
  const w = Math.max(content.x + content.w, view.x + view.w) - x;
  const h = Math.max(content.y + content.h, view.y + view.h) - y;
  const pad = Math.max(w, h) * 0.05;
  return { x: x - pad, y: y - pad, w: w + 2 * pad, h: h + 2 * pad };
}

export function renderMinimap(
  opts: { nodes: JsonObject[]; edges: JsonObject[]; content: Rect; view: Rect; isSelected: (id: string) => boolean },
  centreOn: (p: Point) => void,
) {
  const world = minimapWorld(opts.content, opts.view);
  const toWorld = (e: PointerEvent): Point => {
    const el = e.currentTarget as SVGSVGElement;
    const m = el.getScreenCTM();
    if (!m) return { x: world.x + world.w / 2, y: world.y + world.h / 2 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  const down = (e: PointerEvent) => {
    e.stopPropagation();
    (e.currentTarget as SVGSVGElement).setPointerCapture(e.pointerId);
    centreOn(toWorld(e));
  };
  const move = (e: PointerEvent) => {
    if ((e.currentTarget as SVGSVGElement).hasPointerCapture(e.pointerId)) centreOn(toWorld(e));
  };
  const stroke = Math.max(world.w, world.h) / 80;
  return html`<svg class="minimap" aria-hidden="true" viewBox="${world.x} ${world.y} ${world.w} ${world.h}"
      @pointerdown=${down} @pointermove=${move}>
    ${opts.nodes.map((n) => {
      const r = nodeRect(n, opts.edges);
      return svg`<rect class="mini-node ${opts.isSelected(String(n.id)) ? 'selected' : ''}" x=${r.x} y=${r.y} width=${r.w} height=${r.h} rx="6"></rect>`;
    })}
    <rect class="mini-view" x=${opts.view.x} y=${opts.view.y} width=${opts.view.w} height=${opts.view.h} stroke-width=${stroke}></rect>
  </svg>`;
}
