// Marks drawn over the canvas, outside the nodes' own drawing: the differences of a version from the
// current workflow (History, workflow-diff.ts) and the nodes other devices have selected (presence).
// Plain SVG with presentation attributes and no pointer events, so it never takes a click from the
// canvas and needs no styles of the canvas element.
import { svg, nothing } from 'lit';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { NODE_WIDTH, nodeHeight, nodeLayout, nodePosition } from './graph-model.js';

export type NodeMarkKind = 'added' | 'removed' | 'changed';

export interface NodeMark {
  kind: NodeMarkKind;
  /** what it says to people (a tooltip and the accessible name) */
  label: string;
  /** the input fields whose values differ, highlighted on the node */
  fields?: readonly string[];
}

/** Someone else's selection: the node outlined in their colour with their initials. */
export interface RemoteSelection {
  nodeId: string;
  who: string;
  initials: string;
  colour: string;
}

export interface CanvasMarks {
  nodes?: ReadonlyMap<string, NodeMark>;
  remote?: readonly RemoteSelection[];
}

const COLOURS: Record<NodeMarkKind, string> = { added: '#2f9e44', removed: '#e03131', changed: '#f08c00' };

export function renderMarks(marks: CanvasMarks | null, byId: ReadonlyMap<string, JsonObject>, edges: JsonObject[]) {
  if (!marks) return nothing;
  const out = [];
  for (const [id, mark] of marks.nodes ?? []) {
    const node = byId.get(id);
    if (!node) continue;
    const { x, y } = nodePosition(node);
    const h = nodeHeight(node, edges);
    const colour = COLOURS[mark.kind];
    const rows = (mark.fields ?? []).flatMap((name) => {
      const row = nodeLayout(node, edges).inputs.find((r) => r.name === name);
      return row
        ? [svg`<rect class="mark-field" data-field=${name} x="2" y=${row.y} width=${NODE_WIDTH - 4} height=${row.height}
            fill=${colour} fill-opacity="0.22" stroke=${colour} stroke-width="1.5"></rect>`]
        : [];
    });
    out.push(svg`<g class="mark ${mark.kind}" data-mark=${mark.kind} data-node-id=${id} transform="translate(${x},${y})"
        pointer-events="none" role="img" aria-label=${mark.label}>
      <title>${mark.label}</title>
      <rect x="-6" y="-6" width=${NODE_WIDTH + 12} height=${h + 12} rx="11" fill="none" stroke=${colour} stroke-width="4"
        stroke-dasharray=${mark.kind === 'removed' ? '10 6' : 'none'}></rect>
      ${rows}
    </g>`);
  }
  for (const r of marks.remote ?? []) {
    const node = byId.get(r.nodeId);
    if (!node) continue;
    const { x, y } = nodePosition(node);
    const h = nodeHeight(node, edges);
    out.push(svg`<g class="remote-selection" data-node-id=${r.nodeId} transform="translate(${x},${y})" pointer-events="none"
        role="img" aria-label=${`Selected by ${r.who}`}>
      <title>Selected by ${r.who}</title>
      <rect x="-10" y="-10" width=${NODE_WIDTH + 20} height=${h + 20} rx="14" fill="none" stroke=${r.colour} stroke-width="3"
        stroke-dasharray="6 4"></rect>
      <rect x=${NODE_WIDTH - 22} y="-24" width="32" height="18" rx="9" fill=${r.colour}></rect>
      <text x=${NODE_WIDTH - 6} y="-11" text-anchor="middle" font-size="11" font-weight="700" fill="#fff">${r.initials}</text>
    </g>`);
  }
  return out;
}

/** A stable colour per device id, readable under white text. */
export function colourFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 65% 38%)`;
}
