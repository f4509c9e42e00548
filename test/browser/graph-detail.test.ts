// Level of detail: a workflow of thousands of nodes (anyone can share one) must not freeze the tab. Only
// nodes near the screen, and at most MAX_DETAILED_NODES of them, are drawn with their fields.
import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { MAX_DETAILED_NODES } from '../../client/components/graph/level-of-detail.js';
import { templateFor } from '../../shared/node-templates/index.js';
import { deepAll } from './helpers.js';

async function makeGraph(count: number): Promise<WorkflowGraph> {
  const graph = document.createElement('fs-workflow-graph');
  const t = templateFor('noise')!;
  graph.nodes = Array.from({ length: count }, (_, i) => nodeFromTemplate(t, `n${i}`, { x: (i % 40) * 300, y: Math.floor(i / 40) * 300 }));
  graph.edges = [];
  graph.style.height = '600px';
  document.body.append(graph);
  await graph.updateComplete;
  return graph;
}

const withFields = (g: WorkflowGraph) => new Set(deepAll(g, 'g.node foreignObject').map((f) => f.closest('g.node')!.getAttribute('data-node-id')));

describe('level of detail', () => {
  afterEach(() => document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove()));

  it('draws every node of a workflow of normal size with its fields', async () => {
    const graph = await makeGraph(40);
    expect(withFields(graph).size).to.equal(40);
  });

  it('draws a huge workflow as boxes and titles when fitted, and the fields of the nodes zoomed into', async () => {
    const graph = await makeGraph(MAX_DETAILED_NODES + 150);
    expect(deepAll(graph, 'g.node')).to.have.length(MAX_DETAILED_NODES + 150);
    expect(withFields(graph).size).to.equal(0);
    // Every node keeps its title and stays a focusable group.
    expect(deepAll(graph, 'g.node[tabindex="0"] text').length).to.be.at.least(MAX_DETAILED_NODES + 150);
    graph.viewport.view = { x: 0, y: 0, w: 900, h: 600 };
    await graph.updateComplete;
    const detailed = withFields(graph);
    expect(detailed.has('n0')).to.equal(true);
    expect(detailed.size).to.be.lessThan(60);
    expect(detailed.has(`n${MAX_DETAILED_NODES + 149}`)).to.equal(false);
  });
});
