// The workflow form of InvokeAI 5 (`workflow.form`): a tree of elements kept flat in `elements` (id →
// element), rooted at `rootElementId`. Containers hold their children's ids in order and lay them out
// in a row or a column; the leaves are node fields (a pointer to one input of one node: the value
// lives in the node, never in the form), headings, text and dividers. The shapes follow InvokeAI's
// frontend (features/nodes/types/workflow.ts); the server's model keeps `form` as any JSON object, so
// this module only reads and edits it, and never rejects a workflow because of its form.
//
// Reading never throws: a form that does not have InvokeAI's structure is reported with a reason in
// plain words (InvokeAI silently replaces such a form with an empty one; we keep it and show why).
// Every edit returns a new form (the editor's draft is immutable) and keeps every key it does not
// touch, so a form built here round-trips through InvokeAI unchanged.
import { isPlainObject, type JsonObject, type JsonValue } from './json.js';

export type ContainerLayout = 'row' | 'column';

export interface FieldIdentifier {
  nodeId: string;
  fieldName: string;
}

interface ElementBase {
  id: string;
  parentId?: string;
  [key: string]: unknown;
}

export interface ContainerElement extends ElementBase {
  type: 'container';
  data: { layout: ContainerLayout; children: string[]; [key: string]: unknown };
}

/** InvokeAI's per-field display settings (number widgets, string widget, dropdown options). */
export interface NodeFieldSettings {
  type: 'float-field-config' | 'integer-field-config' | 'string-field-config';
  component?: string;
  min?: number;
  max?: number;
  showShuffle?: boolean;
  options?: { label: string; value: string }[];
  [key: string]: unknown;
}

export interface NodeFieldElement extends ElementBase {
  type: 'node-field';
  data: {
    fieldIdentifier: FieldIdentifier;
    showDescription?: boolean;
    settings?: NodeFieldSettings;
    [key: string]: unknown;
  };
}

export interface HeadingElement extends ElementBase {
  type: 'heading';
  data: { content: string; [key: string]: unknown };
}

export interface TextElement extends ElementBase {
  type: 'text';
  data: { content: string; [key: string]: unknown };
}

export interface DividerElement extends ElementBase {
  type: 'divider';
}

export type FormElement = ContainerElement | NodeFieldElement | HeadingElement | TextElement | DividerElement;
export type FormElementType = FormElement['type'];

export interface BuilderForm {
  elements: Record<string, FormElement>;
  rootElementId: string;
  [key: string]: unknown;
}

export type FormReading = { ok: true; form: BuilderForm } | { ok: false; reason: string };

/** InvokeAI's id of the root container of a new form. */
export const ROOT_ELEMENT_ID = 'root';

/**
 * How deep containers may nest. Nesting goes through ids, not JSON depth, so the document limits do
 * not bound it: a hostile form could chain thousands of containers and overflow the stack of the
 * recursive drawing. InvokeAI's own forms nest two or three levels.
 */
export const MAX_FORM_DEPTH = 32;

// ---- reading ----

function elementProblem(id: string, raw: unknown): string | null {
  if (!isPlainObject(raw)) return `element "${id}" is not an object`;
  if (raw['id'] !== id) return `element "${id}" has a different id inside (${JSON.stringify(raw['id'])})`;
  if (raw['parentId'] !== undefined && typeof raw['parentId'] !== 'string') return `element "${id}" has a parentId that is not a string`;
  const data = raw['data'];
  switch (raw['type']) {
    case 'container': {
      if (!isPlainObject(data)) return `container "${id}" has no data`;
      if (data['layout'] !== 'row' && data['layout'] !== 'column') return `container "${id}" has layout ${JSON.stringify(data['layout'])} (expected "row" or "column")`;
      const children = data['children'];
      if (!Array.isArray(children) || !children.every((c) => typeof c === 'string')) return `container "${id}" has children that are not a list of ids`;
      return null;
    }
    case 'node-field': {
      if (!isPlainObject(data)) return `node field "${id}" has no data`;
      const f = data['fieldIdentifier'];
      if (!isPlainObject(f) || typeof f['nodeId'] !== 'string' || typeof f['fieldName'] !== 'string') {
        return `node field "${id}" does not say which node and field it shows`;
      }
      if (data['settings'] !== undefined && !isPlainObject(data['settings'])) return `node field "${id}" has settings that are not an object`;
      return null;
    }
    case 'heading':
    case 'text':
      if (!isPlainObject(data) || typeof data['content'] !== 'string') return `${String(raw['type'])} "${id}" has no text content`;
      return null;
    case 'divider':
      return null;
    default:
      return `element "${id}" has an unknown type ${JSON.stringify(raw['type'])}`;
  }
}

/**
 * Reads a workflow's `form` value (callers check `hasForm` first: null and absent mean no form).
 * Checks InvokeAI's structure rules
 * (validateFormStructure): the root is a container without parent; every child exists, names its
 * container as parentId and is reached once; nothing is left unreachable.
 */
export function readForm(value: unknown): FormReading {
  if (!isPlainObject(value)) return { ok: false, reason: 'the form is not an object' };
  const elements = value['elements'];
  const rootId = value['rootElementId'];
  if (!isPlainObject(elements)) return { ok: false, reason: 'the form has no elements' };
  if (typeof rootId !== 'string' || rootId === '') return { ok: false, reason: 'the form does not name its root element' };
  for (const [id, raw] of Object.entries(elements)) {
    const problem = elementProblem(id, raw);
    if (problem) return { ok: false, reason: problem };
  }
  const form = value as unknown as BuilderForm;
  const root = form.elements[rootId];
  if (!root) return { ok: false, reason: `the root element "${rootId}" is missing` };
  if (root.type !== 'container') return { ok: false, reason: `the root element "${rootId}" is not a container` };
  if (root.parentId !== undefined) return { ok: false, reason: `the root element "${rootId}" has a parent` };
  const reached = new Set<string>();
  const stack: { id: string; depth: number }[] = [{ id: rootId, depth: 0 }];
  reached.add(rootId);
  while (stack.length > 0) {
    const { id, depth } = stack.pop()!;
    const el = form.elements[id]!;
    if (el.type !== 'container') continue;
    if (depth >= MAX_FORM_DEPTH && el.data.children.length > 0) {
      return { ok: false, reason: `the form nests containers deeper than ${MAX_FORM_DEPTH} levels` };
    }
    for (const childId of el.data.children) {
      const child = form.elements[childId];
      if (!child) return { ok: false, reason: `container "${el.id}" lists a missing element "${childId}"` };
      if (reached.has(childId)) return { ok: false, reason: `element "${childId}" appears more than once` };
      if (child.parentId !== el.id) return { ok: false, reason: `element "${childId}" does not name "${el.id}" as its parent` };
      reached.add(childId);
      stack.push({ id: childId, depth: depth + 1 });
    }
  }
  const unreachable = Object.keys(form.elements).find((id) => !reached.has(id));
  if (unreachable !== undefined) return { ok: false, reason: `element "${unreachable}" is not in the form's tree` };
  return { ok: true, form };
}

/** Whether a workflow carries a form at all (InvokeAI: `form` is optional and may be null). */
export function hasForm(workflow: { form?: unknown }): boolean {
  return workflow.form !== undefined && workflow.form !== null;
}

/** A form with nothing but its root container (InvokeAI's getIsFormEmpty). */
export function isFormEmpty(form: BuilderForm): boolean {
  const root = form.elements[form.rootElementId];
  return !root || root.type !== 'container' || (root.data.children.length === 0 && Object.keys(form.elements).length === 1);
}

export function childrenOf(form: BuilderForm, id: string): FormElement[] {
  const el = form.elements[id];
  if (!el || el.type !== 'container') return [];
  return el.data.children.map((c) => form.elements[c]).filter((c): c is FormElement => c !== undefined);
}

/** The node fields the form shows, as "nodeId/fieldName" keys. */
export function fieldsInForm(form: BuilderForm): Set<string> {
  const keys = new Set<string>();
  for (const el of Object.values(form.elements)) if (el.type === 'node-field') keys.add(fieldKey(el.data.fieldIdentifier));
  return keys;
}

export function fieldKey(f: FieldIdentifier): string {
  return `${f.nodeId}/${f.fieldName}`;
}

// ---- building ----

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** InvokeAI's element ids: the type, a dash and 10 random characters ("heading-N0TXlsboP5"). */
export function newElementId(type: FormElementType, random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  const bytes = random(10);
  let s = '';
  for (const b of bytes) s += ID_ALPHABET[b % ID_ALPHABET.length];
  return `${type}-${s}`;
}

/** An empty form: a root column (InvokeAI's getDefaultForm). */
export function emptyForm(): BuilderForm {
  return {
    elements: { [ROOT_ELEMENT_ID]: { id: ROOT_ELEMENT_ID, type: 'container', data: { layout: 'column', children: [] } } },
    rootElementId: ROOT_ELEMENT_ID,
  };
}

export const newContainer = (layout: ContainerLayout, id = newElementId('container')): ContainerElement => ({
  id,
  type: 'container',
  data: { layout, children: [] },
});
export const newHeading = (content = '', id = newElementId('heading')): HeadingElement => ({ id, type: 'heading', data: { content } });
export const newText = (content = '', id = newElementId('text')): TextElement => ({ id, type: 'text', data: { content } });
export const newDivider = (id = newElementId('divider')): DividerElement => ({ id, type: 'divider' });

/**
 * A node field element, with InvokeAI's default settings for single integers, floats and strings
 * (buildNodeFieldElement) when the field's type is known.
 */
export function newNodeField(field: FieldIdentifier, typeName?: string, id = newElementId('node-field')): NodeFieldElement {
  const settings: NodeFieldSettings | undefined =
    typeName === 'IntegerField'
      ? { type: 'integer-field-config', showShuffle: false, component: 'number-input' }
      : typeName === 'FloatField'
        ? { type: 'float-field-config', showShuffle: false, component: 'number-input' }
        : typeName === 'StringField'
          ? { type: 'string-field-config', component: 'input' }
          : undefined;
  return {
    id,
    type: 'node-field',
    data: { fieldIdentifier: { nodeId: field.nodeId, fieldName: field.fieldName }, ...(settings ? { settings } : {}), showDescription: true },
  };
}

/**
 * InvokeAI's migration of the older linear view: a root column with the exposed fields that still
 * point at an invocation node's input, in their order, without descriptions.
 */
export function formFromExposedFields(exposedFields: readonly FieldIdentifier[], nodes: readonly JsonObject[]): BuilderForm {
  let form = emptyForm();
  for (const f of exposedFields) {
    const node = nodes.find((n) => n.id === f.nodeId);
    const data = node?.data;
    const inputs = isPlainObject(data) ? data['inputs'] : undefined;
    if (!node || node.type !== 'invocation' || !isPlainObject(inputs) || !(f.fieldName in inputs)) continue;
    const el = newNodeField(f);
    el.data.showDescription = false;
    form = addElement(form, el, form.rootElementId);
  }
  return form;
}

// ---- edits (each returns a new form; untouched elements keep their identity) ----

function withElements(form: BuilderForm, changed: Record<string, FormElement>, removed: string[] = []): BuilderForm {
  const elements: Record<string, FormElement> = { ...form.elements, ...changed };
  for (const id of removed) delete elements[id];
  return { ...form, elements };
}

function withChildren(el: ContainerElement, children: string[]): ContainerElement {
  return { ...el, data: { ...el.data, children } };
}

function container(form: BuilderForm, id: string | undefined): ContainerElement | null {
  const el = id === undefined ? undefined : form.elements[id];
  return el && el.type === 'container' ? el : null;
}

/** Adds `element` to container `parentId` at `index` (default: at the end). Unchanged if it cannot. */
export function addElement(form: BuilderForm, element: FormElement, parentId: string, index?: number): BuilderForm {
  const parent = container(form, parentId);
  if (!parent || element.id in form.elements) return form;
  const children = [...parent.data.children];
  children.splice(index ?? children.length, 0, element.id);
  return withElements(form, { [element.id]: { ...element, parentId }, [parentId]: withChildren(parent, children) });
}

/** Removes an element (a container with everything in it). The root cannot be removed. */
export function removeElement(form: BuilderForm, id: string): BuilderForm {
  const el = form.elements[id];
  const parent = container(form, el?.parentId);
  if (!el || id === form.rootElementId || !parent) return form;
  const removed: string[] = [];
  const collect = (eid: string) => {
    removed.push(eid);
    const e = form.elements[eid];
    if (e?.type === 'container') e.data.children.forEach(collect);
  };
  collect(id);
  const children = parent.data.children.filter((c) => c !== id);
  return withElements(form, { [parent.id]: withChildren(parent, children) }, removed);
}

/** Whether `id` is `ancestor` or lies inside it. */
function isInside(form: BuilderForm, id: string, ancestor: string): boolean {
  for (let cur: string | undefined = id, guard = 0; cur !== undefined && guard <= Object.keys(form.elements).length; guard++) {
    if (cur === ancestor) return true;
    cur = form.elements[cur]?.parentId;
  }
  return false;
}

/**
 * Moves an element into container `parentId` at `index` (an index among the children as they are
 * before the move). A container cannot move into itself or its own descendants.
 */
export function moveElement(form: BuilderForm, id: string, parentId: string, index: number): BuilderForm {
  const el = form.elements[id];
  const from = container(form, el?.parentId);
  const to = container(form, parentId);
  if (!el || !from || !to || id === form.rootElementId || isInside(form, parentId, id)) return form;
  const oldIndex = from.data.children.indexOf(id);
  if (from.id === to.id) {
    const children = from.data.children.filter((c) => c !== id);
    const at = Math.max(0, Math.min(index > oldIndex ? index - 1 : index, children.length));
    children.splice(at, 0, id);
    return withElements(form, { [from.id]: withChildren(from, children) });
  }
  const toChildren = [...to.data.children];
  toChildren.splice(Math.max(0, Math.min(index, toChildren.length)), 0, id);
  return withElements(form, {
    [from.id]: withChildren(from, from.data.children.filter((c) => c !== id)),
    [to.id]: withChildren(to, toChildren),
    [id]: { ...el, parentId: to.id },
  });
}

/**
 * One step up in reading order, so that repeated steps reach every place in the form (the keyboard
 * way to arrange it): past the previous sibling, into a previous sibling container as its last child,
 * or, from the first place of a container, out to just before that container.
 */
export function moveUp(form: BuilderForm, id: string): BuilderForm {
  const el = form.elements[id];
  const parent = container(form, el?.parentId);
  if (!el || !parent) return form;
  const i = parent.data.children.indexOf(id);
  if (i > 0) {
    const prev = container(form, parent.data.children[i - 1]);
    if (prev) return moveElement(form, id, prev.id, prev.data.children.length);
    return moveElement(form, id, parent.id, i - 1);
  }
  const grand = container(form, parent.parentId);
  if (!grand) return form;
  return moveElement(form, id, grand.id, grand.data.children.indexOf(parent.id));
}

/** One step down in reading order (the mirror of moveUp). */
export function moveDown(form: BuilderForm, id: string): BuilderForm {
  const el = form.elements[id];
  const parent = container(form, el?.parentId);
  if (!el || !parent) return form;
  const i = parent.data.children.indexOf(id);
  if (i < parent.data.children.length - 1) {
    const next = container(form, parent.data.children[i + 1]);
    if (next) return moveElement(form, id, next.id, 0);
    return moveElement(form, id, parent.id, i + 2);
  }
  const grand = container(form, parent.parentId);
  if (!grand) return form;
  return moveElement(form, id, grand.id, grand.data.children.indexOf(parent.id) + 1);
}

/**
 * Whether moveUp / moveDown would change anything: there is a sibling on that side, or a container
 * around to step out of. Worked out without building the moved form (the builder asks it for every
 * element on every drawing).
 */
export function canMove(form: BuilderForm, id: string, direction: 'up' | 'down'): boolean {
  const el = form.elements[id];
  const parent = container(form, el?.parentId);
  if (!el || !parent || id === form.rootElementId) return false;
  const i = parent.data.children.indexOf(id);
  if (i < 0) return false;
  const hasSibling = direction === 'up' ? i > 0 : i < parent.data.children.length - 1;
  return hasSibling || container(form, parent.parentId) !== null;
}

/** Changes the `data` of one element (layout, content, showDescription, settings...). */
export function updateElementData(form: BuilderForm, id: string, change: Record<string, JsonValue>): BuilderForm {
  const el = form.elements[id];
  if (!el) return form;
  const data = isPlainObject((el as { data?: unknown }).data) ? (el as { data: JsonObject }).data : {};
  return withElements(form, { [id]: { ...el, data: { ...data, ...change } } as FormElement });
}

/** Removes the node fields that point at one of `nodeIds` (InvokeAI does so when a node is deleted). */
export function removeFieldsOfNodes(form: BuilderForm, nodeIds: ReadonlySet<string>): BuilderForm {
  let out = form;
  for (const el of Object.values(form.elements)) {
    if (el.type === 'node-field' && nodeIds.has(el.data.fieldIdentifier.nodeId)) out = removeElement(out, el.id);
  }
  return out;
}

/**
 * The form after an edit of the graph, as InvokeAI keeps it: the node fields of nodes the edit
 * removed go, and so do fields the edit connected (an input fed by an edge has no value to set).
 * Undefined when the form stays as it is (or the workflow has no readable form).
 */
export function formAfterGraphEdit(
  before: { nodes: readonly JsonObject[]; edges: readonly JsonObject[]; form?: unknown },
  after: { nodes?: readonly JsonObject[]; edges?: readonly JsonObject[] },
): BuilderForm | undefined {
  if (!hasForm(before)) return undefined;
  const read = readForm(before.form);
  if (!read.ok) return undefined;
  const kept = after.nodes ? new Set(after.nodes.map((n) => n.id)) : null;
  const inputKey = (e: JsonObject) => `${String(e.target)}/${String(e.targetHandle)}`;
  const wasConnected = new Set(before.edges.map(inputKey));
  const connectedNow = new Set((after.edges ?? []).map(inputKey).filter((k) => !wasConnected.has(k)));
  let form = read.form;
  for (const el of Object.values(read.form.elements)) {
    if (el.type !== 'node-field') continue;
    const f = el.data.fieldIdentifier;
    const nodeWasThere = before.nodes.some((n) => n.id === f.nodeId);
    if ((kept && nodeWasThere && !kept.has(f.nodeId)) || connectedNow.has(fieldKey(f))) form = removeElement(form, el.id);
  }
  return form === read.form ? undefined : form;
}
