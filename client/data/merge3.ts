// Three-way merge of JSON values, for the editor's draft. The editor edits a detached copy of the
// workflow; when the stored workflow changes underneath (another device, another tab) the draft must
// take those changes in, or Save would write the draft's stale copy of them back and undo them.
// merge3(base, mine, theirs): base is what the draft started from, mine the draft, theirs the doc now.
// - a side that did not change a value takes the other side's value;
// - objects merge key by key;
// - arrays of objects with string ids (nodes, edges) merge element by id, keeping theirs' order and
//   appending mine's additions; an element deleted on either side stays deleted unless the other
//   side changed it;
// - anything else changed on both sides: mine wins (the user is looking at it).
import { jsonEqual, type JsonObject, type JsonValue } from '../../shared/workflow/json.js';

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function idOf(v: JsonValue): string | null {
  return isObject(v) && typeof v.id === 'string' ? v.id : null;
}

function isIdArray(v: JsonValue | undefined): v is JsonObject[] {
  return Array.isArray(v) && v.every((e) => idOf(e) !== null);
}

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return jsonEqual(a, b);
}

/** undefined means "absent" (deleted key or element). */
export function merge3(
  base: JsonValue | undefined,
  mine: JsonValue | undefined,
  theirs: JsonValue | undefined,
): JsonValue | undefined {
  if (same(base, mine)) return theirs;
  if (same(base, theirs) || same(mine, theirs)) return mine;
  if (isObject(mine) && isObject(theirs)) {
    const b = isObject(base) ? base : {};
    const out: JsonObject = {};
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(mine)])) {
      const v = merge3(b[key], mine[key], theirs[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  if (isIdArray(mine) && isIdArray(theirs)) {
    const byId = (arr: JsonObject[]) => new Map(arr.map((e) => [idOf(e)!, e]));
    const b = byId(isIdArray(base) ? base : []);
    const m = byId(mine);
    const t = byId(theirs);
    const order = [...theirs.map((e) => idOf(e)!), ...mine.map((e) => idOf(e)!).filter((id) => !t.has(id))];
    const out: JsonValue[] = [];
    for (const id of order) {
      const v = merge3(b.get(id), m.get(id), t.get(id));
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  return mine;
}
