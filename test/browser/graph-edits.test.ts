// The pure multi-node edits and the auto layout, on awkward graphs: cycles, self-loops, edges to
// missing nodes, edges without ids, a crowded canvas.
import { expect } from 'chai';
import { copyNodes, intersects, nodeRect, pasteNodes } from '../../client/components/graph/graph-edits.js';
import { autoLayout } from '../../client/components/graph/graph-layout.js';
import type { JsonObject } from '../../shared/workflow/json.js';

const node = (id: string, x = 0, y = 0): JsonObject => ({
  id,
  type: 'invocation',
  data: { id, type: 'add', label: id, inputs: { a: { name: 'a', label: '', value: 1 } } },
  position: { x, y },
});
const edge = (source: string, target: string, id?: string): JsonObject => ({
  ...(id ? { id } : {}),
  source,
  sourceHandle: 'value',
  target,
  targetHandle: 'a',
  type: 'default',
});

function overlapping(nodes: JsonObject[], edges: JsonObject[]): number {
  let count = 0;
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) if (intersects(nodeRect(nodes[i]!, edges), nodeRect(nodes[j]!, edges))) count++;
  return count;
}

/** Seeded (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('auto layout', () => {
  it('lays out cycles, self-loops, repeated edges and edges to missing nodes, moving only positions', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id));
    const edges = [edge('a', 'b', 'e1'), edge('b', 'c', 'e2'), edge('c', 'a', 'e3'), edge('d', 'd', 'e4'), edge('a', 'b'), edge('a', 'ghost', 'e5')];
    const out = autoLayout(nodes, edges);
    expect(out.map((n) => n.id)).to.deep.equal(['a', 'b', 'c', 'd']);
    for (const n of out) {
      const p = n.position as { x: number; y: number };
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).to.equal(true);
      expect(n.data).to.deep.equal(nodes.find((m) => m.id === n.id)!.data);
    }
    expect(overlapping(out, edges)).to.equal(0);
  });

  it('lays out 300 randomly connected nodes without overlaps', () => {
    const rnd = random(7);
    const nodes = Array.from({ length: 300 }, (_, i) => node(`n${i}`));
    const edges = Array.from({ length: 400 }, (_, i) => edge(`n${Math.floor(rnd() * 300)}`, `n${Math.floor(rnd() * 300)}`, `e${i}`));
    const out = autoLayout(nodes, edges);
    expect(overlapping(out, edges)).to.equal(0);
  });
});

describe('copy and paste', () => {
  it('copies only the edges between copied nodes; an edge kept without id stays without one', () => {
    const nodes = [node('a'), node('b', 400), node('c', 800)];
    const edges = [edge('a', 'b'), edge('b', 'c', 'e2')];
    const clip = copyNodes(nodes, edges, new Set(['a', 'b']));
    expect(clip.edges).to.have.length(1);
    let n = 0;
    const out = pasteNodes(nodes, edges, clip, () => `new${n++}`);
    const pasted = out.edges[out.edges.length - 1]!;
    expect(pasted).to.deep.equal({ source: 'new0', sourceHandle: 'value', target: 'new1', targetHandle: 'a', type: 'default' });
  });

  it('on a crowded canvas the paste goes below everything, never on top of a node', () => {
    // A wall of nodes 40 units apart diagonally and across: every diagonal step is taken.
    const nodes: JsonObject[] = [];
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) nodes.push(node(`w${i}-${j}`, i * 120, j * 60));
    let n = 0;
    const out = pasteNodes(nodes, [], copyNodes(nodes, [], new Set(['w0-0'])), () => `p${n++}`);
    const pasted = out.nodes[out.nodes.length - 1]!;
    const r = nodeRect(pasted, []);
    expect(nodes.some((o) => intersects(r, nodeRect(o, [])))).to.equal(false);
  });
});
