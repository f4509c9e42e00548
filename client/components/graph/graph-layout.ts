// Auto layout: places the nodes left to right along their edges with dagre (the layered layout
// InvokeAI's editor uses too). Node sizes are the drawn ones; unknown edge ends are left out.
import { graphlib, layout } from '@dagrejs/dagre';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { NODE_WIDTH, nodeHeight } from './graph-model.js';
import { placeNodes } from './graph-edits.js';
import type { Point } from './graph-model.js';

export function autoLayout(nodes: JsonObject[], edges: JsonObject[]): JsonObject[] {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const sizes = new Map<string, { width: number; height: number }>();
  for (const n of nodes) {
    const size = { width: NODE_WIDTH, height: nodeHeight(n, edges) };
    sizes.set(String(n.id), size);
    g.setNode(String(n.id), { ...size });
  }
  edges.forEach((e, i) => {
    const s = String(e.source);
    const t = String(e.target);
    if (sizes.has(s) && sizes.has(t) && s !== t) g.setEdge(s, t, {}, typeof e.id === 'string' ? e.id : `edge-${i}`);
  });
  layout(g);
  const to = new Map<string, Point>();
  for (const [id, size] of sizes) {
    const c = g.node(id) as { x: number; y: number };
    to.set(id, { x: c.x - size.width / 2, y: c.y - size.height / 2 });
  }
  return placeNodes(nodes, to);
}
