// What is wrong with a workflow's graph, judged against the node templates: run on load, import and save,
// listed in plain words in the editor, counted on library tiles. Nothing here changes the workflow: a
// problem is reported, the node or edge is kept as it is (InvokeAI would drop an invalid edge; a library
// must not lose what a user stored).
//
// Errors are what InvokeAI would refuse or drop (unknown node types, missing ends, type mismatches, fields
// the node type does not have, unreadable inputs). A node made with an older version of its node type is a
// warning: InvokeAI updates such nodes when it loads them, and fields the old version had but the new one
// lacks are part of that same warning, not errors of their own.
import {
  fieldTitle,
  nodeIsOutdated,
  nodeTitle,
  templateFor,
  type NodeTemplate,
  type TemplateLookup,
} from '../node-templates/index.js';
import {
  GraphView,
  isFieldEdge,
  judgeConnection,
  loopClosingEdges,
  type EdgeLike,
  type GraphLike,
  type NodeLike,
} from './connection-rules.js';

export type ProblemKind =
  | 'malformed-workflow'
  | 'malformed-node'
  | 'duplicate-node-id'
  | 'unknown-node-type'
  | 'inputs-not-object'
  | 'malformed-field'
  | 'unknown-field'
  | 'missing-required-field'
  | 'outdated-node'
  | 'malformed-edge'
  | 'edge-missing-node'
  | 'edge-missing-field'
  | 'edge-type-mismatch'
  | 'edge-invalid';

export interface WorkflowProblem {
  /** The node to take the user to; for an edge, the node it goes into (or comes from, if that one is gone). */
  nodeId?: string;
  edgeId?: string;
  kind: ProblemKind;
  severity: 'error' | 'warning';
  message: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(s: string): string {
  return `“${s}”`;
}

/** Lists the problems of `workflow` (any JSON; nothing is assumed about its shape) against the templates. */
export function checkWorkflow(workflow: unknown, lookup: TemplateLookup = templateFor): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const error = (p: Omit<WorkflowProblem, 'severity'>) => problems.push({ ...p, severity: 'error' });
  if (!isObject(workflow) || !Array.isArray(workflow['nodes']) || !Array.isArray(workflow['edges'])) {
    error({ kind: 'malformed-workflow', message: 'This is not a workflow: it needs a list of nodes and a list of edges.' });
    return problems;
  }

  const nodes: NodeLike[] = [];
  const seen = new Set<string>();
  (workflow['nodes'] as unknown[]).forEach((raw, index) => {
    if (!isObject(raw) || typeof raw['id'] !== 'string') {
      error({ kind: 'malformed-node', message: `Node number ${index + 1} has no id, so it cannot be shown or connected.` });
      return;
    }
    const node = raw as unknown as NodeLike;
    if (seen.has(node.id)) {
      error({ nodeId: node.id, kind: 'duplicate-node-id', message: `Two nodes share the id ${node.id}; connections to it are ambiguous.` });
      return;
    }
    seen.add(node.id);
    nodes.push(node);
  });

  const edges: EdgeLike[] = [];
  (workflow['edges'] as unknown[]).forEach((raw, index) => {
    if (!isObject(raw) || typeof raw['source'] !== 'string' || typeof raw['target'] !== 'string') {
      error({ kind: 'malformed-edge', message: `Connection number ${index + 1} does not say which nodes it joins.` });
      return;
    }
    edges.push(raw as unknown as EdgeLike);
  });

  const connectedInputs = new Set(edges.filter(isFieldEdge).map((e) => `${e.target}\u0000${e.targetHandle}`));
  for (const node of nodes) checkNode(node, lookup, connectedInputs, problems);
  checkEdges({ nodes, edges }, lookup, problems);
  return problems;
}

function checkNode(node: NodeLike, lookup: TemplateLookup, connectedInputs: Set<string>, problems: WorkflowProblem[]): void {
  if (node.type !== 'invocation') return; // notes and other display-only nodes have no template
  const push = (kind: ProblemKind, message: string, severity: WorkflowProblem['severity'] = 'error') =>
    problems.push({ nodeId: node.id, kind, severity, message });
  const data = node.data;
  if (!isObject(data) || typeof data['type'] !== 'string') {
    push('malformed-node', `The node ${node.id} does not say what type of node it is.`);
    return;
  }
  const type = data['type'];
  const template = lookup(type);
  const title = quoted(nodeTitle(data, template));
  if (!template) {
    push('unknown-node-type',
      `${title} is of the type ${quoted(type)}, which is not known here: it may come from a custom node pack, or ` +
      'InvokeAI no longer has it. It is kept as it is, but cannot be checked or run without that node type.');
  }
  const inputs = data['inputs'];
  if (!isObject(inputs)) {
    push('inputs-not-object', `The fields of ${title} are not stored as a set of named fields, so they cannot be read.`);
    return;
  }
  for (const [name, field] of Object.entries(inputs)) {
    if (!isObject(field)) push('malformed-field', `The field ${quoted(name)} of ${title} is not a field: it has no name or value.`);
  }
  if (!template) return;

  const unknownFields = Object.keys(inputs).filter((name) => !template.inputs.some((i) => i.name === name));
  if (nodeIsOutdated(data, template)) {
    const made = typeof data['version'] === 'string' && data['version'] !== ''
      ? `version ${data['version']}` : 'an unknown version';
    const dropped = unknownFields.length > 0
      ? ` Fields of the old version that the new one no longer has: ${unknownFields.map(quoted).join(', ')}.` : '';
    push('outdated-node',
      `${title} was made with ${made} of its node type; the current version is ${template.version}.${dropped}`,
      'warning');
    return; // older versions may lack new fields or carry retired ones: that is the update, not more problems
  }
  for (const name of unknownFields) {
    push('unknown-field', `${title} has a field ${quoted(name)} that its node type does not have.`);
  }
  for (const input of missingRequired(node.id, template, inputs, connectedInputs)) {
    push('missing-required-field', `${title} lacks its required field ${quoted(fieldTitle(input, template.inputs.find((i) => i.name === input)))}.`);
  }
}

function missingRequired(nodeId: string, template: NodeTemplate, inputs: Json, connectedInputs: Set<string>): string[] {
  return template.inputs
    // Own keys only: a stored workflow's `inputs` is a plain parsed object, and "toString" is in every one.
    .filter((i) => i.required && !Object.hasOwn(inputs, i.name) && !connectedInputs.has(`${nodeId}\u0000${i.name}`))
    .map((i) => i.name);
}

/**
 * Each edge is judged against the edges before it that passed, as InvokeAI does on load: of two edges into
 * one input the second is reported. Loops are found afterwards in one depth-first walk over the edges that
 * passed, reporting the edges that close them (for a loop stored in order, its last edge): searching for a
 * loop from every edge would cost the graph's size squared, which a large hostile workflow could exploit.
 */
function checkEdges(graph: GraphLike, lookup: TemplateLookup, problems: WorkflowProblem[]): void {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  // One view that grows by each accepted edge: each question costs about what touches its ends.
  const accepted = new GraphView({ nodes: graph.nodes, edges: [] }, lookup);
  const acceptedEdges: EdgeLike[] = [];
  const found = new Map<EdgeLike, WorkflowProblem>();
  const report = (edge: EdgeLike, kind: ProblemKind, nodeId: string, message: string) => {
    const edgeId = typeof edge.id === 'string' ? edge.id : undefined;
    found.set(edge, { nodeId, ...(edgeId === undefined ? {} : { edgeId }), kind, severity: 'error', message });
  };
  const ends = (edge: EdgeLike) => {
    const from = describeNode(byId.get(edge.source)!, lookup);
    const into = describeNode(byId.get(edge.target)!, lookup);
    return isFieldEdge(edge)
      ? `from ${from} (${edge.sourceHandle}) to ${into} (${edge.targetHandle})`
      : `from ${from} to ${into}`;
  };
  for (const edge of graph.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) {
      const present = source ?? target;
      const where = present ? describeNode(present, lookup) : 'two nodes';
      const missing = [!source ? edge.source : undefined, !target ? edge.target : undefined].filter(Boolean).join(' and ');
      report(edge, 'edge-missing-node', present?.id ?? edge.target,
        `A connection of ${where} leads to a node that is not in the workflow (${missing}).`);
      continue;
    }
    if (!isFieldEdge(edge)) {
      if (edge.type !== 'collapsed') {
        report(edge, 'malformed-edge', target.id, `A connection into ${describeNode(target, lookup)} does not say which fields it joins.`);
      } else {
        accepted.add(edge);
        acceptedEdges.push(edge);
      }
      continue;
    }
    const verdict = judgeConnection(accepted, {
      source: edge.source,
      sourceHandle: edge.sourceHandle,
      target: edge.target,
      targetHandle: edge.targetHandle,
    }, true);
    if (verdict.ok) {
      accepted.add(edge);
      acceptedEdges.push(edge);
      continue;
    }
    const kind: ProblemKind = verdict.code === 'type-mismatch' || verdict.code === 'collect-item-mismatch'
      ? 'edge-type-mismatch'
      : verdict.code === 'missing-field' ? 'edge-missing-field' : 'edge-invalid';
    report(edge, kind, target.id, `The connection ${ends(edge)} is not valid: ${verdict.reason}`);
  }
  for (const edge of loopClosingEdges(byId.keys(), acceptedEdges)) {
    report(edge, 'edge-invalid', edge.target, `The connection ${ends(edge)} is not valid: it closes a loop, ` +
      `${describeNode(byId.get(edge.target)!, lookup)} already leads to ${describeNode(byId.get(edge.source)!, lookup)}.`);
  }
  for (const edge of graph.edges) {
    const problem = found.get(edge);
    if (problem) problems.push(problem);
  }
}

function describeNode(node: NodeLike, lookup: TemplateLookup): string {
  if (node.type !== 'invocation' || !isObject(node.data)) return 'a note';
  const type = node.data['type'];
  return quoted(nodeTitle(node.data, typeof type === 'string' ? lookup(type) : undefined));
}

/** The problems of one node, for its badge on the canvas. */
export function problemsOfNode(problems: readonly WorkflowProblem[], nodeId: string): WorkflowProblem[] {
  return problems.filter((p) => p.nodeId === nodeId);
}

/** Whether any problem is an error (warnings alone, such as outdated nodes, leave a workflow usable). */
export function hasErrors(problems: readonly WorkflowProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
