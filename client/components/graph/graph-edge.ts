/**
 * Draws one edge of the graph: the visible curve from an output handle to an input handle, and a
 * wider transparent twin that takes the clicks. An edge whose ends are missing is not drawn (the
 * workflow keeps it; the checks report it).
 */
import { css, nothing, svg } from 'lit';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { edgeEnds, edgePath } from './graph-model.js';

export interface EdgeView {
  edge: JsonObject;
  nodesById: Map<string, JsonObject>;
  edges: JsonObject[];
  selected: boolean;
}

export const edgeStyles = css`
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
`;

export function renderGraphEdge(view: EdgeView, onPointerDown: (e: PointerEvent, edge: JsonObject) => void) {
  const { edge, nodesById, edges, selected } = view;
  const ends = edgeEnds(edge, nodesById, edges);
  if (!ends) return nothing;
  const d = edgePath(ends);
  return svg`<path class="edge ${selected ? 'selected' : ''}" d=${d} data-edge-id=${String(edge.id)}></path>
    <path class="edge-hit" d=${d} @pointerdown=${(e: PointerEvent) => onPointerDown(e, edge)}></path>`;
}
