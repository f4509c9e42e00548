// What restoring a version would change in the current workflow: nodes it adds back, nodes it removes,
// nodes whose values it changes (with the fields), edges, and the details. Used to mark the version on
// the canvas (graph-marks.ts) and to say it in words beside it.
import { isPlainObject, jsonEqual, type JsonObject, type JsonValue } from '../../../shared/workflow/json.js';
import type { NodeMark } from '../graph/graph-marks.js';
import { nodeTitle } from '../graph/graph-model.js';

export interface WorkflowDiff {
  /** in the version, not in the current workflow: Restore adds them */
  nodesAdded: string[];
  /** in the current workflow, not in the version: Restore removes them */
  nodesRemoved: string[];
  /** in both, different: the input fields whose values differ (empty when only other things differ, e.g. the position) */
  nodesChanged: Map<string, string[]>;
  edgesAdded: number;
  edgesRemoved: number;
  /** the workflow's own fields that differ (name, description, …) */
  details: string[];
}

const DETAILS = ['name', 'author', 'description', 'version', 'contact', 'tags', 'notes', 'exposedFields', 'form'] as const;

function list(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter((x): x is JsonObject => isPlainObject(x)) : [];
}

function byId(items: JsonObject[]): Map<string, JsonObject> {
  return new Map(items.filter((n) => typeof n['id'] === 'string').map((n) => [n['id'] as string, n]));
}

function inputs(node: JsonObject): Record<string, JsonValue> {
  const data = isPlainObject(node['data']) ? node['data'] : {};
  return isPlainObject(data['inputs']) ? (data['inputs'] as Record<string, JsonValue>) : {};
}

function edgeKey(e: JsonObject): string {
  return `${String(e['source'])}:${String(e['sourceHandle'])}>${String(e['target'])}:${String(e['targetHandle'])}`;
}

export function diffWorkflows(current: JsonObject, version: JsonObject): WorkflowDiff {
  const now = byId(list(current['nodes']));
  const then = byId(list(version['nodes']));
  const nodesAdded = [...then.keys()].filter((id) => !now.has(id));
  const nodesRemoved = [...now.keys()].filter((id) => !then.has(id));
  const nodesChanged = new Map<string, string[]>();
  for (const [id, old] of then) {
    const cur = now.get(id);
    if (!cur || jsonEqual(cur, old)) continue;
    const a = inputs(cur);
    const b = inputs(old);
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => {
      const va = isPlainObject(a[f]) ? (a[f] as JsonObject)['value'] : undefined;
      const vb = isPlainObject(b[f]) ? (b[f] as JsonObject)['value'] : undefined;
      return va === undefined || vb === undefined ? va !== vb : !jsonEqual(va, vb);
    });
    nodesChanged.set(id, fields);
  }
  const edgesNow = new Set(list(current['edges']).map(edgeKey));
  const edgesThen = new Set(list(version['edges']).map(edgeKey));
  const details = DETAILS.filter((k) => {
    const a = current[k];
    const b = version[k];
    return a === undefined || b === undefined ? a !== b : !jsonEqual(a, b);
  });
  return {
    nodesAdded,
    nodesRemoved,
    nodesChanged,
    edgesAdded: [...edgesThen].filter((k) => !edgesNow.has(k)).length,
    edgesRemoved: [...edgesNow].filter((k) => !edgesThen.has(k)).length,
    details,
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** One line: "Restore would add 1 node, remove 2 nodes, change 3 nodes and name" or "Same as now". */
export function diffText(d: WorkflowDiff): string {
  const parts: string[] = [];
  if (d.nodesAdded.length) parts.push(`add ${plural(d.nodesAdded.length, 'node')}`);
  if (d.nodesRemoved.length) parts.push(`remove ${plural(d.nodesRemoved.length, 'node')}`);
  if (d.nodesChanged.size) parts.push(`change ${plural(d.nodesChanged.size, 'node')}`);
  if (d.edgesAdded) parts.push(`add ${plural(d.edgesAdded, 'connection')}`);
  if (d.edgesRemoved) parts.push(`remove ${plural(d.edgesRemoved, 'connection')}`);
  if (d.details.length) parts.push(`change ${d.details.join(', ')}`);
  return parts.length ? `Restoring it would ${parts.join('; ')}.` : 'It is the same as the current workflow.';
}

/**
 * What the canvas shows for a version: its own nodes and edges, plus the current workflow's nodes it
 * lacks (drawn so their removal can be seen), each difference marked.
 */
export function versionView(current: JsonObject, version: JsonObject, d: WorkflowDiff = diffWorkflows(current, version)) {
  const removed = new Set(d.nodesRemoved);
  const nodes = [...list(version['nodes']), ...list(current['nodes']).filter((n) => removed.has(n['id'] as string))];
  const marks = new Map<string, NodeMark>();
  const named = new Map(nodes.map((n) => [n['id'] as string, nodeTitle(n)]));
  for (const id of d.nodesAdded) marks.set(id, { kind: 'added', label: `${named.get(id)}: only in this version (Restore adds it)` });
  for (const id of d.nodesRemoved) marks.set(id, { kind: 'removed', label: `${named.get(id)}: not in this version (Restore removes it)` });
  for (const [id, fields] of d.nodesChanged) {
    const what = fields.length ? `changed: ${fields.join(', ')}` : 'moved or changed';
    marks.set(id, { kind: 'changed', label: `${named.get(id)}: ${what}`, fields });
  }
  return { nodes, edges: list(version['edges']), marks };
}
