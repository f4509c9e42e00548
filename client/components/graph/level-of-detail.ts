// Which nodes the canvas draws with their fields. A node with its fields is a few dozen elements
// (foreignObjects, inputs, handles); a shared workflow of thousands of nodes drawn that way froze the tab
// for seconds (3,000 nodes: 4.7 s). Only nodes on or near the screen are drawn in full, and only while
// there are few enough of them to be read at all; the others are their box and title (still focusable,
// still selected and moved; their edges are drawn from the layout, not from the DOM).
import type { JsonObject } from '../../../shared/workflow/json.js';
import { intersects, nodeRect, type Rect } from './graph-edits.js';

/** At most this many nodes are drawn with their fields at once (about 300 ms of drawing). */
export const MAX_DETAILED_NODES = 250;

/**
 * The ids of the nodes to draw in full for the view `view` (graph coordinates; widened by its own size
 * each way, since the canvas may show more than its viewBox at another aspect ratio). None when more than
 * `max` would be: at that zoom no field is readable, and zooming in brings them back.
 */
export function detailedNodeIds(nodes: readonly JsonObject[], edges: JsonObject[], view: Rect, max = MAX_DETAILED_NODES): ReadonlySet<string> {
  const near: Rect = { x: view.x - view.w, y: view.y - view.h, w: view.w * 3, h: view.h * 3 };
  const ids = new Set<string>();
  for (const n of nodes) {
    if (!intersects(nodeRect(n, edges), near)) continue;
    ids.add(String(n.id));
    if (ids.size > max) return new Set();
  }
  return ids;
}
