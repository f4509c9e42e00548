// Hands an unsaved workflow (New Workflow, Load from File) from the library to the editor.
import type { WorkflowWithoutID } from '../../shared/workflow/schema.js';

let pending: WorkflowWithoutID | null = null;

export function setPendingDraft(workflow: WorkflowWithoutID): void {
  pending = workflow;
}

/** The draft, once: a reload of #/new starts a fresh empty workflow instead. */
export function takePendingDraft(): WorkflowWithoutID | null {
  const d = pending;
  pending = null;
  return d;
}
