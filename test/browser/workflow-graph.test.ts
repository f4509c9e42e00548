import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { byText, deepAll, workflow } from './helpers.js';
import { makeGraph as makeGraphWith } from './graph-fixture.js';

/** A graph wired like the editor wires it: every change is applied back to the properties. */
function makeGraph() {
  const wf = workflow('w') as unknown as { nodes: JsonObject[]; edges: JsonObject[] };
  return makeGraphWith(wf.nodes, wf.edges, { height: 500, exposedFields: [{ nodeId: 'n1', fieldName: 'seed' }] });
}

describe('fs-workflow-graph', () => {
  afterEach(() => document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove()));

  it('moves a node by dragging its title bar', async () => {
    const { graph } = await makeGraph();
    const head = deepAll<SVGRectElement>(graph, 'g[data-node-id=n1] rect.head')[0]!;
    const box = head.getBoundingClientRect();
    const start = { x: box.left + 20, y: box.top + 10 };
    head.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, clientX: start.x, clientY: start.y, pointerId: 1 }));
    const svg = deepAll<SVGSVGElement>(graph, 'svg')[0]!;
    svg.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: start.x + 60, clientY: start.y + 40, pointerId: 1 }));
    svg.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, clientX: start.x + 60, clientY: start.y + 40, pointerId: 1 }));
    const moved = graph.nodes.find((n) => n.id === 'n1')!.position as { x: number; y: number };
    expect(moved.x).to.be.greaterThan(0);
    expect(moved.y).to.be.greaterThan(0);
  });

  it('adds a node from the add-node popover and connects an output to it by clicks', async () => {
    const { graph } = await makeGraph();
    byText<HTMLButtonElement>(graph, 'button', 'Add node')!.click();
    await graph.updateComplete;
    const popover = deepAll<HTMLElement & { updateComplete: Promise<unknown> }>(graph, 'fs-add-node-popover')[0]!;
    await popover.updateComplete;
    const search = deepAll<HTMLInputElement>(popover, 'input[type=search]')[0]!;
    search.value = 'l2i';
    search.dispatchEvent(new Event('input'));
    await popover.updateComplete;
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await graph.updateComplete;
    expect(graph.nodes).to.have.length(3);
    const added = graph.nodes[2]!;
    expect((added.data as JsonObject).type).to.equal('l2i');
    deepAll<SVGElement>(graph, 'g[data-node-id=n1] .handle.out[data-output=noise]')[0]!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await graph.updateComplete;
    deepAll<SVGElement>(graph, `g[data-node-id="${String(added.id)}"] .handle.in[data-field=latents]`)[0]!.dispatchEvent(
      new MouseEvent('click', { bubbles: true }),
    );
    await graph.updateComplete;
    expect(graph.edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).to.deep.include([
      'n1',
      'noise',
      added.id,
      'latents',
    ]);
    expect(deepAll(graph, 'path.edge')).to.have.length(2);
  });

  it('removing a node also removes its edges and exposed fields', async () => {
    const { graph } = await makeGraph();
    deepAll<SVGRectElement>(graph, 'g[data-node-id=n1] rect.head')[0]!.dispatchEvent(
      new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 1 }),
    );
    deepAll<SVGSVGElement>(graph, 'svg')[0]!.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, pointerId: 1 }));
    await graph.updateComplete;
    byText<HTMLButtonElement>(graph, 'button', 'Remove node')!.click();
    await graph.updateComplete;
    expect(graph.nodes.map((n) => n.id)).to.deep.equal(['n2']);
    expect(graph.edges).to.deep.equal([]);
    expect(graph.exposedFields).to.deep.equal([]);
  });

  it('edits nothing when read-only', async () => {
    const { graph, changes } = await makeGraph();
    graph.readonly = true;
    await graph.updateComplete;
    expect(byText(graph, 'button', 'Add node')).to.equal(undefined);
    const seed = deepAll<HTMLInputElement>(graph, 'input[aria-label="Create Latent Noise Seed"]')[0]!;
    expect(seed.disabled).to.equal(true);
    deepAll<SVGElement>(graph, 'g[data-node-id=n2] .handle.out')[0]!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    deepAll<SVGElement>(graph, 'g[data-node-id=n1] .handle.in')[0]!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(changes).to.deep.equal([]);
  });

  it('draws a collapsed node (isOpen: false) as its title bar only, edges ending at the bar, and expands it on request', async () => {
    const { graph } = await makeGraph();
    graph.nodes = graph.nodes.map((n) => (n.id === 'n2' ? { ...n, data: { ...(n.data as JsonObject), isOpen: false } } : n));
    await graph.updateComplete;
    const box = () => deepAll<SVGRectElement>(graph, 'g[data-node-id=n2] rect.box')[0]!;
    expect(Number(box().getAttribute('height'))).to.equal(30);
    expect(deepAll(graph, 'g[data-node-id=n2] .handle.in')).to.have.length(0);
    // The edge into the collapsed node ends at the middle of its title bar (n2 sits at 400,0).
    const d = deepAll<SVGPathElement>(graph, 'path.edge')[0]!.getAttribute('d')!;
    expect(d.endsWith(' 400,15')).to.equal(true, d);

    deepAll<SVGGElement>(graph, 'g[data-node-id=n2] g.toggle')[0]!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await graph.updateComplete;
    expect((graph.nodes.find((n) => n.id === 'n2')!.data as JsonObject).isOpen).to.equal(true);
    expect(deepAll(graph, 'g[data-node-id=n2] .handle.in[data-field=latents]')).to.have.length(1);
    expect(Number(box().getAttribute('height'))).to.be.greaterThan(30);
  });
});
