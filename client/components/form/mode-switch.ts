// The View/Edit switch of the editor's header (InvokeAI's WorkflowViewEditToggleButton): two toggle
// buttons in a labelled group. Edit is offered only where the workflow can be edited.
import { css, html, type TemplateResult } from 'lit';
import type { EditorMode } from '../../controllers/editor-mode-controller.js';

export const modeSwitchStyles = css`
  .mode-switch {
    display: inline-flex;
  }
  .mode-switch button {
    border-radius: 0;
  }
  .mode-switch button:first-child {
    border-radius: 6px 0 0 6px;
  }
  .mode-switch button:last-child {
    border-radius: 0 6px 6px 0;
    border-left: none;
  }
  .mode-switch button[aria-pressed='true'] {
    background: var(--fs-accent);
    border-color: var(--fs-accent);
    color: white;
  }
`;

export function modeSwitch(mode: EditorMode, editable: boolean, choose: (mode: EditorMode) => void): TemplateResult {
  return html`<div class="mode-switch" role="group" aria-label="Mode">
    <button aria-pressed=${mode === 'view' ? 'true' : 'false'} @click=${() => choose('view')}>View</button>
    <button aria-pressed=${mode === 'edit' ? 'true' : 'false'} ?disabled=${!editable}
      title=${editable ? 'Edit the graph and build the form' : 'Read-only: Save As makes a copy you can edit'}
      @click=${() => choose('edit')}>Edit</button>
  </div>`;
}
