// Drag-to-connect (issue 7 point 3): by InvokeAI's rules, from an output to an input and back, moving
// and removing an edge by its input end, the reason for a refused target while dragging, and a drop on
// empty canvas offering only the node types that fit. Real pointer events on a real canvas in Chromium.
import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import type { AddNodePopover } from '../../client/components/graph/add-node-popover.js';
import { nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { allTemplates, templateFor } from '../../shared/node-templates/index.js';
import { validateConnection, type GraphLike } from '../../shared/workflow/connection-rules.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll } from './helpers.js';
import { makeGraph as makeGraphOfSize } from './graph-fixture.js';

const node = (type: string, id: string, x: number, y: number) => nodeFromTemplate(templateFor(type)!, id, { x, y });

const makeGraph = (nodes: JsonObject[], edges: JsonObject[] = []) => makeGraphOfSize(nodes, edges, { width: 1400, height: 800 });

const handle = (g: WorkflowGraph, id: string, sel: string) => {
  const h = deepAll<SVGElement>(g, `g.node[data-node-id="${id}"] ${sel}`)[0];
  if (!h) throw new Error(`no handle ${id} ${sel}`);
  return h;
};
const centre = (el: Element) => {
  const r = el.getBoundingClientRect();
  return { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 };
};
const canvas = (g: WorkflowGraph) => deepAll<SVGSVGElement>(g, 'svg.canvas')[0]!;
const status = (g: WorkflowGraph) => deepAll(g, 'p.connect-status')[0]!.textContent!.trim();

/** Presses on `from`, moves over `via` points, and releases at the last one. */
async function drag(g: WorkflowGraph, from: Element, ...via: Array<{ clientX: number; clientY: number }>): Promise<void> {
  const start = centre(from);
  from.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 7, button: 0, ...start }));
  for (const p of via) {
    canvas(g).dispatchEvent(new PointerEvent('pointermove', { bubbles: true, composed: true, pointerId: 7, ...p }));
    await g.updateComplete;
  }
  const end = via[via.length - 1]!;
  canvas(g).dispatchEvent(new PointerEvent('pointerup', { bubbles: true, composed: true, pointerId: 7, ...end }));
  await g.updateComplete;
}

const near = (p: { clientX: number; clientY: number }, dx = 20, dy = 0) => ({ clientX: p.clientX + dx, clientY: p.clientY + dy });
const ends = (g: WorkflowGraph) => g.edges.map((e) => `${String(e.source)}.${String(e.sourceHandle)}>${String(e.target)}.${String(e.targetHandle)}`);

describe('drag to connect', () => {
  afterEach(() => document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove()));

  it('connects an output to a compatible input, and an input back to an output', async () => {
    const { graph } = await makeGraph([node('noise', 'n', 0, 0), node('l2i', 'l', 500, 0), node('main_model_loader', 'm', 0, 400)]);
    const target = centre(handle(graph, 'l', '.handle.in[data-field=latents]'));
    await drag(graph, handle(graph, 'n', '.handle.out[data-output=noise]'), near(target, 60, 40), near(target, 3, 2));
    expect(ends(graph)).to.deep.equal(['n.noise>l.latents']);
    expect(graph.edges[0]!.id).to.equal('reactflow__edge-nnoise-llatents');
    // From l2i's vae input back to the model loader's vae output.
    const vae = centre(handle(graph, 'm', '.handle.out[data-output=vae]'));
    await drag(graph, handle(graph, 'l', '.handle.in[data-field=vae]'), near(vae, -50, -30), near(vae, -2, 1));
    expect(ends(graph)).to.deep.equal(['n.noise>l.latents', 'm.vae>l.vae']);
  });

  it('while dragging, lights the inputs that fit, dims the others, and says why the one under the pointer is refused; the drop makes nothing', async () => {
    const { graph, changes } = await makeGraph([node('main_model_loader', 'm', 0, 0), node('denoise_latents', 'd', 500, 0)]);
    const from = handle(graph, 'm', '.handle.out[data-output=vae]');
    const steps = centre(handle(graph, 'd', '.handle.in[data-field=steps]'));
    from.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 7, button: 0, ...centre(from) }));
    canvas(graph).dispatchEvent(new PointerEvent('pointermove', { bubbles: true, composed: true, pointerId: 7, ...near(steps, 1, 1) }));
    await graph.updateComplete;
    const stepsHandle = handle(graph, 'd', '.handle.in[data-field=steps]');
    expect(stepsHandle.classList.contains('refused')).to.equal(true);
    expect(stepsHandle.classList.contains('hovered')).to.equal(true);
    expect(stepsHandle.querySelector('title')!.textContent).to.match(/Steps takes an integer; VAE gives a VAE\./);
    expect(status(graph)).to.equal('Cannot connect to Denoise - SD1.5, SDXL Steps: Steps takes an integer; VAE gives a VAE.');
    expect(deepAll(graph, 'p.connect-status')[0]!.getAttribute('role')).to.equal('status');
    // Nothing of denoise_latents takes a VAE: every input is dimmed.
    const inputs = deepAll<SVGElement>(graph, 'g.node[data-node-id="d"] .handle.in');
    expect(inputs.every((h) => h.classList.contains('refused'))).to.equal(true);
    expect(deepAll(graph, 'path.connecting')).to.have.length(1);
    canvas(graph).dispatchEvent(new PointerEvent('pointerup', { bubbles: true, composed: true, pointerId: 7, ...near(steps, 1, 1) }));
    await graph.updateComplete;
    expect(graph.edges).to.deep.equal([]);
    expect(changes).to.deep.equal([]);
    expect(status(graph)).to.equal('Not connected: Steps takes an integer; VAE gives a VAE.');
    expect(deepAll(graph, 'path.connecting')).to.have.length(0);
    expect(deepAll(graph, '.handle.refused')).to.have.length(0);
  });

  it('lights the compatible inputs while dragging', async () => {
    const { graph } = await makeGraph([node('main_model_loader', 'm', 0, 0), node('denoise_latents', 'd', 500, 0)]);
    const from = handle(graph, 'm', '.handle.out[data-output=unet]');
    from.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 7, button: 0, ...centre(from) }));
    canvas(graph).dispatchEvent(new PointerEvent('pointermove', { bubbles: true, composed: true, pointerId: 7, ...near(centre(from), 100, 100) }));
    await graph.updateComplete;
    const lit = deepAll<SVGElement>(graph, 'g.node[data-node-id="d"] .handle.in.ok').map((h) => h.getAttribute('data-field'));
    expect(lit).to.deep.equal(['unet']);
    canvas(graph).dispatchEvent(new PointerEvent('pointercancel', { bubbles: true, composed: true, pointerId: 7 }));
    window.dispatchEvent(new PointerEvent('pointercancel', { pointerId: 7 }));
  });

  it('refuses a second edge into a taken input, and a loop, with their reasons', async () => {
    const { graph } = await makeGraph([node('integer', 'a', 0, 0), node('integer', 'b', 0, 300), node('add', 'c', 500, 0)], [
      { id: 'e1', source: 'a', sourceHandle: 'value', target: 'c', targetHandle: 'a', type: 'default' },
    ]);
    await drag(graph, handle(graph, 'b', '.handle.out[data-output=value]'), near(centre(handle(graph, 'c', '.handle.in[data-field=a]')), 1, 1));
    expect(ends(graph)).to.deep.equal(['a.value>c.a']);
    expect(status(graph)).to.match(/^Not connected: A already has a connection; remove it first\.$/);
    // c depends on a: c's output into a's input would be a loop.
    await drag(graph, handle(graph, 'c', '.handle.out[data-output=value]'), near(centre(handle(graph, 'a', '.handle.in[data-field=value]')), 1, 1));
    expect(ends(graph)).to.deep.equal(['a.value>c.a']);
    expect(status(graph)).to.match(/^Not connected: This connection would make a loop/);
  });

  it('picks an edge up by its input end: dropped on another input it moves there, on empty canvas it is removed', async () => {
    const { graph } = await makeGraph([node('integer', 'a', 0, 0), node('add', 'c', 500, 0)], [
      { id: 'e1', source: 'a', sourceHandle: 'value', target: 'c', targetHandle: 'a', type: 'default' },
    ]);
    const b = centre(handle(graph, 'c', '.handle.in[data-field=b]'));
    await drag(graph, handle(graph, 'c', '.handle.in[data-field=a]'), near(b, 30, 30), near(b, 1, 1));
    expect(ends(graph)).to.deep.equal(['a.value>c.b']);
    const empty = { clientX: canvas(graph).getBoundingClientRect().left + 30, clientY: canvas(graph).getBoundingClientRect().bottom - 30 };
    await drag(graph, handle(graph, 'c', '.handle.in[data-field=b]'), near(empty, 50, -50), empty);
    expect(graph.edges).to.deep.equal([]);
    expect(status(graph)).to.equal('Connection removed.');
  });

  it('a connection dropped on empty canvas offers only the node types that fit, and connects the chosen one', async () => {
    const { graph } = await makeGraph([node('main_model_loader', 'm', 0, 0)]);
    const r = canvas(graph).getBoundingClientRect();
    const empty = { clientX: r.left + 700, clientY: r.top + 300 };
    await drag(graph, handle(graph, 'm', '.handle.out[data-output=clip]'), near(empty, -40, 0), empty);
    const popover = deepAll<AddNodePopover>(graph, 'fs-add-node-popover')[0]!;
    expect(popover).to.not.equal(undefined);
    expect(popover.heading).to.equal('Add a node that connects here');
    const offered = popover.templates;
    expect(offered.length).to.be.greaterThan(0);
    expect(offered.length).to.be.lessThan(allTemplates().length / 4);
    expect(offered.map((t) => t.type)).to.include('compel');
    expect(offered.map((t) => t.type)).to.not.include('noise');
    // Each offer really takes a CLIP on the field named beside it.
    for (const t of offered) {
      const field = popover.fields!.get(t.type)!;
      const g = { nodes: [graph.nodes[0], nodeFromTemplate(t, 'x', { x: 0, y: 0 })], edges: [] } as unknown as GraphLike;
      expect(validateConnection(g, templateFor, { source: 'm', sourceHandle: 'clip', target: 'x', targetHandle: field }).ok, t.type).to.equal(true);
    }
    await popover.updateComplete;
    const search = deepAll<HTMLInputElement>(popover, 'input[type=search]')[0]!;
    search.value = 'compel';
    search.dispatchEvent(new Event('input'));
    await popover.updateComplete;
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await graph.updateComplete;
    expect(graph.nodes.map((n) => (n.data as JsonObject).type)).to.deep.equal(['main_model_loader', 'compel']);
    const added = String(graph.nodes[1]!.id);
    expect(ends(graph)).to.deep.equal([`m.clip>${added}.clip`]);
  });

  it('click-to-connect follows the same rules', async () => {
    const { graph } = await makeGraph([node('main_model_loader', 'm', 0, 0), node('denoise_latents', 'd', 500, 0)]);
    handle(graph, 'm', '.handle.out[data-output=vae]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await graph.updateComplete;
    handle(graph, 'd', '.handle.in[data-field=steps]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await graph.updateComplete;
    expect(graph.edges).to.deep.equal([]);
    expect(status(graph)).to.equal('Not connected: Steps takes an integer; VAE gives a VAE.');
  });

  it('makes nothing when read-only', async () => {
    const { graph, changes } = await makeGraph([node('noise', 'n', 0, 0), node('l2i', 'l', 500, 0)]);
    graph.readonly = true;
    await graph.updateComplete;
    await drag(graph, handle(graph, 'n', '.handle.out[data-output=noise]'), near(centre(handle(graph, 'l', '.handle.in[data-field=latents]')), 1, 1));
    expect(changes).to.deep.equal([]);
  });
});
