// The public document `public` (contract §4): doc.getMap('workflows') maps a workflow id to a PLAIN
// JSON object { workflow, user_id, owner_name, is_public, category, created_at, updated_at, thumbnail? }
// (`thumbnail`: the version of the workflow's thumbnail image, absent when it has none; `share_versions`:
// true when the owner lets readers see its versions, absent otherwise) — not nested
// Y types: only the server writes this document and always writes whole entries, so there is nothing
// to merge, and a plain value is cheaper to store and to ship.
//
// Clients read it, so reading still validates: a malformed entry (which only a server bug could
// produce) is skipped rather than handed to the UI.
import type * as Y from 'yjs';
import { copyJson, isPlainObject, jsonEqual, type JsonObject } from './json.js';
import { validateWorkflow, WorkflowCategory, type Workflow } from './schema.js';
import { isThumbnailVersion } from './library-doc.js';
import { withSharedTag } from './tags.js';

export const PUBLIC_WORKFLOWS_KEY = 'workflows';

export interface PublicEntry {
  workflow: Workflow;
  user_id: string;
  owner_name: string;
  is_public: boolean;
  category: WorkflowCategory;
  created_at: string;
  updated_at: string;
  /** Version of the thumbnail image (URL: /api/v1/workflows/i/{id}/thumbnail?{version}); absent: none. */
  thumbnail?: string;
  /** The owner shares the workflow's versions with its readers (HISTORY); absent: not shared. */
  share_versions?: boolean;
}

export function publicMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(PUBLIC_WORKFLOWS_KEY);
}

export type PublicEntryCheck = { ok: true; entry: PublicEntry } | { ok: false; reason: string };

/**
 * Validates a public entry stored (or about to be stored) under `id` and returns a normalized copy:
 * the workflow must validate and carry `id`, and for user workflows the `shared` tag is made to agree
 * with is_public. (Default workflows are published as their files are; the rule is about sharing.)
 */
export function checkPublicEntry(id: string, value: unknown): PublicEntryCheck {
  if (!isPlainObject(value)) return { ok: false, reason: 'entry: expected an object' };
  for (const key of ['user_id', 'owner_name', 'created_at', 'updated_at'] as const) {
    if (typeof value[key] !== 'string') return { ok: false, reason: `${key}: expected a string` };
  }
  if (typeof value['is_public'] !== 'boolean') return { ok: false, reason: 'is_public: expected a boolean' };
  const category = WorkflowCategory.safeParse(value['category']);
  if (!category.success) return { ok: false, reason: `category: ${category.error.issues[0]?.message ?? 'invalid'}` };
  const checked = validateWorkflow(value['workflow']);
  if (!checked.ok) return { ok: false, reason: `workflow.${checked.error}` };
  const workflow = checked.workflow;
  if (workflow.id !== id) return { ok: false, reason: `workflow.id: ${workflow.id} does not match the entry key ${id}` };
  if (category.data === 'user') workflow.tags = withSharedTag(workflow.tags, value['is_public']);
  const thumbnail = value['thumbnail'];
  if (thumbnail !== undefined && !isThumbnailVersion(thumbnail)) return { ok: false, reason: 'thumbnail: expected a version string' };
  const entry: PublicEntry = {
    workflow,
    user_id: value['user_id'] as string,
    owner_name: value['owner_name'] as string,
    is_public: value['is_public'],
    category: category.data,
    created_at: value['created_at'] as string,
    updated_at: value['updated_at'] as string,
  };
  if (thumbnail !== undefined) entry.thumbnail = thumbnail;
  const shareVersions = value['share_versions'];
  if (shareVersions !== undefined && typeof shareVersions !== 'boolean') return { ok: false, reason: 'share_versions: expected a boolean' };
  if (shareVersions === true) entry.share_versions = true;
  return { ok: true, entry };
}

/** Every valid entry, sorted by id; entries are copies, safe to change. */
export function readPublicEntries(doc: Y.Doc): Array<[string, PublicEntry]> {
  const map = publicMap(doc);
  const out: Array<[string, PublicEntry]> = [];
  for (const id of Array.from(map.keys()).sort()) {
    const checked = checkPublicEntry(id, map.get(id));
    if (checked.ok) out.push([id, checked.entry]);
  }
  return out;
}

/** One entry, or null if absent or malformed. */
export function readPublicEntry(doc: Y.Doc, id: string): PublicEntry | null {
  const checked = checkPublicEntry(id, publicMap(doc).get(id));
  return checked.ok ? checked.entry : null;
}

/**
 * Stores an entry unless an equal one is already there, so republishing the same state writes (and
 * ships) nothing. Returns whether it wrote. Throws if the entry is invalid: the server must never
 * publish an invalid workflow (contract §5).
 */
export function putPublicEntry(doc: Y.Doc, id: string, entry: PublicEntry, origin?: unknown): boolean {
  const checked = checkPublicEntry(id, entry);
  if (!checked.ok) throw new Error(`Refusing to publish ${id}: ${checked.reason}`);
  const copied = copyJson(checked.entry);
  if (!copied.ok) throw new Error(`Refusing to publish ${id}: ${copied.problem.path}: ${copied.problem.error}`);
  const next = copied.value as JsonObject;
  const map = publicMap(doc);
  const current = copyJson(map.get(id));
  if (current.ok && jsonEqual(current.value, next)) return false;
  doc.transact(() => map.set(id, next), origin);
  return true;
}

/** Removes an entry; false if there was none. */
export function removePublicEntry(doc: Y.Doc, id: string, origin?: unknown): boolean {
  const map = publicMap(doc);
  if (!map.has(id)) return false;
  doc.transact(() => map.delete(id), origin);
  return true;
}
