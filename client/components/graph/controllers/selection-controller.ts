// What is selected on the canvas: a set of nodes and a set of edges, by id.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class SelectionController implements ReactiveController {
  nodes: ReadonlySet<string> = new Set();
  edges: ReadonlySet<string> = new Set();

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  get empty(): boolean {
    return this.nodes.size === 0 && this.edges.size === 0;
  }

  hasNode(id: string): boolean {
    return this.nodes.has(id);
  }

  hasEdge(id: string): boolean {
    return this.edges.has(id);
  }

  /** The one selected node, when exactly one node and no edge is selected. */
  get singleNode(): string | null {
    return this.nodes.size === 1 && this.edges.size === 0 ? [...this.nodes][0]! : null;
  }

  set(nodes: Iterable<string>, edges: Iterable<string> = []): void {
    this.nodes = new Set(nodes);
    this.edges = new Set(edges);
    this.host.requestUpdate();
  }

  clear(): void {
    if (this.empty) return;
    this.set([]);
  }

  /** Adds a node, or takes it out when `toggle` and it is in (Shift+click). */
  addNode(id: string, toggle = false): void {
    const next = new Set(this.nodes);
    if (toggle && next.has(id)) next.delete(id);
    else next.add(id);
    this.set(next, this.edges);
  }

  addEdge(id: string, toggle = false): void {
    const next = new Set(this.edges);
    if (toggle && next.has(id)) next.delete(id);
    else next.add(id);
    this.set(this.nodes, next);
  }

  /** Drops ids that no longer exist (after an undo, a remote edit, a delete). */
  retain(nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string>): void {
    const nodes = [...this.nodes].filter((id) => nodeIds.has(id));
    const edges = [...this.edges].filter((id) => edgeIds.has(id));
    if (nodes.length !== this.nodes.size || edges.length !== this.edges.size) this.set(nodes, edges);
  }
}
