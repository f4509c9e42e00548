// Workflow JSON files: download (InvokeAI's export format: the workflow, 2-space indented) and load.
import { validateWorkflowWithoutId, type WorkflowWithoutID } from '../../shared/workflow/schema.js';

export function downloadWorkflow(workflow: object & { name?: unknown }): void {
  const name = typeof workflow.name === 'string' && workflow.name.trim() ? workflow.name.trim() : 'My Workflow';
  const blob = new Blob([JSON.stringify(workflow, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the click has been handled; the download keeps its own reference.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export type LoadResult = { ok: true; workflow: WorkflowWithoutID } | { ok: false; error: string };

/**
 * Parses and validates a workflow file. The id is dropped (as InvokeAI does for anything not loaded
 * from the library), so saving it creates a new library entry instead of overwriting one.
 */
export function parseWorkflowText(text: string): LoadResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not a JSON file: ${(err as Error).message}` };
  }
  const checked = validateWorkflowWithoutId(json);
  if (!checked.ok) return { ok: false, error: `Not a valid workflow: ${checked.error}` };
  const workflow = checked.workflow;
  workflow.meta = { ...workflow.meta, category: 'user' };
  return { ok: true, workflow };
}

export async function readWorkflowFile(file: File): Promise<LoadResult> {
  return parseWorkflowText(await file.text());
}

/** An empty workflow, as InvokeAI's "New Workflow" creates it. */
export function emptyWorkflow(): WorkflowWithoutID {
  return {
    name: '',
    author: '',
    description: '',
    version: '',
    contact: '',
    tags: '',
    notes: '',
    exposedFields: [],
    meta: { version: '3.0.0', category: 'user' },
    nodes: [],
    edges: [],
    form: { elements: { root: { id: 'root', type: 'container', data: { layout: 'column', children: [] } } }, rootElementId: 'root' },
  } as WorkflowWithoutID;
}
