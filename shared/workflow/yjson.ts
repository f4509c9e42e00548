// JSON <-> Yjs, and a minimal diff that writes only what changed (contract §4: objects are Y.Map,
// arrays Y.Array, scalars plain values, all the way down).
//
// Why a diff and not a replace: replacing a workflow's Y structure on every save makes two devices that
// edited different nodes overwrite each other (last writer wins on the whole value). Writing only the
// changed keys lets Yjs merge them. The merge granularity is:
// - object keys: each key is last-writer-wins on its own; nested objects are recursed into;
// - arrays whose items are all objects with a unique string `id` (nodes, edges): items are matched by
//   id, kept items are recursed into, removed ones deleted and new ones inserted in place, so concurrent
//   additions and removals on several devices all survive. A reordered item is deleted and re-inserted
//   (Yjs has no move), so a concurrent edit of that one item is lost;
// - any other array (exposedFields, form children, ...) is replaced as a whole under its parent key
//   when it differs, so concurrent changes to it resolve last-writer-wins instead of duplicating items.
import * as Y from 'yjs';
import { copyJson, isPlainObject, jsonEqual, MAX_JSON_DEPTH, setOwn, UnreadableValue, type JsonObject, type JsonValue } from './json.js';

/**
 * Converts JSON into fresh (not yet integrated) Yjs values. Depth-bounded: callers pass validated
 * workflows (MAX_JSON_DEPTH), and anything deeper throws NotJsonError instead of recursing on.
 */
export function jsonToY(value: JsonValue, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) throw new NotJsonError('', `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    const array = new Y.Array<unknown>();
    array.push(value.map((item) => jsonToY(item, depth + 1)));
    return array;
  }
  const map = new Y.Map<unknown>();
  for (const key of Object.keys(value)) map.set(key, jsonToY(value[key]!, depth + 1));
  return map;
}

/** What a Yjs value that has no JSON form is reported as (contract §4: objects Y.Map, arrays Y.Array, scalars plain). */
function foreignKind(value: unknown): string | null {
  // Y.XmlText extends Y.Text, and Y.XmlElement extends Y.XmlFragment: the subclasses first.
  if (value instanceof Y.XmlText) return 'a Y.XmlText';
  if (value instanceof Y.Text) return 'a Y.Text';
  if (value instanceof Y.XmlElement) return 'a Y.XmlElement';
  if (value instanceof Y.XmlHook) return 'a Y.XmlHook';
  if (value instanceof Y.XmlFragment) return 'a Y.XmlFragment';
  if (value instanceof Y.Doc) return 'a Y.Doc (subdocument)';
  if (value instanceof Y.AbstractType) return 'a Yjs type';
  return null;
}

/**
 * Converts Yjs values back to plain values without judging them: Y.Map → object, Y.Array → array,
 * everything else as stored, except Yjs values with no JSON form (Y.Text, XML types, subdocuments)
 * and types nested deeper than MAX_JSON_DEPTH, which become UnreadableValue markers. Use it on data a
 * client may have written badly, then validate (copyJson names the marker); yToJson is the strict form.
 *
 * Depth-bounded, so a document nested 50,000 levels deep (stored before the update limits existed)
 * costs MAX_JSON_DEPTH levels of work, never a stack overflow.
 */
export function yToPlain(value: unknown, depth = 0): unknown {
  // Y.XmlHook is a Y.Map underneath, but no workflow value.
  if ((value instanceof Y.Map && !(value instanceof Y.XmlHook)) || value instanceof Y.Array) {
    if (depth > MAX_JSON_DEPTH) return new UnreadableValue(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (value instanceof Y.Array) return value.toArray().map((item) => yToPlain(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of (value as Y.Map<unknown>).entries()) setOwn(out, key, yToPlain(item, depth + 1));
    return out;
  }
  const foreign = foreignKind(value);
  return foreign === null ? value : new UnreadableValue(foreign);
}

/**
 * Yjs deletes a type, and garbage-collects it after, by recursing once per nesting level (Item.delete →
 * ContentType.delete → …): on Node 20 a chain of 2,000 nested maps overflowed the stack, 1,500 did not.
 * The update limits keep new content 64 levels deep at most, but a document stored before they existed
 * can be deeper; pruneDeepTypes takes such content apart this many levels per transaction, bottom up.
 * Each transaction costs a walk from its top level to the root (Yjs' observer bookkeeping), so fewer,
 * larger ones are cheaper: 50,000 levels take about 100 transactions, a few seconds, once.
 */
export const SAFE_DELETE_DEPTH = 512;

/**
 * Deletes every part of `root`'s content nested more than SAFE_DELETE_DEPTH levels below it, deepest
 * first, SAFE_DELETE_DEPTH levels per transaction, so that deleting or replacing `root` afterwards (and
 * applying that deletion on every replica) recurses through SAFE_DELETE_DEPTH levels at most. Finds
 * the levels without recursion. Does nothing (and writes nothing) for content of normal depth; returns
 * how many types it deleted.
 */
export function pruneDeepTypes(root: Y.AbstractType<unknown>, origin?: unknown): number {
  const doc = root.doc;
  if (doc === null) return 0;
  const levels: Y.Item[][] = []; // levels[d]: the live type items d levels below root
  const stack: Array<[Y.AbstractType<unknown>, number]> = [[root, 0]];
  let deepest = 0;
  while (stack.length > 0) {
    const [type, depth] = stack.pop()!;
    const visit = (item: Y.Item | null): void => {
      if (item === null || item.deleted || !(item.content instanceof Y.ContentType)) return;
      (levels[depth + 1] ??= []).push(item);
      stack.push([item.content.type as Y.AbstractType<unknown>, depth + 1]);
      deepest = Math.max(deepest, depth + 1);
    };
    for (const item of type._map.values()) visit(item);
    for (let item = type._start; item !== null; item = item.right) visit(item);
  }
  let deleted = 0;
  for (let top = deepest; top > SAFE_DELETE_DEPTH; top -= SAFE_DELETE_DEPTH) {
    const bottom = Math.max(SAFE_DELETE_DEPTH + 1, top - SAFE_DELETE_DEPTH + 1);
    doc.transact((transaction) => {
      // Bottom up: each item's children are deleted already, so its own deletion does not recurse.
      for (let depth = top; depth >= bottom; depth--) {
        for (const item of levels[depth] ?? []) {
          item.delete(transaction);
          deleted++;
        }
      }
    }, origin);
  }
  return deleted;
}

export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path || 'value'}: ${reason}`);
    this.name = 'NotJsonError';
  }
}

/** Inverse of jsonToY. Throws NotJsonError if the structure holds anything that is not JSON. */
export function yToJson(value: unknown): JsonValue {
  const copied = copyJson(yToPlain(value));
  if (!copied.ok) throw new NotJsonError(copied.problem.path, copied.problem.error);
  return copied.value;
}

function idOf(value: unknown): string | undefined {
  if (value instanceof Y.Map) {
    const id: unknown = value.get('id');
    return typeof id === 'string' ? id : undefined;
  }
  if (isPlainObject(value)) {
    const id = value['id'];
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}

/** The ids of all items if every item has a string id (repeats allowed); otherwise null. */
function itemIds(items: readonly unknown[]): string[] | null {
  const ids: string[] = [];
  for (const item of items) {
    const id = idOf(item);
    if (id === undefined) return null;
    ids.push(id);
  }
  return ids;
}

function allDistinct(ids: readonly string[]): boolean {
  return new Set(ids).size === ids.length;
}

/** Indexes (into `values`) of one longest strictly increasing subsequence. O(n log n). */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tailIndex: number[] = [];
  const previous: number[] = new Array<number>(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    let lo = 0;
    let hi = tailIndex.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tailIndex[mid]!]! < values[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tailIndex[lo - 1]!;
    tailIndex[lo] = i;
  }
  const keep = new Set<number>();
  for (let i = tailIndex.length > 0 ? tailIndex[tailIndex.length - 1]! : -1; i !== -1; i = previous[i]!) keep.add(i);
  return keep;
}

/**
 * Edits a Y.Array of id-keyed Y.Maps in place to match `next` (ids distinct): deletes items whose id
 * is gone or repeated, keeps the longest run already in the right order, deletes and re-inserts the
 * rest, inserts new ones, and recurses into every kept item.
 */
function diffIdArray(target: Y.Array<unknown>, currentIds: string[], next: JsonObject[], nextIds: string[]): void {
  const nextIndex = new Map(nextIds.map((id, index) => [id, index]));
  const kept: number[] = []; // indexes into target of items whose id is still wanted
  const keptPositions: number[] = []; // where each of them belongs in next
  const seen = new Set<string>();
  currentIds.forEach((id, i) => {
    const position = nextIndex.get(id);
    // A repeated id (two replicas inserted the same item while apart) keeps only its first copy.
    if (position !== undefined && !seen.has(id)) {
      seen.add(id);
      kept.push(i);
      keptPositions.push(position);
    }
  });
  const stay = new Set(Array.from(longestIncreasing(keptPositions), (k) => kept[k]!));
  for (let i = currentIds.length - 1; i >= 0; i--) if (!stay.has(i)) target.delete(i, 1);

  let cursor = 0;
  for (let i = 0; i < next.length; i++) {
    const item = next[i]!;
    const existing = cursor < target.length ? target.get(cursor) : undefined;
    if (existing instanceof Y.Map && idOf(existing) === nextIds[i]) {
      applyJsonDiff(existing as Y.Map<unknown>, item);
    } else {
      target.insert(cursor, [jsonToY(item)]);
    }
    cursor++;
  }
}

/** Writes `next` under `key` of `parent`, changing only what differs from the current value. */
function diffKey(parent: Y.Map<unknown>, key: string, next: JsonValue): void {
  const current = parent.get(key);
  if (current instanceof Y.Map && isPlainObject(next)) {
    applyJsonDiff(current as Y.Map<unknown>, next as JsonObject);
    return;
  }
  if (current instanceof Y.Array && Array.isArray(next)) {
    const items = current.toArray();
    const currentIds = items.every((item) => item instanceof Y.Map) ? itemIds(items) : null;
    const nextIds = next.every(isPlainObject) ? itemIds(next) : null;
    // Empty arrays count as id-keyed so that nodes added to (or all removed from) an empty graph on
    // two devices merge instead of one replacing the other.
    if (currentIds && nextIds && allDistinct(nextIds) && (items.length > 0 || next.length > 0)) {
      diffIdArray(current as Y.Array<unknown>, currentIds, next as JsonObject[], nextIds);
      return;
    }
  }
  if (current === next) return; // same scalar (objects and arrays never compare equal here)
  if (current instanceof Y.AbstractType || (typeof current === 'object' && current !== null)) {
    const plain = copyJson(yToPlain(current));
    if (plain.ok && jsonEqual(plain.value, next)) return;
  }
  parent.set(key, jsonToY(next));
}

/**
 * Makes `target` equal to `next` by writing only the differences (see the header comment for how
 * concurrent edits merge). Runs in one transaction of target's document, with `origin` if this call
 * opens it.
 */
export function applyJsonDiff(target: Y.Map<unknown>, next: Record<string, JsonValue>, origin?: unknown): void {
  const run = (): void => {
    for (const key of Array.from(target.keys())) {
      if (!Object.prototype.hasOwnProperty.call(next, key)) target.delete(key);
    }
    for (const key of Object.keys(next)) diffKey(target, key, next[key]!);
  };
  if (target.doc) target.doc.transact(run, origin);
  else run();
}
