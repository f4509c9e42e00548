/**
 * The node inspector: the selected node's fields as a plain form below the canvas, with the same
 * widgets as on the canvas (graph-node.ts renderFieldValue) at full size. On a phone the canvas must be
 * zoomed out to show a node at all, so its in-place fields are far below a finger's 44 px; the
 * inspector is where they are edited there (InvokeAI keeps such an inspector beside its canvas too).
 * Shown at narrow widths only (the canvas' own fields serve on wider screens).
 */
import { css, html, nothing } from 'lit';
import { nodeData, nodeLayout, nodeTitle } from './graph-model.js';
import { renderFieldValue, type NodeActions, type NodeView } from './graph-node.js';

/** Below this width the inspector shows (the editor's own phone breakpoint is 820 px). */
export const INSPECTOR_MAX_WIDTH = 820;

export const inspectorStyles = css`
  .inspector {
    display: none;
    border-top: 1px solid var(--fs-border);
    background: var(--fs-surface);
    padding: 0.5rem 0.75rem 0.75rem;
  }
  @media (max-width: ${INSPECTOR_MAX_WIDTH}px) {
    .inspector {
      display: block;
    }
  }
  .inspector h3 {
    margin: 0 0 0.4rem;
    font-size: 1rem;
  }
  .inspector .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    min-height: 44px;
    height: auto;
    padding: 0.2rem 0;
    font-size: 0.95rem;
    color: var(--fs-text);
  }
  .inspector .row span.label {
    flex: 0 0 38%;
    white-space: normal;
  }
  .inspector .row.tall span.label {
    flex-basis: 100%;
  }
  .inspector .row input:not([type='checkbox']),
  .inspector .row select,
  .inspector .row textarea,
  .inspector .row .chip {
    flex: 1 1 10rem;
    min-height: 44px;
    box-sizing: border-box;
    font-size: 1rem;
  }
  .inspector .row textarea {
    min-height: 6rem;
  }
  .inspector .row input[type='checkbox'] {
    width: 44px;
    height: 44px;
    margin: 0;
  }
  .inspector .row .chip {
    display: flex;
    align-items: center;
  }
`;

/** The inspector for `view.node` (nothing for notes or a collapsed-away selection). */
export function renderNodeInspector(view: NodeView, actions: NodeActions) {
  const { node } = view;
  if (node.type === 'notes') return nothing;
  const layout = nodeLayout(node, view.edges);
  const connected = new Set(view.edges.filter((e) => e.target === node.id).map((e) => String(e.targetHandle)));
  const rows = layout.inputs.filter((r) => r.widget !== 'none');
  const title = nodeTitle(node);
  return html`<section class="inspector" aria-label="Fields of ${title}">
    <h3>${title}${layout.unknownType ? html` <span class="muted">(unknown node type ${String(nodeData(node).type)})</span>` : nothing}</h3>
    ${rows.length === 0 ? html`<p class="muted">This node has no fields to set; it takes connections only.</p>` : nothing}
    ${rows.map(
      (r) => html`<div class="row ${r.widget === 'textarea' ? 'tall' : ''}">
        <span class="label">${r.label}</span>${connected.has(r.name)
          ? html`<span class="connected">connected</span>`
          : renderFieldValue(view, actions, r)}
      </div>`,
    )}
  </section>`;
}
