// Phone widths (issue 7 point 1): the canvas is zoomed out to show a node at all, so a field there is
// far below a finger's 44 px; the selected node's fields are offered below it at full size.
import { expect } from 'chai';
import { setViewport } from '@web/test-runner-commands';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { templateFor } from '../../shared/node-templates/index.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll } from './helpers.js';

async function makeGraph(): Promise<WorkflowGraph> {
  const graph = document.createElement('fs-workflow-graph');
  graph.nodes = [
    nodeFromTemplate(templateFor('noise')!, 'a', { x: 0, y: 0 }),
    nodeFromTemplate(templateFor('compel')!, 'c', { x: 400, y: 0 }),
    nodeFromTemplate(templateFor('main_model_loader')!, 'm', { x: 0, y: 400 }),
  ];
  graph.edges = [];
  graph.style.height = '500px';
  graph.addEventListener('fs-graph-change', (e) => {
    graph.nodes = e.detail.nodes;
    graph.edges = e.detail.edges;
  });
  document.body.append(graph);
  await graph.updateComplete;
  return graph;
}

function select(graph: WorkflowGraph, id: string): void {
  deepAll<SVGRectElement>(graph, `g[data-node-id=${id}] rect.head`)[0]!.dispatchEvent(
    new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerId: 1 }),
  );
  deepAll<SVGSVGElement>(graph, 'svg.canvas')[0]!.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, pointerId: 1 }));
}

const inspector = (g: WorkflowGraph) => deepAll<HTMLElement>(g, 'section.inspector')[0];

describe('node inspector', () => {
  afterEach(async () => {
    document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove());
    await setViewport({ width: 800, height: 600 });
  });

  it('on a phone, offers the selected node’s fields at 44 px or more, and edits go into the node', async () => {
    await setViewport({ width: 390, height: 844 });
    const graph = await makeGraph();
    expect(inspector(graph)).to.equal(undefined);
    select(graph, 'a');
    await graph.updateComplete;
    const section = inspector(graph)!;
    expect(section.getAttribute('aria-label')).to.equal('Fields of Create Latent Noise');
    // On the canvas the same field is tiny at this width.
    const onCanvas = deepAll<HTMLInputElement>(graph, 'g[data-node-id=a] input[aria-label="Create Latent Noise Seed"]')[0]!;
    expect(onCanvas.getBoundingClientRect().height).to.be.lessThan(44);
    const controls = [...section.querySelectorAll<HTMLElement>('input, select, textarea, .chip')];
    expect(controls.length).to.equal(5);
    for (const c of controls) {
      const r = c.getBoundingClientRect();
      expect(r.height, c.getAttribute('aria-label') ?? c.tagName).to.be.at.least(44);
      expect(r.right).to.be.at.most(390);
    }
    const seed = section.querySelector<HTMLInputElement>('input[aria-label="Create Latent Noise Seed"]')!;
    seed.value = '1234';
    seed.dispatchEvent(new Event('change'));
    await graph.updateComplete;
    const inputs = (graph.nodes[0]!.data as JsonObject).inputs as JsonObject;
    expect((inputs.seed as JsonObject).value).to.equal(1234);
    // A model field is its chip, at full size too.
    select(graph, 'm');
    await graph.updateComplete;
    expect(inspector(graph)!.querySelector('.chip')!.textContent!.trim()).to.equal('No model chosen');
  });

  it('is not shown on wide screens, where the canvas’ own fields serve', async () => {
    await setViewport({ width: 1280, height: 800 });
    const graph = await makeGraph();
    select(graph, 'c');
    await graph.updateComplete;
    expect(getComputedStyle(inspector(graph)!).display).to.equal('none');
  });
});
