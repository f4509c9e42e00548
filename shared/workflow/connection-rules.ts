// Which connections a workflow graph may hold, by InvokeAI's rules (its frontend's
// store/util/validateConnection.ts, validateConnectionTypes.ts, areTypesEqual.ts, getCollectItemType.ts),
// so that what the editor here accepts, InvokeAI accepts too. Pure: no DOM, no Yjs; the editor, the graph
// checks and the tests share it. Every refusal carries a reason in plain words for the person dragging.
//
// Unknown node types (a custom node pack, or a type the schema no longer has) have no template, so the
// types of their fields cannot be judged: a connection touching one is checked for everything that does
// not need the template (self-loop, duplicate, one edge per input, cycles, the other end's field) and is
// then allowed with `unchecked` saying why its types were not checked. It is never refused for being
// unknown, because the workflow is kept exactly as it is.
import {
  describeFieldType,
  fieldTitle,
  nodeTitle,
  templateFor,
  type FieldType,
  type InputTemplate,
  type NodeTemplate,
  type OutputTemplate,
  type TemplateLookup,
} from '../node-templates/index.js';

/** The parts of a workflow node the rules read; anything else may be present. */
export interface NodeLike {
  id: string;
  type?: unknown;
  data?: unknown;
}

/** The parts of a workflow edge the rules read. */
export interface EdgeLike {
  id?: unknown;
  type?: unknown;
  source: string;
  target: string;
  sourceHandle?: unknown;
  targetHandle?: unknown;
}

export interface GraphLike {
  nodes: readonly NodeLike[];
  edges: readonly EdgeLike[];
}

export interface Connection {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/** Why a connection is refused, for code that reacts differently (the checks report missing ends apart). */
export type RefusalCode =
  | 'self-loop'
  | 'duplicate'
  | 'missing-node'
  | 'not-invocation'
  | 'missing-field'
  | 'direct-input'
  | 'input-taken'
  | 'collect-item-mismatch'
  | 'type-mismatch'
  | 'cycle';

export type ConnectionVerdict =
  | { ok: true; unchecked?: string }
  | { ok: false; code: RefusalCode; reason: string };

export interface ValidateOptions {
  /** An edge to leave out, e.g. the one whose end is being dragged to a new place. */
  ignoreEdgeId?: string;
}

/** The `data` of an invocation node, read defensively: stored workflows are client input. */
interface InvocationData {
  type: string;
  label?: unknown;
  version?: unknown;
  inputs?: unknown;
}

function invocationData(node: NodeLike): InvocationData | undefined {
  if (node.type !== 'invocation') return undefined;
  const data = node.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const type = (data as { type?: unknown }).type;
  return typeof type === 'string' ? (data as InvocationData) : undefined;
}

/** A handle-to-handle edge; InvokeAI's `collapsed` edges only stand for hidden ones between collapsed nodes. */
export function isFieldEdge(edge: EdgeLike): edge is EdgeLike & { sourceHandle: string; targetHandle: string } {
  return (edge.type === undefined || edge.type === 'default') &&
    typeof edge.sourceHandle === 'string' && typeof edge.targetHandle === 'string';
}

// ---------------------------------------------------------------------------------------------------------
// Types

function sameType(a: FieldType, b: FieldType): boolean {
  return a.name === b.name && a.cardinality === b.cardinality && Boolean(a.batch) === Boolean(b.batch);
}

/** InvokeAI's areTypesEqual: equal if the types, or either's original (pre-`ui_type`) type, match. */
export function areTypesEqual(a: FieldType, b: FieldType): boolean {
  if (sameType(a, b)) return true;
  if (b.originalType && sameType(a, b.originalType)) return true;
  if (a.originalType && sameType(a.originalType, b)) return true;
  return Boolean(a.originalType && b.originalType && sameType(a.originalType, b.originalType));
}

/** InvokeAI's validateConnectionTypes: may a value of type `source` flow into a field of type `target`? */
export function typesConnect(source: FieldType, target: FieldType): boolean {
  if (areTypesEqual(source, target)) return true;
  if (Boolean(source.batch) !== Boolean(target.batch)) return false;
  const single = (t: FieldType) => t.cardinality === 'SINGLE';
  const collection = (t: FieldType) => t.cardinality === 'COLLECTION';
  const singleOrCollection = (t: FieldType) => t.cardinality === 'SINGLE_OR_COLLECTION';

  const cardinalityMatches =
    (single(source) && single(target)) ||
    (collection(source) && collection(target)) ||
    (collection(source) && singleOrCollection(target)) ||
    (singleOrCollection(source) && singleOrCollection(target)) ||
    (single(source) && singleOrCollection(target));
  // Numbers widen as InvokeAI allows: an integer into a float, and either into text.
  const widens =
    (source.name === 'IntegerField' && target.name === 'FloatField') ||
    (source.name === 'IntegerField' && target.name === 'StringField') ||
    (source.name === 'FloatField' && target.name === 'StringField');

  return (
    // An iterated item can go anywhere that is not a collection; a single value into a collect node's item.
    (source.name === 'CollectionItemField' && !collection(target)) ||
    (single(source) && target.name === 'CollectionItemField') ||
    // Polymorphic fields take one value or many of their base type.
    (singleOrCollection(target) && source.name === target.name) ||
    // The generic collection of a collect node goes into any collection, and any collection into it.
    (source.name === 'CollectionField' && !single(target)) ||
    (target.name === 'CollectionField' && collection(source)) ||
    (cardinalityMatches && widens) ||
    target.name === 'AnyField' ||
    (source.name === 'AnyField' && cardinalityMatches)
  );
}

/** InvokeAI's isSingleCollectionPairOfSameBaseType, used where either side may come first (the If node). */
function singleCollectionPair(a: FieldType, b: FieldType): boolean {
  const pair = (a.cardinality === 'SINGLE' && b.cardinality === 'COLLECTION') ||
    (a.cardinality === 'COLLECTION' && b.cardinality === 'SINGLE');
  return Boolean(a.batch) === Boolean(b.batch) && a.name === b.name && pair;
}

function typesCompatibleEitherWay(a: FieldType, b: FieldType): boolean {
  return typesConnect(a, b) || typesConnect(b, a) || singleCollectionPair(a, b);
}

// ---------------------------------------------------------------------------------------------------------
// The graph around a connection

/**
 * The graph indexed for judging connections: nodes by id, edges by the node they go into, and what each
 * node feeds. Built once per question, or once for a whole pass (the checks, the drag highlights), so a
 * large workflow costs about its size per question rather than its size squared.
 */
export class GraphView {
  private readonly byId = new Map<string, NodeLike>();
  private readonly incoming = new Map<string, EdgeLike[]>();
  private readonly outgoing = new Map<string, string[]>();
  /** Memos of who feeds / is fed by one node, valid until an edge is added. */
  private readonly ancestorMemo = new Map<string, Set<string>>();
  private readonly descendantMemo = new Map<string, Set<string>>();

  constructor(graph: GraphLike, readonly lookup: TemplateLookup, ignoreEdgeId?: string) {
    for (const node of graph.nodes) if (!this.byId.has(node.id)) this.byId.set(node.id, node);
    for (const edge of graph.edges) if (ignoreEdgeId === undefined || edge.id !== ignoreEdgeId) this.add(edge);
  }

  add(edge: EdgeLike): void {
    const into = this.incoming.get(edge.target);
    if (into) into.push(edge);
    else this.incoming.set(edge.target, [edge]);
    const next = this.outgoing.get(edge.source);
    if (next) next.push(edge.target);
    else this.outgoing.set(edge.source, [edge.target]);
    this.ancestorMemo.clear();
    this.descendantMemo.clear();
  }

  node(id: string): NodeLike | undefined {
    return this.byId.get(id);
  }

  edgesInto(nodeId: string): readonly EdgeLike[] {
    return this.incoming.get(nodeId) ?? [];
  }

  data(nodeId: string): InvocationData | undefined {
    const node = this.byId.get(nodeId);
    return node ? invocationData(node) : undefined;
  }

  template(nodeId: string): NodeTemplate | undefined {
    const data = this.data(nodeId);
    return data ? this.lookup(data.type) : undefined;
  }

  outputOf(nodeId: string, handle: string): OutputTemplate | undefined {
    return this.template(nodeId)?.outputs.find((o) => o.name === handle);
  }

  title(nodeId: string): string {
    const data = this.data(nodeId);
    if (!data) return 'the note';
    return `“${nodeTitle(data, this.lookup(data.type))}”`;
  }

  /**
   * InvokeAI's getCollectItemType: what a collect node collects, from its first item, else from the collect
   * node chained into its collection (followed in a loop: a chain of any length cannot overflow the stack).
   */
  collectItemType(nodeId: string): FieldType | undefined {
    const visited = new Set<string>();
    let current = nodeId;
    while (!visited.has(current)) {
      visited.add(current);
      const into = this.edgesInto(current);
      const itemEdge = into.find((e) => e.targetHandle === 'item' && isFieldEdge(e));
      if (itemEdge) {
        const output = this.outputOf(itemEdge.source, itemEdge.sourceHandle as string);
        return output ? itemTypeOf(output.type) : undefined;
      }
      const collectionEdge = into.find((e) => e.targetHandle === 'collection' && isFieldEdge(e));
      if (!collectionEdge) return undefined;
      if (this.data(collectionEdge.source)?.type === 'collect' && collectionEdge.sourceHandle === 'collection') {
        current = collectionEdge.source;
        continue;
      }
      const output = this.outputOf(collectionEdge.source, collectionEdge.sourceHandle as string);
      return output ? itemTypeOf(output.type) : undefined;
    }
    return undefined;
  }

  /** Whether `to` is reachable from `from` along edges (so an edge to → from would close a loop). */
  reaches(from: string, to: string): boolean {
    const descendants = this.descendantMemo.get(from);
    if (descendants) return descendants.has(to);
    const ancestors = this.ancestorMemo.get(to);
    if (ancestors) return ancestors.has(from);
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === to) return true;
      for (const n of this.outgoing.get(id) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return false;
  }

  /** Computes once everything `nodeId` feeds, for many questions about connections into it. */
  rememberDescendants(nodeId: string): void {
    const seen = new Set<string>([nodeId]);
    const stack = [nodeId];
    while (stack.length > 0) {
      for (const n of this.outgoing.get(stack.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    this.descendantMemo.set(nodeId, seen);
  }

  /** Computes once everything that feeds `nodeId`. */
  rememberAncestors(nodeId: string): void {
    const feeders = new Map<string, string[]>();
    for (const [target, edges] of this.incoming) feeders.set(target, edges.map((e) => e.source));
    const seen = new Set<string>([nodeId]);
    const stack = [nodeId];
    while (stack.length > 0) {
      for (const n of feeders.get(stack.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    this.ancestorMemo.set(nodeId, seen);
  }
}

function itemTypeOf(type: FieldType): FieldType | undefined {
  if (type.name === 'CollectionField') return undefined;
  if (type.cardinality === 'SINGLE') return type;
  return { ...type, cardinality: 'SINGLE' };
}

function refuse(code: RefusalCode, reason: string): ConnectionVerdict {
  return { ok: false, code, reason };
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fieldInstanceOf(data: InvocationData | undefined, name: string): { label?: unknown } | undefined {
  const inputs = data?.inputs;
  if (typeof inputs !== 'object' || inputs === null) return undefined;
  const field = (inputs as Record<string, unknown>)[name];
  return typeof field === 'object' && field !== null ? (field as { label?: unknown }) : undefined;
}

/**
 * May `c` be added to the graph? InvokeAI's rules: no self-loop, no duplicate, both ends exist, the target
 * input takes connections, one edge per input (a collect node's item takes many), a collect node collects
 * one type, the If node's inputs agree, the types connect, and no cycle.
 */
export function validateConnection(
  graph: GraphLike,
  lookup: TemplateLookup,
  c: Connection,
  options: ValidateOptions = {},
): ConnectionVerdict {
  if (c.source === c.target) return refuse('self-loop', 'A node cannot connect to itself.');
  return judgeConnection(new GraphView(graph, lookup, options.ignoreEdgeId), c);
}

/**
 * validateConnection on a prepared view: for passes that ask many questions of one graph. `skipLoopSearch`
 * is for a caller that finds loops itself in one pass over the whole graph (loopClosingEdges).
 */
export function judgeConnection(view: GraphView, c: Connection, skipLoopSearch = false): ConnectionVerdict {
  if (c.source === c.target) return refuse('self-loop', 'A node cannot connect to itself.');
  const lookup = view.lookup;
  const into = view.edgesInto(c.target);
  if (into.some((e) => e.source === c.source && e.sourceHandle === c.sourceHandle && e.targetHandle === c.targetHandle)) {
    return refuse('duplicate', 'These two fields are already connected.');
  }
  const sourceNode = view.node(c.source);
  const targetNode = view.node(c.target);
  if (!sourceNode) return refuse('missing-node', `The node the connection comes from (${c.source}) is not in the workflow.`);
  if (!targetNode) return refuse('missing-node', `The node the connection goes to (${c.target}) is not in the workflow.`);
  const sourceData = invocationData(sourceNode);
  const targetData = invocationData(targetNode);
  if (!sourceData || !targetData) return refuse('not-invocation', 'Only the fields of nodes can be connected, not notes.');

  const sourceTemplate = lookup(sourceData.type);
  const targetTemplate = lookup(targetData.type);
  const sourceField = sourceTemplate?.outputs.find((o) => o.name === c.sourceHandle);
  const targetField = targetTemplate?.inputs.find((i) => i.name === c.targetHandle);
  if (sourceTemplate && !sourceField) {
    return refuse('missing-field', `${capitalised(view.title(c.source))} has no output “${c.sourceHandle}”.`);
  }
  if (targetTemplate && !targetField) {
    return refuse('missing-field', `${capitalised(view.title(c.target))} has no input “${c.targetHandle}”.`);
  }
  const targetName = fieldTitle(c.targetHandle, targetField, fieldInstanceOf(targetData, c.targetHandle));
  const sourceName = fieldTitle(c.sourceHandle, sourceField);
  if (targetField && targetField.input === 'direct') {
    return refuse('direct-input', `${targetName} is set in the node and cannot take a connection.`);
  }

  if (sourceField && targetField) {
    const typeVerdict = checkTypes(view, c, sourceData, targetData, sourceField, targetField, sourceName, targetName);
    if (typeVerdict) return typeVerdict;
  } else if (into.some((e) => e.targetHandle === c.targetHandle) &&
      targetField?.type.name !== 'CollectionItemField') {
    return refuse('input-taken', `${targetName} already has a connection; remove it first.`);
  }

  if (!skipLoopSearch && view.reaches(c.target, c.source)) {
    return refuse('cycle', `This connection would make a loop: ${view.title(c.source)} already depends on ${view.title(c.target)}.`);
  }
  if (!sourceTemplate || !targetTemplate) {
    const unknown = !sourceTemplate ? sourceData.type : targetData.type;
    return { ok: true, unchecked: `The node type “${unknown}” is not known here, so the field types were not checked.` };
  }
  return { ok: true };
}

function checkTypes(
  view: GraphView,
  c: Connection,
  sourceData: InvocationData,
  targetData: InvocationData,
  sourceField: OutputTemplate,
  targetField: InputTemplate,
  sourceName: string,
  targetName: string,
): ConnectionVerdict | undefined {
  const gives = `${sourceName} gives ${describeFieldType(sourceField.type)}`;
  if (targetData.type === 'collect' && c.targetHandle === 'item') {
    const collected = view.collectItemType(c.target);
    if (collected && !areTypesEqual(sourceField.type, collected)) {
      return refuse('collect-item-mismatch',
        `This Collect node already collects ${describeFieldType({ ...collected, cardinality: 'COLLECTION' }).replace(/^a collection of /, '')}; ${gives}.`);
    }
  }
  if (sourceData.type === 'collect' && c.sourceHandle === 'collection' &&
      targetData.type === 'collect' && c.targetHandle === 'collection') {
    const from = view.collectItemType(c.source);
    const into = view.collectItemType(c.target);
    if (from && into && !areTypesEqual(from, into)) {
      return refuse('collect-item-mismatch',
        `These Collect nodes collect different types: ${describeFieldType(from)} and ${describeFieldType(into)}.`);
    }
  }
  if (targetData.type === 'if' && (c.targetHandle === 'true_input' || c.targetHandle === 'false_input')) {
    const sibling = c.targetHandle === 'true_input' ? 'false_input' : 'true_input';
    const siblingEdge = view.edgesInto(c.target).find((e) => e.targetHandle === sibling && isFieldEdge(e));
    if (siblingEdge) {
      const siblingOutput = view.outputOf(siblingEdge.source, siblingEdge.sourceHandle as string);
      if (siblingOutput && !typesCompatibleEitherWay(sourceField.type, siblingOutput.type)) {
        return refuse('type-mismatch',
          `Both inputs of an If node must be of one type: the other one gets ${describeFieldType(siblingOutput.type)}; ${gives}.`);
      }
    }
  }
  if (view.edgesInto(c.target).some((e) => e.targetHandle === c.targetHandle) &&
      targetField.type.name !== 'CollectionItemField') {
    return refuse('input-taken', `${targetName} already has a connection; remove it first.`);
  }
  if (sourceData.type === 'if' && c.sourceHandle === 'value') {
    // An If node passes on what it gets: judge what flows in, once something does.
    const incoming = view.edgesInto(c.source)
      .filter((e) => (e.targetHandle === 'true_input' || e.targetHandle === 'false_input') && isFieldEdge(e))
      .map((e) => view.outputOf(e.source, e.sourceHandle as string)?.type)
      .filter((t): t is FieldType => t !== undefined);
    if (incoming.length > 0) {
      const bad = incoming.find((t) => !typesConnect(t, targetField.type));
      if (bad) {
        return refuse('type-mismatch',
          `${targetName} takes ${describeFieldType(targetField.type)}; this If node passes on ${describeFieldType(bad)}.`);
      }
      return undefined;
    }
  }
  if (!typesConnect(sourceField.type, targetField.type)) {
    return refuse('type-mismatch', `${targetName} takes ${describeFieldType(targetField.type)}; ${gives}.`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Offering connections while dragging

/** One end of a connection being dragged: an output (dragging towards inputs) or an input (towards outputs). */
export interface DragStart {
  nodeId: string;
  handle: string;
  kind: 'output' | 'input';
}

export interface TargetVerdict {
  nodeId: string;
  handle: string;
  verdict: ConnectionVerdict;
}

/**
 * Every field of the other kind on the other nodes of the graph, with whether the dragged connection may
 * end there and why not: the editor lights up the ones that are ok and says the reason on the others.
 * Unknown node types offer the fields their `inputs` hold (their outputs are not known).
 */
export function compatibleTargets(
  graph: GraphLike,
  lookup: TemplateLookup,
  from: DragStart,
  options: ValidateOptions = {},
): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const view = new GraphView(graph, lookup, options.ignoreEdgeId);
  // Every question shares one end, so what feeds it (or what it feeds) is computed once.
  if (from.kind === 'output') view.rememberAncestors(from.nodeId);
  else view.rememberDescendants(from.nodeId);
  for (const node of graph.nodes) {
    if (node.id === from.nodeId) continue;
    const data = invocationData(node);
    if (!data) continue;
    const template = lookup(data.type);
    const handles = from.kind === 'output'
      ? (template ? template.inputs.filter((i) => !i.uiHidden).map((i) => i.name) : unknownInputs(data))
      : (template ? template.outputs.filter((o) => !o.uiHidden).map((o) => o.name) : []);
    for (const handle of handles) {
      const c: Connection = from.kind === 'output'
        ? { source: from.nodeId, sourceHandle: from.handle, target: node.id, targetHandle: handle }
        : { source: node.id, sourceHandle: handle, target: from.nodeId, targetHandle: from.handle };
      out.push({ nodeId: node.id, handle, verdict: judgeConnection(view, c) });
    }
  }
  return out;
}

function unknownInputs(data: InvocationData): string[] {
  const inputs = data.inputs;
  return typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs) ? Object.keys(inputs) : [];
}

export interface NodeOffer {
  template: NodeTemplate;
  /** The field of the new node that the dragged connection would join. */
  field: string;
}

/**
 * The node types a dragged connection may be dropped onto as a new node, each with the field to connect:
 * dragging from an output (`direction` 'output') offers nodes with a matching input, dragging from an input
 * offers nodes with a matching output. A field of exactly the type is preferred, else the first that fits in
 * display order. A new node has no edges, so only the types decide (collect and If accept by type alone).
 */
export function compatibleNodeTemplates(
  fromType: FieldType,
  direction: 'output' | 'input',
  templates: readonly NodeTemplate[],
): NodeOffer[] {
  const offers: NodeOffer[] = [];
  for (const template of templates) {
    const fields: ReadonlyArray<InputTemplate | OutputTemplate> = direction === 'output'
      ? template.inputs.filter((i) => i.input !== 'direct' && !i.uiHidden)
      : template.outputs.filter((o) => !o.uiHidden);
    const fits = (f: InputTemplate | OutputTemplate) =>
      direction === 'output' ? typesConnect(fromType, f.type) : typesConnect(f.type, fromType);
    const field = fields.find((f) => areTypesEqual(f.type, fromType) && fits(f)) ?? fields.find(fits);
    if (field) offers.push({ template, field: field.name });
  }
  return offers;
}

/** The default lookup: the shipped templates. */
export const shippedTemplates: TemplateLookup = templateFor;

/**
 * Edges that close loops: the back edges of one depth-first walk (without recursion, so that a long chain
 * cannot overflow the stack), roots and successors taken in stored order. Without them the graph has no
 * loop, and each of them lies on one; for a loop stored in order, the one reported is its last edge.
 */
export function loopClosingEdges(nodeIds: Iterable<string>, edges: readonly EdgeLike[]): EdgeLike[] {
  const next = new Map<string, EdgeLike[]>();
  for (const e of edges) {
    const list = next.get(e.source);
    if (list) list.push(e);
    else next.set(e.source, [e]);
  }
  const done = new Set<string>();
  const onPath = new Set<string>();
  const closing: EdgeLike[] = [];
  for (const root of nodeIds) {
    if (done.has(root)) continue;
    // Each frame: a node on the current path and how many of its edges have been followed.
    const frames: Array<{ id: string; child: number }> = [{ id: root, child: 0 }];
    onPath.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = next.get(frame.id) ?? [];
      if (frame.child < out.length) {
        const e = out[frame.child++]!;
        if (onPath.has(e.target)) closing.push(e);
        else if (!done.has(e.target)) {
          onPath.add(e.target);
          frames.push({ id: e.target, child: 0 });
        }
        continue;
      }
      frames.pop();
      onPath.delete(frame.id);
      done.add(frame.id);
    }
  }
  return closing;
}
