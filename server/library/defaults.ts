// The default workflows: the JSON files of config.defaultsDir, indexed as category 'default', owner
// 'system', read-only to everyone (InvokeAI's _sync_default_workflows, run at every start). A file that
// does not validate, whose id does not start with `default_`, or whose meta.category is not 'default'
// is skipped with one log line naming it; the others still load.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { validateWorkflow, type Workflow } from '../../shared/workflow/index.js';
import type { IndexRow, RowKey, WorkflowIndexStore } from '../storage/index-store.js';
import { RESERVED_ID_PREFIX } from './owners.js';

export const DEFAULT_ID_PREFIX = RESERVED_ID_PREFIX;

export interface DefaultWorkflow {
  file: string;
  workflow: Workflow;
  /** The file's modification time, used as created_at/updated_at (InvokeAI's are meaningless too). */
  modifiedAt: string;
}

/** Reads and checks every *.json file of the folder (a missing folder is an empty default set). */
export function readDefaults(dir: string, log: (message: string) => void): DefaultWorkflow[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    log(`default workflows: folder ${dir} cannot be read, no defaults loaded`);
    return [];
  }
  const out: DefaultWorkflow[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const path = join(dir, file);
    const problem = (why: string) => log(`default workflow ${file} skipped: ${why}`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      problem(`not JSON (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const checked = validateWorkflow(json);
    if (!checked.ok) {
      problem(checked.error);
      continue;
    }
    const workflow = checked.workflow;
    if (!workflow.id.startsWith(DEFAULT_ID_PREFIX)) {
      problem(`id "${workflow.id}" must start with "${DEFAULT_ID_PREFIX}"`);
      continue;
    }
    if (workflow.meta.category !== 'default') {
      problem(`meta.category must be "default", found "${workflow.meta.category}"`);
      continue;
    }
    if (seen.has(workflow.id)) {
      problem(`id "${workflow.id}" is used by another file`);
      continue;
    }
    seen.add(workflow.id);
    out.push({ file, workflow, modifiedAt: statSync(path).mtime.toISOString() });
  }
  return out;
}

export function defaultRow(d: DefaultWorkflow): IndexRow {
  return {
    workflow_id: d.workflow.id,
    user_id: SYSTEM_USER_ID,
    category: 'default',
    name: d.workflow.name,
    description: d.workflow.description,
    tags: d.workflow.tags,
    // As in InvokeAI, defaults are not "shared" user workflows: the is_public filter never lists them.
    is_public: false,
    created_at: d.modifiedAt,
    updated_at: d.modifiedAt,
    opened_at: null,
    valid: true,
    invalid_reason: null,
    workflow: JSON.stringify(d.workflow),
    doc_seq: 0,
  };
}

/**
 * Makes the index's defaults equal to the folder: new and changed files upserted, defaults whose file
 * is gone removed, in one transaction. Returns the ids that changed (for the publisher).
 */
export async function syncDefaults(index: WorkflowIndexStore, dir: string, log: (message: string) => void): Promise<string[]> {
  const defaults = readDefaults(dir, log);
  const upserts: IndexRow[] = [];
  const wanted = new Set<string>();
  for (const d of defaults) {
    wanted.add(d.workflow.id);
    // Default ids belong to the defaults for good (libraries can never claim the reserved prefix).
    await index.claimOwner(d.workflow.id, SYSTEM_USER_ID, 'default');
    const row = defaultRow(d);
    const before = await index.row(row.workflow_id, SYSTEM_USER_ID, 'default');
    // Compare content, not mtime: a touched but unchanged file is not a change.
    if (before?.workflow !== row.workflow) upserts.push(row);
  }
  const deletes: RowKey[] = (await index.idsOf(SYSTEM_USER_ID, 'default'))
    .filter((id) => !wanted.has(id))
    .map((workflowId) => ({ workflowId, userId: SYSTEM_USER_ID, category: 'default' }));
  if (upserts.length === 0 && deletes.length === 0) return [];
  await index.applyChanges({ upserts, deletes });
  return [...upserts.map((r) => r.workflow_id), ...deletes.map((d) => d.workflowId)];
}
