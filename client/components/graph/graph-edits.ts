// Pure edits of several nodes at once, for the canvas: rectangles and box selection, moving a
// selection (with snap to grid), copy/paste/duplicate with new ids and the edges among the copied
// nodes, and a collision-free place for what is pasted. Each returns new arrays, as graph-model.ts.
import type { JsonObject } from '../../../shared/workflow/json.js';
import { NODE_WIDTH, nodeHeight, nodePosition, type Point } from './graph-model.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** InvokeAI's grid (React Flow snapGrid 25×25). */
export const GRID = 25;
/** How far a paste lands from its original, and each further step when that place is taken. */
export const PASTE_OFFSET = 40;
/** Diagonal steps tried before a paste goes below the whole graph. */
const MAX_PASTE_STEPS = 20;

export function nodeRect(node: JsonObject, edges: JsonObject[]): Rect {
  const p = nodePosition(node);
  return { x: p.x, y: p.y, w: NODE_WIDTH, h: nodeHeight(node, edges) };
}

/**
 * How the canvas names an edge for selecting it: its id, or, for an edge kept without one (InvokeAI
 * accepts those), its two ends (the NUL keeps it apart from any id).
 */
export function edgeKey(edge: JsonObject): string {
  if (typeof edge.id === 'string') return edge.id;
  return `\u0000${String(edge.source)}.${String(edge.sourceHandle)}>${String(edge.target)}.${String(edge.targetHandle)}`;
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The rectangle spanned by two corners, whichever way it was dragged. */
export function rectFromCorners(a: Point, b: Point): Rect {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
}

/** Ids of the nodes a selection box touches (React Flow's partial mode, as InvokeAI's default). */
export function nodesInRect(nodes: JsonObject[], edges: JsonObject[], rect: Rect): string[] {
  return nodes.filter((n) => intersects(nodeRect(n, edges), rect)).map((n) => String(n.id));
}

export function snapToGrid(p: Point, grid = GRID): Point {
  return { x: Math.round(p.x / grid) * grid, y: Math.round(p.y / grid) * grid };
}

/** Sets the position of each node in `to` (id → top-left). */
export function placeNodes(nodes: JsonObject[], to: ReadonlyMap<string, Point>): JsonObject[] {
  return nodes.map((n) => {
    const p = to.get(String(n.id));
    return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
  });
}

export function moveNodesBy(nodes: JsonObject[], ids: ReadonlySet<string>, dx: number, dy: number): JsonObject[] {
  const to = new Map<string, Point>();
  for (const n of nodes) {
    if (!ids.has(String(n.id))) continue;
    const p = nodePosition(n);
    to.set(String(n.id), { x: p.x + dx, y: p.y + dy });
  }
  return placeNodes(nodes, to);
}

/**
 * What Copy keeps: the chosen nodes, the edges that run between two of them, and the edges coming
 * into them from other nodes (used only by Paste with edges, InvokeAI's Ctrl+Shift+V).
 */
export interface GraphClip {
  nodes: JsonObject[];
  edges: JsonObject[];
  incoming: JsonObject[];
}

export function copyNodes(nodes: JsonObject[], edges: JsonObject[], ids: ReadonlySet<string>): GraphClip {
  return {
    nodes: structuredClone(nodes.filter((n) => ids.has(String(n.id)))),
    edges: structuredClone(edges.filter((e) => ids.has(String(e.source)) && ids.has(String(e.target)))),
    incoming: structuredClone(edges.filter((e) => !ids.has(String(e.source)) && ids.has(String(e.target)))),
  };
}

/**
 * Adds a copy of `clip`: every node gets a new id (also in `data.id`), the edges among them follow
 * their ends (new ids in React Flow's form, as InvokeAI names them; an edge kept without id stays so),
 * and the copy lands PASTE_OFFSET right and down of the original, further on while any pasted node
 * would cover an existing one (below the whole graph when the diagonal stays crowded).
 * With `withIncoming`, the edges that came into the copied nodes from other nodes are made again into
 * the copies, from those same nodes where they still exist.
 */
export function pasteNodes(
  nodes: JsonObject[],
  edges: JsonObject[],
  clip: GraphClip,
  newId: () => string,
  withIncoming = false,
): { nodes: JsonObject[]; edges: JsonObject[]; pastedIds: string[] } {
  const ids = new Map(clip.nodes.map((n) => [String(n.id), newId()]));
  const occupied = nodes.map((n) => nodeRect(n, edges));
  const rects = clip.nodes.map((n) => nodeRect(n, clip.edges));
  const clashes = (dx: number, dy: number) => rects.some((r) => occupied.some((o) => intersects({ ...r, x: r.x + dx, y: r.y + dy }, o)));
  let dx = PASTE_OFFSET;
  let dy = PASTE_OFFSET;
  for (let step = 1; step < MAX_PASTE_STEPS && clashes(dx, dy); step++) {
    dx += PASTE_OFFSET;
    dy += PASTE_OFFSET;
  }
  if (clashes(dx, dy)) {
    // A crowded canvas: below everything, where nothing can be.
    const all = boundsOf(nodes, edges)!;
    const copied = boundsOf(clip.nodes, clip.edges)!;
    dx = all.x - copied.x;
    dy = all.y + all.h + PASTE_OFFSET - copied.y;
  }
  const pasted = clip.nodes.map((n) => {
    const id = ids.get(String(n.id))!;
    const p = nodePosition(n);
    const copy: JsonObject = { ...structuredClone(n), id, position: { x: p.x + dx, y: p.y + dy } };
    const data = copy.data;
    if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'id' in data) copy.data = { ...data, id };
    return copy;
  });
  const present = new Set(nodes.map((n) => String(n.id)));
  const carried = withIncoming ? clip.incoming.filter((e) => present.has(String(e.source))) : [];
  const pastedEdges = [...clip.edges, ...carried].map((e) => {
    const source = ids.get(String(e.source)) ?? String(e.source);
    const target = ids.get(String(e.target))!;
    const copy: JsonObject = { ...structuredClone(e), source, target };
    if (typeof e.id === 'string') copy.id = `reactflow__edge-${source}${String(e.sourceHandle ?? '')}-${target}${String(e.targetHandle ?? '')}`;
    return copy;
  });
  return { nodes: [...nodes, ...pasted], edges: [...edges, ...pastedEdges], pastedIds: [...ids.values()] };
}

/** The box around some nodes, or null when there are none. */
export function boundsOf(nodes: JsonObject[], edges: JsonObject[]): Rect | null {
  if (nodes.length === 0) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    const r = nodeRect(n, edges);
    minX = Math.min(minX, r.x);
    minY = Math.min(minY, r.y);
    maxX = Math.max(maxX, r.x + r.w);
    maxY = Math.max(maxY, r.y + r.h);
  }
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
}
