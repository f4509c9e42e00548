// A real fs-workflow-graph for component tests, wired as the editor wires it: every change is recorded
// and fed back as the graph's new nodes, edges and exposed fields.
import '../../client/components/graph/workflow-graph.js';
import type { GraphChange, WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import type { JsonObject } from '../../shared/workflow/json.js';

export interface GraphFixtureOptions {
  /** CSS pixels; a width left out follows the page. */
  width?: number;
  height?: number;
  exposedFields?: JsonObject[];
}

export async function makeGraph(
  nodes: JsonObject[] = [],
  edges: JsonObject[] = [],
  opts: GraphFixtureOptions = { width: 1200, height: 700 },
): Promise<{ graph: WorkflowGraph; changes: GraphChange[] }> {
  const graph = document.createElement('fs-workflow-graph');
  graph.nodes = nodes;
  graph.edges = edges;
  if (opts.exposedFields !== undefined) graph.exposedFields = opts.exposedFields;
  if (opts.height !== undefined) graph.style.height = `${opts.height}px`;
  if (opts.width !== undefined) graph.style.width = `${opts.width}px`;
  const changes: GraphChange[] = [];
  graph.addEventListener('fs-graph-change', (e) => {
    changes.push(e.detail);
    graph.nodes = e.detail.nodes;
    graph.edges = e.detail.edges;
    graph.exposedFields = e.detail.exposedFields;
  });
  document.body.append(graph);
  await graph.updateComplete;
  return { graph, changes };
}
