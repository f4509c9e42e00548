// A real fs-workflow-graph for component tests, wired as the editor wires it: every change is recorded
// and fed back as the graph's new nodes and edges.
import '../../client/components/graph/workflow-graph.js';
import type { GraphChange, WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import type { JsonObject } from '../../shared/workflow/json.js';

export async function makeGraph(
  nodes: JsonObject[] = [],
  edges: JsonObject[] = [],
  size: { width: number; height: number } = { width: 1200, height: 700 },
): Promise<{ graph: WorkflowGraph; changes: GraphChange[] }> {
  const graph = document.createElement('fs-workflow-graph');
  graph.nodes = nodes;
  graph.edges = edges;
  graph.style.height = `${size.height}px`;
  graph.style.width = `${size.width}px`;
  const changes: GraphChange[] = [];
  graph.addEventListener('fs-graph-change', (e) => {
    changes.push(e.detail);
    graph.nodes = e.detail.nodes;
    graph.edges = e.detail.edges;
  });
  document.body.append(graph);
  await graph.updateComplete;
  return { graph, changes };
}
