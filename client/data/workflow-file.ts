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
  if (text.trim() === '') return { ok: false, error: 'This file is empty. Choose a workflow file (.json) saved from InvokeAI or Flowshelf.' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: `This file is not a workflow: it is not JSON text (${(err as Error).message}). Choose a workflow file (.json) saved from InvokeAI or Flowshelf.`,
    };
  }
  const notWorkflow = whyNotAWorkflow(json);
  if (notWorkflow) return { ok: false, error: notWorkflow };
  const checked = validateWorkflowWithoutId(json);
  if (!checked.ok) {
    return {
      ok: false,
      error: `This workflow cannot be loaded: ${checked.error}. Correct that in the file, or save the workflow again from InvokeAI and load the new file.`,
    };
  }
  const workflow = checked.workflow;
  workflow.meta = { ...workflow.meta, category: 'user' };
  return { ok: true, workflow };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A plain-words reason when the JSON is not a workflow at all (before the field-by-field checks). */
function whyNotAWorkflow(json: unknown): string | null {
  const pick = 'Choose a workflow file (.json) saved from InvokeAI’s Workflow Editor or downloaded from Flowshelf.';
  if (!isObject(json)) return `This JSON file is not a workflow: it holds ${Array.isArray(json) ? 'a list' : 'a single value'}, not a workflow object. ${pick}`;
  if (isObject(json['workflow']) && !('nodes' in json)) {
    return `This file holds a workflow inside it (under “workflow”), not a workflow file itself: it may be an InvokeAI API export or image metadata. Open it in InvokeAI and save the workflow from the Workflow Editor. ${pick}`;
  }
  if (!Array.isArray(json['nodes']) || !Array.isArray(json['edges'])) {
    return `This JSON file is not a workflow: it has no list of nodes and edges. If it is a graph from InvokeAI’s generation tab, open it in InvokeAI’s Workflow Editor and save it as a workflow. ${pick}`;
  }
  const meta = json['meta'];
  const version = isObject(meta) && typeof meta['version'] === 'string' ? meta['version'] : null;
  if (!version || /^[012]\./.test(version)) {
    return `This workflow was saved by an older InvokeAI (workflow format ${version ?? 'without a version'}); only format 3 and later can be loaded here. Open it in a current InvokeAI, which updates it, and save it again.`;
  }
  return null;
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
