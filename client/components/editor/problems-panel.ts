/**
 * fs-problems-panel: what is wrong with the workflow's graph, checked against the node templates
 * (shared/workflow/graph-checks.ts), in plain words: errors (what InvokeAI would refuse or drop) first,
 * then warnings (nodes older than their type). Each problem with a node has a button that takes the
 * user to it (the editor selects and centres it). Nothing here changes the workflow, and a workflow
 * with problems can still be saved: the panel informs, it does not block.
 * Property: workflow (the draft). Event: `fs-show-problem` (detail: {nodeId, edgeId?}).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { checkWorkflow, type WorkflowProblem } from '../../../shared/workflow/graph-checks.js';
import { sharedStyles } from '../shared-styles.js';

/** Problems by the draft's nodes and edges arrays: a details edit (a new draft, the same arrays) reuses them. */
const checked = new WeakMap<object, WeakMap<object, WorkflowProblem[]>>();

/**
 * The problems of a workflow's graph, checked once per nodes/edges pair (the editor's draft is replaced,
 * never changed in place: a new graph after loading, importing, saving or editing it is checked again).
 */
export function workflowProblems(workflow: object): WorkflowProblem[] {
  const { nodes, edges } = workflow as { nodes?: unknown; edges?: unknown };
  const cacheable = typeof nodes === 'object' && nodes !== null && typeof edges === 'object' && edges !== null;
  let byEdges = cacheable ? checked.get(nodes) : undefined;
  let problems = cacheable ? byEdges?.get(edges) : undefined;
  if (!problems) {
    problems = checkWorkflow(workflow);
    // Errors first, each group in the order of the graph.
    problems = [...problems.filter((p) => p.severity === 'error'), ...problems.filter((p) => p.severity !== 'error')];
    if (cacheable) {
      if (!byEdges) checked.set(nodes, (byEdges = new WeakMap()));
      byEdges.set(edges, problems);
    }
  }
  return problems;
}

@customElement('fs-problems-panel')
export class ProblemsPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      details {
        border: 1px solid var(--fs-border);
        border-radius: 8px;
        background: var(--fs-surface);
      }
      summary {
        padding: 0.4rem 0.7rem;
        cursor: pointer;
        min-height: 2.75rem;
        box-sizing: border-box;
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0 0.5rem 0.5rem;
        max-height: 14rem;
        overflow: auto;
      }
      li {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
        padding: 0.35rem 0.2rem;
        border-top: 1px solid var(--fs-border);
        font-size: 0.88rem;
      }
      li .kind {
        flex: 0 0 auto;
        font-weight: 600;
      }
      li.error .kind {
        color: var(--fs-danger);
      }
      li .msg {
        flex: 1;
      }
      li button {
        flex: 0 0 auto;
        min-height: 2.75rem;
      }
      .ok {
        margin: 0;
        padding: 0.4rem 0.7rem;
        font-size: 0.88rem;
      }
    `,
  ];

  @property({ attribute: false }) accessor workflow: object | null = null;

  private show(p: WorkflowProblem): void {
    this.dispatchEvent(
      new CustomEvent('fs-show-problem', { detail: { nodeId: p.nodeId!, edgeId: p.edgeId }, bubbles: true, composed: true }),
    );
  }

  override render() {
    if (!this.workflow) return nothing;
    const problems = workflowProblems(this.workflow);
    if (problems.length === 0) return html`<p class="ok muted" role="status">No problems found in this workflow’s graph.</p>`;
    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.length - errors;
    const counts = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '']
      .filter(Boolean)
      .join(', ');
    return html`<details ?open=${errors > 0}>
      <summary><strong>Problems</strong><span role="status">${counts}</span></summary>
      <ul aria-label="Problems">
        ${problems.map(
          (p) => html`<li class=${p.severity}>
            <span class="kind">${p.severity === 'error' ? 'Error' : 'Warning'}</span>
            <span class="msg">${p.message}</span>
            ${p.nodeId ? html`<button @click=${() => this.show(p)}>Show node</button>` : nothing}
          </li>`,
        )}
      </ul>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-problems-panel': ProblemsPanel;
  }
  interface HTMLElementEventMap {
    'fs-show-problem': CustomEvent<{ nodeId: string; edgeId?: string }>;
  }
}
