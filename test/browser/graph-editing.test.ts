// The canvas' editing tools (issue 7, points 5 and 7): selection, box select, clipboard, keyboard,
// zoom, fit, minimap, snap, auto layout and the hotkeys list, with real pointer and key events.
import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { NODE_WIDTH, nodeHeight } from '../../client/components/graph/graph-model.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll, waitFor } from './helpers.js';
import { makeGraph as makeGraphWith } from './graph-fixture.js';

const node = (id: string, x: number, y: number, label = ''): JsonObject => ({
  id,
  type: 'invocation',
  data: { id, type: 'add', label, inputs: { a: { name: 'a', label: 'A', value: 1 } } },
  position: { x, y },
});

/** Three nodes in a row, a → b connected; c alone far right. Every change is applied back. */
function makeGraph() {
  return makeGraphWith(
    [node('a', 0, 0, 'A'), node('b', 400, 0, 'B'), node('c', 800, 300, 'C')],
    [{ id: 'e1', source: 'a', sourceHandle: 'value', target: 'b', targetHandle: 'a', type: 'default' }],
    { width: 1000, height: 600, exposedFields: [] },
  );
}

const canvas = (g: WorkflowGraph) => deepAll<SVGSVGElement>(g, 'svg.canvas')[0]!;
const nodeEl = (g: WorkflowGraph, id: string) => deepAll<SVGGElement>(g, `g.node[data-node-id="${id}"]`)[0]!;
const pos = (g: WorkflowGraph, id: string) => g.nodes.find((n) => n.id === id)!.position as { x: number; y: number };
const selected = (g: WorkflowGraph) => [...g.selection.nodes].sort();

/** Screen point of a graph point. */
function screen(g: WorkflowGraph, p: { x: number; y: number }): { clientX: number; clientY: number } {
  const s = new DOMPoint(p.x, p.y).matrixTransform(canvas(g).getScreenCTM()!);
  return { clientX: s.x, clientY: s.y };
}

function pointer(target: Element, type: string, at: { clientX: number; clientY: number }, extra: PointerEventInit = {}): void {
  target.dispatchEvent(new PointerEvent(type, { bubbles: true, composed: true, pointerId: 1, ...at, ...extra }));
}

function key(target: Element, k: string, extra: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, cancelable: true, ...extra });
  target.dispatchEvent(e);
  return e;
}

function clickHead(g: WorkflowGraph, id: string, extra: PointerEventInit = {}): void {
  const head = deepAll<SVGRectElement>(g, `g.node[data-node-id="${id}"] rect.head`)[0]!;
  const b = head.getBoundingClientRect();
  const at = { clientX: b.left + 5, clientY: b.top + 5 };
  pointer(head, 'pointerdown', at, extra);
  pointer(canvas(g), 'pointerup', at, extra);
}

const viewBox = (g: WorkflowGraph) => canvas(g).getAttribute('viewBox')!.split(' ').map(Number);

function overlaps(g: WorkflowGraph): string[] {
  const out: string[] = [];
  const rects = g.nodes.map((n) => {
    const p = n.position as { x: number; y: number };
    return { id: String(n.id), x: p.x, y: p.y, w: NODE_WIDTH, h: nodeHeight(n, g.edges) };
  });
  for (const r of rects)
    for (const o of rects)
      if (r.id < o.id && r.x < o.x + o.w && o.x < r.x + r.w && r.y < o.y + o.h && o.y < r.y + r.h) out.push(`${r.id}/${o.id}`);
  return out;
}

describe('fs-workflow-graph editing tools', () => {
  beforeEach(() => localStorage.removeItem('flowshelf.canvas'));
  afterEach(() => {
    document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove());
    localStorage.removeItem('flowshelf.canvas');
  });

  it('is a group of focusable nodes, not an image', async () => {
    const { graph } = await makeGraph();
    expect(deepAll(graph, '[role=img]')).to.have.length(0);
    expect(canvas(graph).getAttribute('role')).to.equal('group');
    expect(deepAll<SVGGElement>(graph, 'g.node').map((g) => [g.getAttribute('tabindex'), g.getAttribute('aria-label')])).to.deep.equal([
      ['0', 'A'],
      ['0', 'B'],
      ['0', 'C'],
    ]);
  });

  it('click selects one node, Shift+click adds and removes, a click on the background clears', async () => {
    const { graph } = await makeGraph();
    clickHead(graph, 'a');
    expect(selected(graph)).to.deep.equal(['a']);
    clickHead(graph, 'c', { shiftKey: true });
    expect(selected(graph)).to.deep.equal(['a', 'c']);
    clickHead(graph, 'a', { shiftKey: true });
    expect(selected(graph)).to.deep.equal(['c']);
    pointer(canvas(graph), 'pointerdown', screen(graph, { x: -100, y: 500 }));
    pointer(canvas(graph), 'pointerup', screen(graph, { x: -100, y: 500 }));
    expect(selected(graph)).to.deep.equal([]);
  });

  it('dragging one of several selected nodes moves them all, as one change run', async () => {
    const { graph, changes } = await makeGraph();
    clickHead(graph, 'a');
    clickHead(graph, 'b', { shiftKey: true });
    const head = deepAll<SVGRectElement>(graph, 'g.node[data-node-id="a"] rect.head')[0]!;
    const from = screen(graph, { x: 10, y: 10 });
    const to = screen(graph, { x: 110, y: 60 });
    pointer(head, 'pointerdown', from);
    pointer(canvas(graph), 'pointermove', { clientX: (from.clientX + to.clientX) / 2, clientY: (from.clientY + to.clientY) / 2 });
    pointer(canvas(graph), 'pointermove', to);
    pointer(canvas(graph), 'pointerup', to);
    expect(pos(graph, 'a')).to.deep.equal({ x: 100, y: 50 });
    expect(pos(graph, 'b')).to.deep.equal({ x: 500, y: 50 });
    expect(pos(graph, 'c')).to.deep.equal({ x: 800, y: 300 });
    const keys = new Set(changes.map((c) => c.mergeKey));
    expect(keys.size).to.equal(1);
    expect([...keys][0]).to.match(/^drag:/);
  });

  it('with Snap on, a dragged node lands on the 25-unit grid', async () => {
    const { graph } = await makeGraph();
    deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Snap')!.click();
    await graph.updateComplete;
    expect(graph.snap).to.equal(true);
    const head = deepAll<SVGRectElement>(graph, 'g.node[data-node-id="c"] rect.head')[0]!;
    const from = screen(graph, { x: 810, y: 310 });
    const to = screen(graph, { x: 847, y: 321 });
    pointer(head, 'pointerdown', from);
    pointer(canvas(graph), 'pointermove', to);
    pointer(canvas(graph), 'pointerup', to);
    expect(pos(graph, 'c')).to.deep.equal({ x: 825, y: 300 });
  });

  it('keeps Snap and the minimap setting for the next canvas (this browser), and copes with storage holding junk', async () => {
    const first = (await makeGraph()).graph;
    expect(first.snap).to.equal(false);
    expect(first.showMinimap).to.equal(true);
    deepAll<HTMLButtonElement>(first, 'button').find((b) => b.textContent?.trim() === 'Snap')!.click();
    deepAll<HTMLButtonElement>(first, 'button').find((b) => b.textContent?.trim() === 'Minimap')!.click();
    first.remove();
    const second = (await makeGraph()).graph;
    expect(second.snap).to.equal(true);
    expect(second.showMinimap).to.equal(false);
    expect(deepAll(second, 'svg.minimap')).to.have.length(0);
    second.remove();
    localStorage.setItem('flowshelf.canvas', '{"snap": "yes", "minimap": 3');
    const third = (await makeGraph()).graph;
    expect([third.snap, third.showMinimap]).to.deep.equal([false, true]);
  });

  it('Shift+drag on the background selects the nodes the box touches; Select mode does it without Shift', async () => {
    const { graph } = await makeGraph();
    const svg = canvas(graph);
    pointer(svg, 'pointerdown', screen(graph, { x: -50, y: -50 }), { shiftKey: true });
    pointer(svg, 'pointermove', screen(graph, { x: 450, y: 20 }), { shiftKey: true });
    await graph.updateComplete;
    expect(deepAll(graph, 'rect.marquee')).to.have.length(1);
    pointer(svg, 'pointerup', screen(graph, { x: 450, y: 20 }), { shiftKey: true });
    await graph.updateComplete;
    expect(selected(graph)).to.deep.equal(['a', 'b']);
    expect(deepAll(graph, 'rect.marquee')).to.have.length(0);

    deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Select')!.click();
    await graph.updateComplete;
    pointer(svg, 'pointerdown', screen(graph, { x: 790, y: 290 }));
    pointer(svg, 'pointermove', screen(graph, { x: 900, y: 400 }));
    pointer(svg, 'pointerup', screen(graph, { x: 900, y: 400 }));
    expect(selected(graph)).to.deep.equal(['c']);
    expect(viewBox(graph)[0]).to.be.a('number'); // no pan happened: the box took the drag
  });

  it('Ctrl+A selects all, Delete removes the selection with its edges', async () => {
    const { graph } = await makeGraph();
    canvas(graph).focus();
    expect(key(canvas(graph), 'a', { ctrlKey: true }).defaultPrevented).to.equal(true);
    expect(selected(graph)).to.deep.equal(['a', 'b', 'c']);
    key(canvas(graph), 'Escape');
    expect(selected(graph)).to.deep.equal([]);
    clickHead(graph, 'a');
    clickHead(graph, 'b', { shiftKey: true });
    key(canvas(graph), 'Delete');
    await graph.updateComplete;
    expect(graph.nodes.map((n) => n.id)).to.deep.equal(['c']);
    expect(graph.edges).to.deep.equal([]);
  });

  it('an edge kept without id is selected and removed on its own, not with every other id-less edge', async () => {
    const { graph } = await makeGraph();
    graph.edges = [
      { source: 'a', sourceHandle: 'value', target: 'b', targetHandle: 'a', type: 'default' },
      { source: 'b', sourceHandle: 'value', target: 'c', targetHandle: 'a', type: 'default' },
    ];
    await graph.updateComplete;
    const hit = deepAll<SVGPathElement>(graph, 'path.edge-hit')[1]!;
    hit.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 1 }));
    await graph.updateComplete;
    expect(deepAll(graph, 'path.edge.selected')).to.have.length(1);
    key(canvas(graph), 'Delete');
    await graph.updateComplete;
    expect(graph.edges.map((e) => [e.source, e.target])).to.deep.equal([['a', 'b']]);
  });

  it('copy and paste: new ids, the edge between the copies kept, landing clear of every node', async () => {
    const { graph } = await makeGraph();
    clickHead(graph, 'a');
    clickHead(graph, 'b', { shiftKey: true });
    key(canvas(graph), 'c', { metaKey: true });
    key(canvas(graph), 'v', { metaKey: true });
    await graph.updateComplete;
    expect(graph.nodes).to.have.length(5);
    const pasted = graph.nodes.slice(3);
    const ids = pasted.map((n) => String(n.id));
    expect(ids).to.not.include('a');
    expect(ids).to.not.include('b');
    expect(pasted.map((n) => (n.data as JsonObject).id)).to.deep.equal(ids);
    expect(pasted.map((n) => (n.data as JsonObject).label)).to.deep.equal(['A', 'B']);
    // The edge between the copies follows them; the original edge stays.
    const copyEdge = graph.edges.find((e) => e.source === ids[0])!;
    expect(copyEdge).to.include({ target: ids[1], sourceHandle: 'value', targetHandle: 'a' });
    expect(copyEdge.id).to.not.equal('e1');
    expect(graph.edges).to.have.length(2);
    expect(overlaps(graph)).to.deep.equal([]);
    expect(selected(graph)).to.deep.equal([...ids].sort());

    // Pasting again lands clear of the first copy too.
    key(canvas(graph), 'v', { ctrlKey: true });
    await graph.updateComplete;
    expect(graph.nodes).to.have.length(7);
    expect(overlaps(graph)).to.deep.equal([]);
  });

  it('Ctrl+Shift+V pastes with edges: the copy of b is also fed by a, as b is; Ctrl+V does not', async () => {
    const { graph } = await makeGraph();
    clickHead(graph, 'b');
    key(canvas(graph), 'c', { ctrlKey: true });
    key(canvas(graph), 'v', { ctrlKey: true });
    await graph.updateComplete;
    const plain = String(graph.nodes[3]!.id);
    expect(graph.edges.filter((e) => e.target === plain)).to.deep.equal([]);
    key(canvas(graph), 'V', { ctrlKey: true, shiftKey: true });
    await graph.updateComplete;
    const withEdges = String(graph.nodes[4]!.id);
    expect(graph.edges.filter((e) => e.target === withEdges).map((e) => [e.source, e.sourceHandle, e.targetHandle])).to.deep.equal([
      ['a', 'value', 'a'],
    ]);
    // The original edge into b is still there, unchanged.
    expect(graph.edges.find((e) => e.id === 'e1')).to.include({ source: 'a', target: 'b' });
    expect(overlaps(graph)).to.deep.equal([]);
  });

  it('Ctrl+D duplicates the selection without touching the clipboard', async () => {
    const { graph } = await makeGraph();
    clickHead(graph, 'c');
    key(canvas(graph), 'd', { ctrlKey: true });
    await graph.updateComplete;
    expect(graph.nodes).to.have.length(4);
    expect((graph.nodes[3]!.data as JsonObject).label).to.equal('C');
    expect(overlaps(graph)).to.deep.equal([]);
  });

  it('is editable from the keyboard: Tab to a node selects it, arrows move it, Enter goes into it, Escape back out', async () => {
    const { graph, changes } = await makeGraph();
    nodeEl(graph, 'b').focus();
    await graph.updateComplete;
    expect(selected(graph)).to.deep.equal(['b']);
    key(nodeEl(graph, 'b'), 'ArrowRight');
    key(nodeEl(graph, 'b'), 'ArrowRight');
    key(nodeEl(graph, 'b'), 'ArrowDown', { shiftKey: true });
    expect(pos(graph, 'b')).to.deep.equal({ x: 420, y: 50 });
    expect(new Set(changes.map((c) => c.mergeKey))).to.deep.equal(new Set(['keys:move']));

    key(nodeEl(graph, 'b'), 'Enter');
    await graph.updateComplete;
    const focused = graph.shadowRoot!.activeElement as Element;
    expect(focused.closest('g.node')?.getAttribute('data-node-id')).to.equal('b');
    expect(focused === nodeEl(graph, 'b'), 'focus left the node itself').to.equal(false);
    // Arrow keys inside a field edit the field, not the node position.
    key(focused, 'ArrowRight');
    expect(pos(graph, 'b')).to.deep.equal({ x: 420, y: 50 });
    key(focused, 'Escape');
    expect(graph.shadowRoot!.activeElement === nodeEl(graph, 'b'), 'focus back on the node').to.equal(true);
    key(nodeEl(graph, 'b'), 'Escape');
    expect(selected(graph)).to.deep.equal([]);
  });

  it('connects from the keyboard: Enter on an output handle, then Enter on an input handle', async () => {
    const { graph } = await makeGraph();
    const out = deepAll<SVGCircleElement>(graph, 'g.node[data-node-id="b"] circle.out')[0]!;
    key(out, 'Enter');
    await graph.updateComplete;
    const into = deepAll<SVGCircleElement>(graph, 'g.node[data-node-id="c"] circle.in')[0]!;
    key(into, 'Enter');
    await graph.updateComplete;
    expect(graph.edges.map((e) => [e.source, e.target])).to.deep.include(['b', 'c']);
  });

  it('zoom buttons and keys change the view; Fit shows every node again', async () => {
    const { graph } = await makeGraph();
    const fitted = viewBox(graph);
    deepAll<HTMLButtonElement>(graph, 'button[aria-label="Zoom in"]')[0]!.click();
    await graph.updateComplete;
    expect(viewBox(graph)[2]).to.be.lessThan(fitted[2]!);
    key(canvas(graph), '-');
    key(canvas(graph), '-');
    await graph.updateComplete;
    expect(viewBox(graph)[2]).to.be.greaterThan(fitted[2]!);
    deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Fit')!.click();
    await graph.updateComplete;
    expect(viewBox(graph)).to.deep.equal(fitted);
  });

  it('fits the view again when fitKey changes (another workflow opened or loaded: never a blank canvas)', async () => {
    const { graph } = await makeGraph();
    graph.fitKey = 1;
    await graph.updateComplete;
    graph.nodes = [node('far', 50_000, 40_000)];
    graph.edges = [];
    graph.fitKey = 2;
    await graph.updateComplete;
    const [x, y, w, h] = viewBox(graph) as [number, number, number, number];
    expect(x).to.be.lessThan(50_000);
    expect(x + w).to.be.greaterThan(50_000 + NODE_WIDTH);
    expect(y).to.be.lessThan(40_000);
    expect(y + h).to.be.greaterThan(40_000);
  });

  it('the minimap shows every node and the view; pressing on it centres the view there', async () => {
    const { graph } = await makeGraph();
    const mini = deepAll<SVGSVGElement>(graph, 'svg.minimap')[0]!;
    expect(mini.getAttribute('aria-hidden')).to.equal('true');
    expect(deepAll(graph, 'svg.minimap rect.mini-node')).to.have.length(3);
    expect(deepAll(graph, 'svg.minimap rect.mini-view')).to.have.length(1);
    const target = new DOMPoint(900, 350).matrixTransform(mini.getScreenCTM()!);
    pointer(mini, 'pointerdown', { clientX: target.x, clientY: target.y });
    pointer(mini, 'pointerup', { clientX: target.x, clientY: target.y });
    await graph.updateComplete;
    const [x, y, w, h] = viewBox(graph) as [number, number, number, number];
    expect(x + w / 2).to.be.closeTo(900, 1);
    expect(y + h / 2).to.be.closeTo(350, 1);
    deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Minimap')!.click();
    await graph.updateComplete;
    expect(deepAll(graph, 'svg.minimap')).to.have.length(0);
  });

  it('auto layout places connected nodes left to right without overlaps, as one change', async () => {
    const { graph, changes } = await makeGraph();
    // Stack everything on one spot first: the layout must pull them apart.
    graph.nodes = graph.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } }));
    graph.edges = [
      ...graph.edges,
      { id: 'e2', source: 'b', sourceHandle: 'value', target: 'c', targetHandle: 'a', type: 'default' },
    ];
    await graph.updateComplete;
    deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Auto layout')!.click();
    await graph.updateComplete;
    expect(changes).to.have.length(1);
    expect(overlaps(graph)).to.deep.equal([]);
    expect(pos(graph, 'a').x).to.be.lessThan(pos(graph, 'b').x);
    expect(pos(graph, 'b').x).to.be.lessThan(pos(graph, 'c').x);
  });

  it('lists the keys in a dialog, from Shift+? and from the toolbar', async () => {
    const { graph } = await makeGraph();
    const dialog = () => deepAll(graph, 'fs-hotkeys-dialog')[0]!.shadowRoot!.querySelector('dialog')!;
    key(canvas(graph), '?', { shiftKey: true });
    await waitFor(() => dialog().open);
    const text = dialog().textContent ?? '';
    for (const action of ['Undo', 'Redo', 'Select all nodes', 'Copy the selected nodes', 'Duplicate the selected nodes']) {
      expect(text).to.include(action);
    }
    // Escape inside the dialog is the dialog's: it closes it (the canvas must not take the key).
    clickHead(graph, 'a');
    const escape = key(dialog().querySelector('button')!, 'Escape');
    expect(escape.defaultPrevented, 'Escape taken by the canvas').to.equal(false);
    expect(selected(graph)).to.deep.equal(['a']);
    dialog().close();
    deepAll<HTMLButtonElement>(graph, 'button[aria-label="Keyboard shortcuts"]')[0]!.click();
    await waitFor(() => dialog().open);
    dialog().close();
  });

  it('read-only: selects and copies, but pastes, deletes, moves and lays out nothing', async () => {
    const { graph, changes } = await makeGraph();
    graph.readonly = true;
    await graph.updateComplete;
    key(canvas(graph), 'a', { ctrlKey: true });
    expect(selected(graph)).to.deep.equal(['a', 'b', 'c']);
    key(canvas(graph), 'c', { ctrlKey: true });
    key(canvas(graph), 'v', { ctrlKey: true });
    key(canvas(graph), 'd', { ctrlKey: true });
    key(canvas(graph), 'ArrowRight');
    key(canvas(graph), 'Delete');
    expect(deepAll<HTMLButtonElement>(graph, 'button').find((b) => b.textContent?.trim() === 'Auto layout')).to.equal(undefined);
    expect(changes).to.deep.equal([]);
  });
});
