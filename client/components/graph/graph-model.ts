// Pure helpers over a workflow's nodes and edges: geometry for drawing, and edits that return new
// arrays (the editor's draft is treated as immutable, so Lit sees every change).
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';

export const NODE_WIDTH = 260;
export const HEADER_HEIGHT = 30;
export const ROW_HEIGHT = 30;
export const NOTES_HEIGHT = 90;

export interface Point {
  x: number;
  y: number;
}

export interface InputField {
  name: string;
  label: string;
  value: JsonValue | undefined;
}

function obj(v: JsonValue | undefined): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

export function nodeData(node: JsonObject): JsonObject {
  return obj(node.data);
}

export function nodePosition(node: JsonObject): Point {
  const p = obj(node.position);
  return { x: typeof p.x === 'number' ? p.x : 0, y: typeof p.y === 'number' ? p.y : 0 };
}

export function nodeTitle(node: JsonObject): string {
  const d = nodeData(node);
  if (typeof d.label === 'string' && d.label.trim()) return d.label;
  if (node.type === 'notes') return 'Notes';
  return typeof d.type === 'string' ? d.type : String(node.type ?? 'node');
}

export function nodeInputs(node: JsonObject): InputField[] {
  const inputs = obj(nodeData(node).inputs);
  return Object.entries(inputs).map(([key, raw]) => {
    const f = obj(raw);
    return {
      name: key,
      label: typeof f.label === 'string' && f.label ? f.label : typeof f.name === 'string' ? f.name : key,
      value: f.value,
    };
  });
}

/**
 * Output handles. Workflow JSON (v3+) stores no outputs (they come from node templates, which this app
 * does not have), so a node shows the outputs its edges use, plus `value` for drawing new edges.
 */
export function nodeOutputs(node: JsonObject, edges: JsonObject[]): string[] {
  const names = new Set<string>();
  for (const e of edges) if (e.source === node.id && typeof e.sourceHandle === 'string') names.add(e.sourceHandle);
  if (names.size === 0) names.add('value');
  return [...names];
}

/**
 * A node the user collapsed (InvokeAI's `data.isOpen: false`): drawn as its title bar only, with every
 * edge ending at the bar, as InvokeAI draws it. Default workflows place their nodes assuming this, so
 * drawing them open makes them overlap.
 */
export function isCollapsed(node: JsonObject): boolean {
  return node.type !== 'notes' && nodeData(node).isOpen === false;
}

export function nodeHeight(node: JsonObject, edges: JsonObject[]): number {
  if (isCollapsed(node)) return HEADER_HEIGHT;
  if (node.type === 'notes') return HEADER_HEIGHT + NOTES_HEIGHT;
  const rows = Math.max(nodeInputs(node).length, nodeOutputs(node, edges).length, 1);
  return HEADER_HEIGHT + rows * ROW_HEIGHT + 8;
}

export function inputHandle(node: JsonObject, field: string): Point | null {
  const i = nodeInputs(node).findIndex((f) => f.name === field);
  if (i < 0) return null;
  const p = nodePosition(node);
  if (isCollapsed(node)) return { x: p.x, y: p.y + HEADER_HEIGHT / 2 };
  return { x: p.x, y: p.y + HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2 };
}

export function outputHandle(node: JsonObject, output: string, edges: JsonObject[]): Point {
  const outs = nodeOutputs(node, edges);
  const i = Math.max(0, outs.indexOf(output));
  const p = nodePosition(node);
  if (isCollapsed(node)) return { x: p.x + NODE_WIDTH, y: p.y + HEADER_HEIGHT / 2 };
  return { x: p.x + NODE_WIDTH, y: p.y + HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2 };
}

/** Where an edge's target handle is: the input row, or the node's top-left when the field is unknown. */
export function edgeEnds(edge: JsonObject, byId: Map<string, JsonObject>, edges: JsonObject[]): [Point, Point] | null {
  const s = byId.get(String(edge.source));
  const t = byId.get(String(edge.target));
  if (!s || !t) return null;
  const from = outputHandle(s, String(edge.sourceHandle ?? ''), edges);
  const tp = nodePosition(t);
  const to = inputHandle(t, String(edge.targetHandle ?? '')) ?? { x: tp.x, y: tp.y + HEADER_HEIGHT / 2 };
  return [from, to];
}

export function edgePath([a, b]: [Point, Point]): string {
  const dx = Math.max(40, Math.abs(b.x - a.x) / 2);
  return `M${a.x},${a.y} C${a.x + dx},${a.y} ${b.x - dx},${b.y} ${b.x},${b.y}`;
}

const MIN_VIEW = { w: 900, h: 560 };

export function bounds(nodes: JsonObject[], edges: JsonObject[]): { x: number; y: number; w: number; h: number } {
  if (nodes.length === 0) return { x: 0, y: 0, w: 800, h: 500 };
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    const p = nodePosition(n);
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_WIDTH);
    maxY = Math.max(maxY, p.y + nodeHeight(n, edges));
  }
  const pad = 40;
  // Never zoom in beyond about 1:1 on a small graph: grow the box around its centre.
  const w = Math.max(maxX - minX + 2 * pad, MIN_VIEW.w);
  const h = Math.max(maxY - minY + 2 * pad, MIN_VIEW.h);
  return { x: (minX + maxX) / 2 - w / 2, y: (minY + maxY) / 2 - h / 2, w, h };
}

// ---- edits (each returns new arrays; untouched nodes keep their identity) ----

export function moveNode(nodes: JsonObject[], id: string, to: Point): JsonObject[] {
  return nodes.map((n) => (n.id === id ? { ...n, position: { x: Math.round(to.x), y: Math.round(to.y) } } : n));
}

export function setNodeData(nodes: JsonObject[], id: string, change: JsonObject): JsonObject[] {
  return nodes.map((n) => (n.id === id ? { ...n, data: { ...nodeData(n), ...change } } : n));
}

export function setInputValue(nodes: JsonObject[], id: string, field: string, value: JsonValue): JsonObject[] {
  return nodes.map((n) => {
    if (n.id !== id) return n;
    const data = nodeData(n);
    const inputs = obj(data.inputs);
    return { ...n, data: { ...data, inputs: { ...inputs, [field]: { ...obj(inputs[field]), name: field, value } } } };
  });
}

export function addInputField(nodes: JsonObject[], id: string, field: string): JsonObject[] {
  return nodes.map((n) => {
    if (n.id !== id) return n;
    const data = nodeData(n);
    const inputs = obj(data.inputs);
    if (field in inputs) return n;
    return { ...n, data: { ...data, inputs: { ...inputs, [field]: { name: field, label: '', value: '' } } } };
  });
}

export function newInvocationNode(id: string, type: string, at: Point): JsonObject {
  return {
    id,
    type: 'invocation',
    data: {
      id,
      type,
      version: '1.0.0',
      nodePack: 'invokeai',
      label: '',
      notes: '',
      inputs: {},
      isOpen: true,
      isIntermediate: true,
      useCache: true,
    },
    position: { x: Math.round(at.x), y: Math.round(at.y) },
  };
}

/** Removes a node with its edges and the exposed fields that point at it. */
export function removeNode<W extends { nodes: JsonObject[]; edges: JsonObject[]; exposedFields: JsonObject[] }>(
  wf: W,
  id: string,
): W {
  return {
    ...wf,
    nodes: wf.nodes.filter((n) => n.id !== id),
    edges: wf.edges.filter((e) => e.source !== id && e.target !== id),
    exposedFields: wf.exposedFields.filter((f) => f.nodeId !== id),
  };
}

export function addEdge(
  edges: JsonObject[],
  edge: { id: string; source: string; sourceHandle: string; target: string; targetHandle: string },
): JsonObject[] {
  // One edge per target input, as in InvokeAI: a new connection replaces the old one.
  const kept = edges.filter((e) => !(e.target === edge.target && e.targetHandle === edge.targetHandle));
  return [...kept, { ...edge, type: 'default' }];
}
