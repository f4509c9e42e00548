// New nodes for the canvas: an invocation node built from its template the way InvokeAI builds one
// (every input with its default, the template's version and node pack), and a place for it that does
// not cover another node (after InvokeAI's collision-free placement: the nearest free spot).
import type { NodeTemplate } from '../../../shared/node-templates/index.js';
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import { GRID, intersects, nodeRect, type Rect } from './graph-edits.js';
import { HEADER_HEIGHT, NODE_WIDTH, type Point } from './graph-model.js';
import { nodeLayout } from './graph-model.js';

/** A node of `template` with its top-left corner at `at`. */
export function nodeFromTemplate(template: NodeTemplate, id: string, at: Point): JsonObject {
  const inputs: JsonObject = {};
  for (const input of template.inputs) {
    // A connection-only input has no value (InvokeAI leaves it undefined; JSON leaves the key out).
    const field: JsonObject = { name: input.name, label: '' };
    if (input.default !== undefined) field.value = structuredClone(input.default) as JsonValue;
    inputs[input.name] = field;
  }
  return {
    id,
    type: 'invocation',
    data: {
      id,
      type: template.type,
      version: template.version,
      nodePack: template.nodePack,
      label: '',
      notes: '',
      inputs,
      isOpen: true,
      isIntermediate: true,
      useCache: true,
    },
    position: { x: Math.round(at.x), y: Math.round(at.y) },
  };
}

/** Free space kept around a placed node, so that it does not touch its neighbours either. */
const GAP = GRID;
/** Rings of grid steps searched around the wanted place before going below everything. */
const MAX_RINGS = 60;

/**
 * Where a node of size `size` should go when the user asked for `at`: `at` itself when it covers no node,
 * else the nearest grid-stepped place that does not (ring by ring around `at`), else below the graph.
 */
export function collisionFreePosition(
  nodes: readonly JsonObject[],
  edges: readonly JsonObject[],
  at: Point,
  size: { w: number; h: number },
): Point {
  const occupied: Rect[] = nodes.map((n) => {
    const r = nodeRect(n, edges as JsonObject[]);
    return { x: r.x - GAP, y: r.y - GAP, w: r.w + 2 * GAP, h: r.h + 2 * GAP };
  });
  const free = (p: Point) => !occupied.some((o) => intersects({ x: p.x, y: p.y, w: size.w, h: size.h }, o));
  const start = { x: Math.round(at.x), y: Math.round(at.y) };
  if (free(start)) return start;
  for (let ring = 1; ring <= MAX_RINGS; ring++) {
    const candidates: Point[] = [];
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        candidates.push({ x: start.x + i * GRID, y: start.y + j * GRID });
      }
    }
    candidates.sort((a, b) => Math.hypot(a.x - start.x, a.y - start.y) - Math.hypot(b.x - start.x, b.y - start.y));
    const found = candidates.find(free);
    if (found) return found;
  }
  const bottom = Math.max(...occupied.map((o) => o.y + o.h));
  return { x: start.x, y: bottom + GAP };
}

/** The size a new node of `template` will have on the canvas (to place it before it exists). */
export function templateNodeSize(template: NodeTemplate): { w: number; h: number } {
  const probe = nodeFromTemplate(template, '__probe__', { x: 0, y: 0 });
  return { w: NODE_WIDTH, h: nodeLayout(probe, []).height || HEADER_HEIGHT };
}
