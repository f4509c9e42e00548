// The add-node popover (issue 7 point 2): ranked search, the keyboard listbox, InvokeAI's keys and the
// double click opening it at the pointer, nodes built from their templates and placed clear of others.
import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import '../../client/components/graph/add-node-popover.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import type { AddNodePopover } from '../../client/components/graph/add-node-popover.js';
import { searchTemplates } from '../../client/components/graph/node-search.js';
import { collisionFreePosition, nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { intersects, nodeRect } from '../../client/components/graph/graph-edits.js';
import { allTemplates, templateFor } from '../../shared/node-templates/index.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll } from './helpers.js';
import { makeGraph } from './graph-fixture.js';


const canvas = (g: WorkflowGraph) => deepAll<SVGSVGElement>(g, 'svg.canvas')[0]!;
const popoverOf = (g: WorkflowGraph) => deepAll<AddNodePopover>(g, 'fs-add-node-popover')[0];

async function choose(g: WorkflowGraph, query: string): Promise<void> {
  const p = popoverOf(g)!;
  await p.updateComplete;
  const search = deepAll<HTMLInputElement>(p, 'input[type=search]')[0]!;
  search.value = query;
  search.dispatchEvent(new Event('input'));
  await p.updateComplete;
  search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
  await g.updateComplete;
}

function pointerAt(g: WorkflowGraph, x: number, y: number): { clientX: number; clientY: number } {
  const r = canvas(g).getBoundingClientRect();
  return { clientX: r.left + x, clientY: r.top + y };
}

describe('node search', () => {
  const titles = (q: string) => searchTemplates(allTemplates(), q).map((t) => t.type);

  it('ranks an exact type or title first, then titles starting with the words, then tags, then descriptions', () => {
    expect(titles('noise')[0]).to.equal('noise');
    expect(titles('l2i')[0]).to.equal('l2i');
    expect(titles('Latents to Image - SD1.5')[0]).to.equal('l2i');
    // "compel" is compel's type, and a tag of other prompt nodes.
    const compel = titles('compel');
    expect(compel[0]).to.equal('compel');
    expect(compel).to.include('sdxl_compel_prompt');
    // Every word must match somewhere.
    expect(titles('noise zzzz')).to.deep.equal([]);
    // Found by its description only.
    const byDescription = searchTemplates(allTemplates(), 'tokenizer');
    expect(byDescription.length).to.be.greaterThan(0);
    expect(byDescription.every((t) => `${t.title} ${t.type} ${t.tags.join(' ')} ${t.description}`.toLowerCase().includes('tokenizer'))).to.equal(true);
  });

  it('an empty search lists every node type, deprecated ones last', () => {
    const all = searchTemplates(allTemplates(), '');
    expect(all).to.have.length(allTemplates().length);
    const firstDeprecated = all.findIndex((t) => t.classification === 'deprecated');
    expect(all.slice(firstDeprecated).every((t) => t.classification === 'deprecated' || t.classification === 'internal')).to.equal(true);
  });
});

describe('fs-add-node-popover', () => {
  afterEach(() => document.querySelectorAll('fs-add-node-popover, fs-workflow-graph').forEach((g) => g.remove()));

  it('is a combobox over a listbox: arrows move, Enter picks, Escape closes', async () => {
    const p = document.createElement('fs-add-node-popover');
    p.templates = allTemplates();
    const picked: string[] = [];
    let closed = 0;
    p.addEventListener('fs-add-node', (e) => picked.push(e.detail.type));
    p.addEventListener('fs-add-node-close', () => closed++);
    document.body.append(p);
    await p.updateComplete;
    const search = deepAll<HTMLInputElement>(p, 'input[role=combobox]')[0]!;
    expect(p.shadowRoot!.activeElement).to.equal(search);
    search.value = 'compel';
    search.dispatchEvent(new Event('input'));
    await p.updateComplete;
    // One labelled dialog holding the search box and its list.
    expect(p.shadowRoot!.querySelector('[role=dialog][aria-label="Add node"] [role=listbox] [role=option]')).to.not.equal(null);
    const options = deepAll<HTMLLIElement>(p, 'li[role=option]');
    expect(options[0]!.getAttribute('aria-selected')).to.equal('true');
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown' }));
    await p.updateComplete;
    expect(search.getAttribute('aria-activedescendant')).to.equal(deepAll(p, 'li[role=option]')[1]!.id);
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(picked).to.deep.equal([p.results[1]!.type]);
    deepAll<HTMLLIElement>(p, 'li[role=option]')[0]!.click();
    expect(picked[1]).to.equal('compel');
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(closed).to.equal(1);
    search.value = 'no such node anywhere';
    search.dispatchEvent(new Event('input'));
    await p.updateComplete;
    expect(deepAll(p, '.empty')[0]!.textContent).to.match(/No node type matches/);
  });

  it('Shift+A opens it at the pointer; the node is built from its template and placed there', async () => {
    const { graph } = await makeGraph();
    const at = pointerAt(graph, 300, 200);
    canvas(graph).dispatchEvent(new PointerEvent('pointermove', { bubbles: true, composed: true, ...at }));
    canvas(graph).dispatchEvent(new KeyboardEvent('keydown', { key: 'A', shiftKey: true, bubbles: true, composed: true }));
    await graph.updateComplete;
    const p = popoverOf(graph)!;
    expect(p).to.not.equal(undefined);
    expect(p.style.left).to.equal('300px');
    // The pointer in graph coordinates, as the canvas is now (selecting the new node may show the
    // inspector under a narrow canvas, which changes the scale afterwards).
    const r = canvas(graph).getBoundingClientRect();
    const p0 = new DOMPoint(r.left + 300, r.top + 200).matrixTransform(canvas(graph).getScreenCTM()!.inverse());
    await choose(graph, 'noise');
    expect(popoverOf(graph)).to.equal(undefined);
    expect(graph.nodes).to.have.length(1);
    const node = graph.nodes[0]!;
    const data = node.data as JsonObject;
    const t = templateFor('noise')!;
    expect([data.type, data.version, data.nodePack]).to.deep.equal(['noise', t.version, t.nodePack]);
    expect(((data.inputs as JsonObject).width as JsonObject).value).to.equal(512);
    expect(Object.keys(data.inputs as JsonObject)).to.deep.equal(t.inputs.map((i) => i.name));
    // Placed where the pointer was (graph coordinates), and selected.
    const pos = node.position as { x: number; y: number };
    expect(Math.abs(pos.x - p0.x)).to.be.lessThan(2);
    expect(Math.abs(pos.y - (p0.y - 15))).to.be.lessThan(2);
    expect([...graph.selection.nodes]).to.deep.equal([node.id]);
  });

  it('Space and a double click on the canvas open it too; new nodes never land on another node', async () => {
    const { graph } = await makeGraph();
    const at = pointerAt(graph, 400, 300);
    for (let i = 0; i < 3; i++) {
      canvas(graph).dispatchEvent(new MouseEvent('dblclick', { bubbles: true, composed: true, ...at }));
      await graph.updateComplete;
      await choose(graph, 'compel');
    }
    canvas(graph).dispatchEvent(new PointerEvent('pointermove', { bubbles: true, composed: true, ...at }));
    canvas(graph).focus();
    canvas(graph).dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true, composed: true }));
    await graph.updateComplete;
    await choose(graph, 'noise');
    expect(graph.nodes.map((n) => (n.data as JsonObject).type)).to.deep.equal(['compel', 'compel', 'compel', 'noise']);
    const rects = graph.nodes.map((n) => nodeRect(n, []));
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) expect(intersects(rects[i]!, rects[j]!), `${i} covers ${j}`).to.equal(false);
    }
  });

  it('Space typed into a field, or on a checkbox, stays there', async () => {
    const { graph } = await makeGraph([nodeFromTemplate(templateFor('compel')!, 'c', { x: 0, y: 0 })]);
    const prompt = deepAll<HTMLTextAreaElement>(graph, 'textarea')[0]!;
    prompt.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true, composed: true }));
    prompt.dispatchEvent(new KeyboardEvent('keydown', { key: 'A', shiftKey: true, bubbles: true, composed: true }));
    await graph.updateComplete;
    expect(popoverOf(graph)).to.equal(undefined);
    // Space on a checkbox ticks it: not taken for the popover.
    const { graph: g2 } = await makeGraph([nodeFromTemplate(templateFor('noise')!, 'n', { x: 0, y: 0 })]);
    const box = deepAll<HTMLInputElement>(g2, 'input[type=checkbox]')[0]!;
    const space = new KeyboardEvent('keydown', { key: ' ', bubbles: true, composed: true, cancelable: true });
    box.dispatchEvent(space);
    await g2.updateComplete;
    expect(space.defaultPrevented).to.equal(false);
    expect(popoverOf(g2)).to.equal(undefined);
  });

  it('is not offered when read-only', async () => {
    const { graph } = await makeGraph();
    graph.readonly = true;
    await graph.updateComplete;
    canvas(graph).dispatchEvent(new KeyboardEvent('keydown', { key: 'A', shiftKey: true, bubbles: true, composed: true }));
    canvas(graph).dispatchEvent(new MouseEvent('dblclick', { bubbles: true, composed: true, ...pointerAt(graph, 10, 10) }));
    await graph.updateComplete;
    expect(popoverOf(graph)).to.equal(undefined);
  });
});

describe('collision-free placement', () => {
  it('keeps the wanted place when it is free, else takes the nearest free one', () => {
    const t = templateFor('noise')!;
    const a = nodeFromTemplate(t, 'a', { x: 0, y: 0 });
    const size = { w: 260, h: 200 };
    expect(collisionFreePosition([a], [], { x: 1000, y: 1000 }, size)).to.deep.equal({ x: 1000, y: 1000 });
    const p = collisionFreePosition([a], [], { x: 10, y: 10 }, size);
    expect(intersects({ ...p, ...size }, nodeRect(a, []))).to.equal(false);
    expect(Math.hypot(p.x - 10, p.y - 10)).to.be.lessThan(400);
  });
});
