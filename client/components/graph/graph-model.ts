// Pure helpers over a workflow's nodes and edges: geometry for drawing, and edits that return new
// arrays (the editor's draft is treated as immutable, so Lit sees every change).
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import {
  fieldTitle,
  nodeIsOutdated,
  templateFor,
  type InputTemplate,
  type NodeTemplate,
  type OutputTemplate,
} from '../../../shared/node-templates/index.js';

export const NODE_WIDTH = 260;
export const HEADER_HEIGHT = 30;
export const ROW_HEIGHT = 30;
export const NOTES_HEIGHT = 90;

export interface Point {
  x: number;
  y: number;
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
  const template = typeof d.type === 'string' ? templateFor(d.type) : undefined;
  if (template) return template.title;
  return typeof d.type === 'string' ? d.type : String(node.type ?? 'node');
}

export type FieldWidget = 'integer' | 'float' | 'text' | 'textarea' | 'boolean' | 'enum' | 'chip' | 'none';

/** One input field as drawn: where its row is, its label, its widget and whether it has a handle. */
export interface InputRow {
  name: string;
  label: string;
  /** the stored value, else the template's default (shown, not written until edited) */
  value: JsonValue | undefined;
  template: InputTemplate | undefined;
  widget: FieldWidget;
  /** takes connections (not a direct-only input) */
  handle: boolean;
  /** stored in the node but not an input of its node type (kept; the checks report it) */
  extra: boolean;
  /** top of the row, from the node's top */
  y: number;
  height: number;
}

export interface OutputRow {
  name: string;
  label: string;
  template: OutputTemplate | undefined;
  y: number;
}

/** How a node is laid out: InvokeAI's order (connection inputs beside the outputs, then the fields with widgets). */
export interface NodeLayout {
  template: NodeTemplate | undefined;
  /** an invocation whose type the templates do not know (a custom node pack) */
  unknownType: boolean;
  /** made with an older version of its node type */
  outdated: boolean;
  /** a line under the title saying the node is unknown or outdated */
  noteY: number | null;
  inputs: InputRow[];
  outputs: OutputRow[];
  height: number;
}

/** The line under the title of an unknown or outdated node. */
export const NOTE_HEIGHT = 22;
/** A prompt: its label line and a few lines of text. */
export const TEXTAREA_HEIGHT = 86;

function widgetFor(t: InputTemplate | undefined, value: JsonValue | undefined): FieldWidget {
  if (!t) {
    // A field no template describes: judged by its stored value, as before templates.
    if (typeof value === 'boolean') return 'boolean';
    if (typeof value === 'number') return 'float';
    if (typeof value === 'string' || value === undefined || value === null) return 'text';
    return 'chip';
  }
  if (t.input === 'connection') return 'none';
  if (t.type.cardinality === 'COLLECTION' || Array.isArray(value)) return 'chip';
  switch (t.type.name) {
    case 'IntegerField':
      return 'integer';
    case 'FloatField':
      return 'float';
    case 'BooleanField':
      return 'boolean';
    case 'StringField':
      return t.uiComponent === 'textarea' ? 'textarea' : 'text';
    default:
      return t.enum && t.enum.length > 0 ? 'enum' : 'chip';
  }
}

const layouts = new WeakMap<JsonObject, { edges: JsonObject[]; layout: NodeLayout }>();

export function nodeLayout(node: JsonObject, edges: JsonObject[]): NodeLayout {
  const cached = layouts.get(node);
  if (cached && (cached.edges === edges || cached.layout.template)) return cached.layout;
  const layout = computeLayout(node, edges);
  layouts.set(node, { edges, layout });
  return layout;
}

function computeLayout(node: JsonObject, edges: JsonObject[]): NodeLayout {
  const data = nodeData(node);
  const type = typeof data.type === 'string' ? data.type : undefined;
  const invocation = node.type === 'invocation';
  const template = invocation && type ? templateFor(type) : undefined;
  const unknownType = invocation && !template;
  const outdated = template !== undefined && nodeIsOutdated(data, template);
  const stored = obj(data.inputs);
  let y = HEADER_HEIGHT;
  const noteY = unknownType || outdated ? y : null;
  if (noteY !== null) y += NOTE_HEIGHT;
  if (node.type === 'notes') return { template, unknownType, outdated, noteY, inputs: [], outputs: [], height: HEADER_HEIGHT + NOTES_HEIGHT };

  const row = (name: string, t: InputTemplate | undefined, top: number, extra: boolean): InputRow => {
    const instance = obj(stored[name]);
    const value = 'value' in instance ? instance.value : (t?.default as JsonValue | undefined);
    const widget = widgetFor(t, value);
    return {
      name,
      label: fieldTitle(name, t, instance),
      value,
      template: t,
      widget,
      handle: t ? t.input !== 'direct' : true,
      extra,
      y: top,
      height: widget === 'textarea' ? TEXTAREA_HEIGHT : ROW_HEIGHT,
    };
  };

  if (!template) {
    // Unknown types (and nodes without a type) as before templates: stored inputs in rows, the outputs
    // their edges use beside them, plus `value` to draw a first edge from.
    const names = new Set<string>();
    for (const e of edges) if (e.source === node.id && typeof e.sourceHandle === 'string') names.add(e.sourceHandle);
    if (names.size === 0) names.add('value');
    const inputs = Object.keys(stored).map((name, i) => row(name, undefined, y + i * ROW_HEIGHT, false));
    const outputs = [...names].map((name, i) => ({ name, label: name, template: undefined, y: y + i * ROW_HEIGHT }));
    const rows = Math.max(inputs.length, outputs.length, 1);
    return { template, unknownType, outdated, noteY, inputs, outputs, height: y + rows * ROW_HEIGHT + 8 };
  }

  const visible = template.inputs.filter((t) => !t.uiHidden);
  const connectionOnly = visible.filter((t) => t.input === 'connection');
  const withWidgets = visible.filter((t) => t.input !== 'connection');
  const outs = template.outputs.filter((o) => !o.uiHidden);
  const inputs: InputRow[] = connectionOnly.map((t, i) => row(t.name, t, y + i * ROW_HEIGHT, false));
  const outputs: OutputRow[] = outs.map((o, i) => ({ name: o.name, label: fieldTitle(o.name, o), template: o, y: y + i * ROW_HEIGHT }));
  y += Math.max(connectionOnly.length, outs.length) * ROW_HEIGHT;
  for (const t of withWidgets) {
    const r = row(t.name, t, y, false);
    inputs.push(r);
    y += r.height;
  }
  const known = new Set(template.inputs.map((t) => t.name));
  for (const name of Object.keys(stored)) {
    if (known.has(name)) continue;
    const r = row(name, undefined, y, true);
    inputs.push(r);
    y += r.height;
  }
  return { template, unknownType, outdated, noteY, inputs, outputs, height: Math.max(y, HEADER_HEIGHT + ROW_HEIGHT) + 8 };
}

/** The input fields as drawn (see nodeLayout). */
export function nodeInputs(node: JsonObject, edges: JsonObject[] = []): InputRow[] {
  return nodeLayout(node, edges).inputs;
}

/**
 * Output handles: the template's outputs; for a node type without a template (workflow JSON stores no
 * outputs), the outputs its edges use, plus `value` for drawing new edges.
 */
export function nodeOutputs(node: JsonObject, edges: JsonObject[]): string[] {
  return nodeLayout(node, edges).outputs.map((o) => o.name);
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
  return nodeLayout(node, edges).height;
}

export function inputHandle(node: JsonObject, field: string, edges: JsonObject[] = []): Point | null {
  const row = nodeLayout(node, edges).inputs.find((f) => f.name === field);
  if (!row) return null;
  const p = nodePosition(node);
  if (isCollapsed(node)) return { x: p.x, y: p.y + HEADER_HEIGHT / 2 };
  return { x: p.x, y: p.y + row.y + ROW_HEIGHT / 2 };
}

export function outputHandle(node: JsonObject, output: string, edges: JsonObject[]): Point {
  const outs = nodeLayout(node, edges).outputs;
  const row = outs.find((o) => o.name === output) ?? outs[0];
  const p = nodePosition(node);
  if (isCollapsed(node) || !row) return { x: p.x + NODE_WIDTH, y: p.y + HEADER_HEIGHT / 2 };
  return { x: p.x + NODE_WIDTH, y: p.y + row.y + ROW_HEIGHT / 2 };
}

/** Where an edge's target handle is: the input row, or the node's top-left when the field is unknown. */
export function edgeEnds(edge: JsonObject, byId: Map<string, JsonObject>, edges: JsonObject[]): [Point, Point] | null {
  const s = byId.get(String(edge.source));
  const t = byId.get(String(edge.target));
  if (!s || !t) return null;
  const from = outputHandle(s, String(edge.sourceHandle ?? ''), edges);
  const tp = nodePosition(t);
  const to = inputHandle(t, String(edge.targetHandle ?? ''), edges) ?? { x: tp.x, y: tp.y + HEADER_HEIGHT / 2 };
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
