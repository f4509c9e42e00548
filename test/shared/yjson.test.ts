import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applyJsonDiff, jsonEqual, jsonToY, NotJsonError, yToJson, yToPlain, type JsonObject } from '../../shared/workflow/index.js';
import { DocPool, loadFixtures, recordUpdates, syncDocs } from './helpers.js';

const pool = new DocPool();
afterEach(() => pool.destroyAll());

/** A doc whose map 'root' holds `json` converted to Y types. */
function docWith(json: JsonObject): { doc: Y.Doc; root: Y.Map<unknown> } {
  const doc = pool.make();
  const root = doc.getMap<unknown>('root');
  doc.transact(() => root.set('value', jsonToY(json)));
  return { doc, root: root.get('value') as Y.Map<unknown> };
}

describe('jsonToY / yToJson', () => {
  it('stores objects as Y.Map and arrays as Y.Array all the way down, scalars plain', () => {
    const { root } = docWith({ a: { b: [1, { c: ['x'] }, [2, [3]]] }, s: 's', n: null, t: true });
    const a = root.get('a') as Y.Map<unknown>;
    expect(a).toBeInstanceOf(Y.Map);
    const b = a.get('b') as Y.Array<unknown>;
    expect(b).toBeInstanceOf(Y.Array);
    expect(b.get(1)).toBeInstanceOf(Y.Map);
    expect((b.get(1) as Y.Map<unknown>).get('c')).toBeInstanceOf(Y.Array);
    expect(b.get(2)).toBeInstanceOf(Y.Array);
    expect(root.get('s')).toBe('s');
    expect(root.get('n')).toBeNull();
  });

  it('round-trips awkward JSON exactly: odd keys, unicode, big and fractional numbers', () => {
    const json = JSON.parse(
      '{"__proto__":{"x":1},"":"empty key","constructor":[],"ü🎨":"\\u0000\\n","big":9007199254740991,"f":-1.5e-300,"nested":[[[]],{}]}',
    ) as JsonObject;
    const { doc, root } = docWith(json);
    // toStrictEqual cannot be used: it compares `.constructor`, which is an own key here.
    const copy = pool.replica(doc);
    for (const out of [yToJson(root), yToJson(copy.getMap('root').get('value'))]) {
      expect(jsonEqual(out, json)).toBe(true);
      expect(JSON.stringify(out)).toBe(JSON.stringify(json));
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    }
  });

  it('refuses non-JSON content with the path, while yToPlain passes it through', () => {
    const { root } = docWith({ a: { b: 1 } });
    (root.get('a') as Y.Map<unknown>).set('bin', new Uint8Array([1]));
    expect(() => yToJson(root)).toThrow(NotJsonError);
    expect(() => yToJson(root)).toThrow('a.bin: not a JSON value (binary data)');
    expect((yToPlain(root) as { a: { bin: unknown } }).a.bin).toBeInstanceOf(Uint8Array);
  });
});

describe('applyJsonDiff', () => {
  const fixture = loadFixtures().find((f) => f.file === 'Text to Image - SDXL.json')!.json;

  it('writes nothing when nothing changed', () => {
    const { doc, root } = docWith(fixture);
    const updates = recordUpdates(doc);
    applyJsonDiff(root, structuredClone(fixture));
    expect(updates).toHaveLength(0);
    expect(yToJson(root)).toStrictEqual(fixture);
  });

  it('changes one field in place, keeping every other Y structure', () => {
    const { root } = docWith(fixture);
    const nodes = root.get('nodes') as Y.Array<Y.Map<unknown>>;
    const before = nodes.toArray();
    const next = structuredClone(fixture) as any;
    next.nodes[3].position.x = 12345;
    applyJsonDiff(root, next);
    expect(yToJson(root)).toStrictEqual(next);
    expect(root.get('nodes')).toBe(nodes);
    expect(nodes.toArray()).toEqual(before); // same Y.Map instances, none replaced
  });

  it('matches nodes by id: deletes, inserts and reorders without replacing kept nodes', () => {
    const { root } = docWith(fixture);
    const nodes = root.get('nodes') as Y.Array<Y.Map<unknown>>;
    const byId = new Map(nodes.toArray().map((n) => [n.get('id'), n]));
    const next = structuredClone(fixture) as any;
    const [first] = next.nodes.splice(0, 1); // remove node 0
    next.nodes.splice(4, 0, { id: 'new-node', type: 'invocation', data: { id: 'new-node' } }); // insert
    next.nodes.push(first); // node 0 moves to the end
    [next.nodes[1], next.nodes[2]] = [next.nodes[2], next.nodes[1]]; // swap two
    applyJsonDiff(root, next);
    expect(yToJson(root)).toStrictEqual(next);
    const kept = nodes.toArray().filter((n) => byId.get(n.get('id')) === n);
    // Only the moved ones were re-created: the removed-then-appended node and one of the swapped pair.
    expect(kept.length).toBe(next.nodes.length - 3);
  });

  it('empties and refills an id-keyed array in place', () => {
    const { root } = docWith(fixture);
    const edges = root.get('edges');
    applyJsonDiff(root, { ...structuredClone(fixture), edges: [] });
    expect(root.get('edges')).toBe(edges);
    applyJsonDiff(root, structuredClone(fixture));
    expect(root.get('edges')).toBe(edges);
    expect(yToJson(root)).toStrictEqual(fixture);
  });

  it('handles type changes and removed keys', () => {
    const { root } = docWith({ a: { x: 1 }, b: [1, 2], c: 'c', d: 1 });
    const next: JsonObject = { a: [1], b: { y: 2 }, c: { z: null }, e: [] };
    applyJsonDiff(root, next);
    expect(yToJson(root)).toStrictEqual(next);
  });

  it('replaces an array without ids as a whole, so concurrent changes to it never duplicate items', () => {
    const { doc, root } = docWith(fixture);
    const other = pool.replica(doc);
    const otherRoot = other.getMap('root').get('value') as Y.Map<unknown>;
    const mine = structuredClone(fixture) as any;
    mine.exposedFields.push({ nodeId: 'a', fieldName: 'x' });
    const theirs = structuredClone(fixture) as any;
    theirs.exposedFields.pop();
    applyJsonDiff(root, mine);
    applyJsonDiff(otherRoot, theirs);
    syncDocs(doc, other);
    const merged = yToJson(root) as any;
    expect(yToJson(otherRoot)).toStrictEqual(merged);
    expect([mine.exposedFields, theirs.exposedFields]).toContainEqual(merged.exposedFields);
  });

  it('keeps both nodes when two replicas add nodes to an empty graph', () => {
    const start = { ...structuredClone(fixture), nodes: [], edges: [] };
    const { doc, root } = docWith(start);
    const other = pool.replica(doc);
    const otherRoot = other.getMap('root').get('value') as Y.Map<unknown>;
    applyJsonDiff(root, { ...start, nodes: [{ id: 'a' }] });
    applyJsonDiff(otherRoot, { ...start, nodes: [{ id: 'b' }] });
    syncDocs(doc, other);
    const ids = ((yToJson(root) as any).nodes as JsonObject[]).map((n) => n['id']).sort();
    expect(ids).toEqual(['a', 'b']);
  });

  it('removes repeated ids that a merge produced, keeping the first copy', () => {
    const start = { ...structuredClone(fixture), nodes: [] };
    const { doc, root } = docWith(start);
    const other = pool.replica(doc);
    const otherRoot = other.getMap('root').get('value') as Y.Map<unknown>;
    // Both devices paste the same node while apart.
    applyJsonDiff(root, { ...start, nodes: [{ id: 'same', v: 1 }] });
    applyJsonDiff(otherRoot, { ...start, nodes: [{ id: 'same', v: 1 }] });
    syncDocs(doc, other);
    expect((root.get('nodes') as Y.Array<unknown>).length).toBe(2);
    applyJsonDiff(root, { ...start, nodes: [{ id: 'same', v: 2 }] });
    expect((yToJson(root) as any).nodes).toStrictEqual([{ id: 'same', v: 2 }]);
  });
});
