// The library document `library/<user_id>` (contract §4): doc.getMap('workflows') maps a workflow id
// to a Y.Map entry { workflow, is_public, created_at, updated_at, opened_at, thumbnail? }, the workflow
// stored as nested Y types (see yjson.ts) so edits to different parts of it merge. `thumbnail` is the
// version of the entry's thumbnail image (the image itself stays on the server, REST), written only by
// the server when an image is stored (the version) or removed (null): it is what lets every device
// build the current image URL live. Entries from before it was recorded have no such field.
// Two optional fields serve the version history (issue 12, docs/CONTRACT.md §4):
// - `last_save`: the marker of the latest Save { id, device, label, at } (a plain JSON value), written by
//   the app's Save / Save As and the REST API's create/update in the same transaction as the workflow,
//   so the server can tell a Save from other changes. A malformed one is ignored (undefined on read).
// - `share_versions`: boolean, default false: readers of the shared workflow may see its versions.
// The same document also holds the user's opens of workflows outside it: doc.getMap('opened'), see
// opened-doc.ts.
//
// Anyone with write access to the document (the owner's devices, administrators, a buggy or hostile
// client) can write anything into it, so reading never trusts it: every read converts, normalizes and
// validates, and an entry that fails comes back `valid: false` with the reason instead of throwing.
//
// Derived on read (so concurrent edits on several devices cannot leave them inconsistent):
// - the `shared` tag, from is_public (tags.ts);
// - duplicate node/edge ids, which two devices adding the same node (say, pasting the same workflow)
//   while offline produce after the merge: the first occurrence wins. The next write cleans them up.
// - the id inside the workflow JSON is the entry's key; writers always store it so, and a reader
//   reports a mismatch as invalid.
//
// Timestamps are ISO-8601 UTC strings (`new Date().toISOString()`). Unlike InvokeAI, whose SQLite
// trigger bumps updated_at on every row update, opening a workflow does not change updated_at.
import * as Y from 'yjs';
import { describeValue, isPlainObject, type JsonObject } from './json.js';
import { validateWorkflow, type Workflow } from './schema.js';
import { withSharedTag } from './tags.js';
import { applyJsonDiff, jsonToY, pruneDeepTypes, yToPlain } from './yjson.js';

export const LIBRARY_WORKFLOWS_KEY = 'workflows';

export interface LibraryEntry {
  /** The validated workflow when the entry is valid; otherwise whatever was stored, as plain values. */
  workflow: Workflow | unknown;
  is_public: boolean;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  /**
   * Version of the stored thumbnail image; null when there is none; undefined when the entry has
   * never recorded one (written before Flowshelf recorded thumbnails, or a malformed value: the
   * thumbnail is decoration, so a bad one is ignored rather than making the workflow invalid).
   */
  thumbnail?: string | null;
  /** The latest Save of the workflow; undefined when none was recorded or the stored one is malformed. */
  last_save?: LastSave;
  /** Readers of the shared workflow may see its versions (false when absent or not a boolean). */
  share_versions: boolean;
}

/** The marker a Save writes beside the workflow (HISTORY design: device "api" for the REST API). */
export interface LastSave {
  /** Random per Save; the key that makes a version per Save idempotent. */
  id: string;
  /** The saving device's id ("api" for the REST API). */
  device: string;
  /** The device's label for people ("Chrome on Linux"). */
  label: string;
  /** When it was saved, ISO-8601 UTC. */
  at: string;
}

/** Short tokens: a save id or device id is a key, never content. */
const SAVE_TOKEN = /^[A-Za-z0-9._:~-]{1,100}$/;
const MAX_DEVICE_LABEL = 200;

/** The marker if `value` is a well-formed one (plain or as a Y.Map), else undefined. */
export function parseLastSave(value: unknown): LastSave | undefined {
  const plain = value instanceof Y.AbstractType ? yToPlain(value) : value;
  if (!isPlainObject(plain)) return undefined;
  const { id, device, label, at } = plain;
  if (typeof id !== 'string' || !SAVE_TOKEN.test(id)) return undefined;
  if (typeof device !== 'string' || !SAVE_TOKEN.test(device)) return undefined;
  if (typeof label !== 'string' || label.length > MAX_DEVICE_LABEL) return undefined;
  if (!isIsoUtc(at)) return undefined;
  return { id, device, label, at };
}

export type LibraryEntryRead =
  | { entry: LibraryEntry; valid: true; workflow: Workflow }
  | { entry: LibraryEntry; valid: false; reason: string };

/** Thrown by writers given a workflow that does not validate; nothing is written. */
export class InvalidWorkflowError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'InvalidWorkflowError';
  }
}

export function workflowsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(LIBRARY_WORKFLOWS_KEY);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isIsoUtc(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

function nowIso(now: string | undefined): string {
  const at = now ?? new Date().toISOString();
  if (!isIsoUtc(at)) throw new RangeError(`Not an ISO-8601 UTC timestamp: ${at}`);
  return at;
}

/** Keeps the first item of each string id (see "Derived on read" above). */
function dropRepeatedIds(items: unknown): unknown {
  if (!Array.isArray(items)) return items;
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = isPlainObject(item) ? item['id'] : undefined;
    if (typeof id !== 'string') return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function normalizeRead(workflow: unknown, isPublic: boolean): unknown {
  if (!isPlainObject(workflow)) return workflow;
  const out: Record<string, unknown> = { ...workflow };
  if (typeof out['tags'] === 'string') out['tags'] = withSharedTag(out['tags'], isPublic);
  if ('nodes' in out) out['nodes'] = dropRepeatedIds(out['nodes']);
  if ('edges' in out) out['edges'] = dropRepeatedIds(out['edges']);
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Y.AbstractType) return 'a Yjs type';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * A found value for a reason: a string quoted and cut short (a reason must stay one short line whatever
 * a client stored), anything else named. Never JSON.stringify on stored data: it throws on a BigInt.
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined || value instanceof Y.AbstractType) return typeName(value);
  return describeValue(value);
}

/** A thumbnail version as stored by the server: a short token safe in a URL query. */
const THUMBNAIL_VERSION = /^[A-Za-z0-9._~-]{1,100}$/;

export function isThumbnailVersion(value: unknown): value is string {
  return typeof value === 'string' && THUMBNAIL_VERSION.test(value);
}

function readThumbnail(raw: Y.Map<unknown>): string | null | undefined {
  const value = raw.get('thumbnail');
  if (value === null) return null;
  return isThumbnailVersion(value) ? value : undefined;
}

/** Reasons are shown in lists and stored in the index: one line, whatever the entry holds. */
const MAX_REASON_LENGTH = 300;

/**
 * Reads one entry; never throws, whatever the document holds: a failure of the reader itself (which
 * would be a bug) makes the entry invalid with the error as its reason, so one entry can never stop
 * the reading of the others (the server's indexer, the app's list).
 */
function readEntryValue(id: string, raw: unknown): LibraryEntryRead {
  try {
    const read = readEntryUnguarded(id, raw);
    if (!read.valid && read.reason.length > MAX_REASON_LENGTH) read.reason = `${read.reason.slice(0, MAX_REASON_LENGTH)}…`;
    return read;
  } catch (error) {
    const entry: LibraryEntry = { workflow: null, is_public: false, created_at: '', updated_at: '', opened_at: null, share_versions: false };
    const message = error instanceof Error ? error.message : 'unknown error';
    return { entry, valid: false, reason: `entry: could not be read (${message.slice(0, 200)})` };
  }
}

function readEntryUnguarded(id: string, raw: unknown): LibraryEntryRead {
  if (!(raw instanceof Y.Map) || raw instanceof Y.XmlHook) {
    const entry: LibraryEntry = { workflow: yToPlain(raw), is_public: false, created_at: '', updated_at: '', opened_at: null, share_versions: false };
    return { entry, valid: false, reason: `entry: expected a map, found ${typeName(raw)}` };
  }
  const problems: string[] = [];
  const isPublic = raw.get('is_public');
  if (typeof isPublic !== 'boolean') problems.push(`is_public: expected a boolean, found ${typeName(isPublic)}`);
  const stamp = (key: 'created_at' | 'updated_at'): string => {
    const value = raw.get(key);
    if (isIsoUtc(value)) return value;
    problems.push(`${key}: expected an ISO-8601 UTC timestamp, found ${shown(value)}`);
    return typeof value === 'string' ? value : '';
  };
  const created_at = stamp('created_at');
  const updated_at = stamp('updated_at');
  const openedRaw = raw.get('opened_at');
  let opened_at: string | null = null;
  if (isIsoUtc(openedRaw)) opened_at = openedRaw;
  else if (openedRaw !== null && openedRaw !== undefined) {
    problems.push(`opened_at: expected an ISO-8601 UTC timestamp or null, found ${shown(openedRaw)}`);
  }

  const is_public = isPublic === true;
  const candidate = normalizeRead(yToPlain(raw.get('workflow')), is_public);
  const entry: LibraryEntry = { workflow: candidate, is_public, created_at, updated_at, opened_at, share_versions: raw.get('share_versions') === true };
  const thumbnail = readThumbnail(raw);
  if (thumbnail !== undefined) entry.thumbnail = thumbnail;
  const lastSave = parseLastSave(raw.get('last_save'));
  if (lastSave !== undefined) entry.last_save = lastSave;
  const checked = validateWorkflow(candidate);
  if (!checked.ok) return { entry, valid: false, reason: checked.error };
  if (checked.workflow.id !== id) {
    return { entry, valid: false, reason: `id: workflow id ${checked.workflow.id} does not match its library key ${id}` };
  }
  if (problems.length > 0) return { entry, valid: false, reason: problems[0]! };
  entry.workflow = checked.workflow;
  return { entry, valid: true, workflow: checked.workflow };
}

/** Reads one entry; null if there is none. Never throws on bad content (see header). */
export function readEntry(doc: Y.Doc, id: string): LibraryEntryRead | null {
  const map = workflowsMap(doc);
  if (!map.has(id)) return null;
  return readEntryValue(id, map.get(id));
}

/**
 * The key of the entry a type nested inside it belongs to, or null (not inside an entry). Walks up
 * iteratively: Yjs' event.path builds its path with Array.unshift, quadratic in the depth, which a
 * document stored deep before the update limits makes take seconds per event.
 */
export function entryKeyOf(doc: Y.Doc, type: Y.AbstractType<unknown>): string | null {
  const map = workflowsMap(doc);
  let at = type;
  for (;;) {
    const item = at._item;
    if (item === null) return null;
    if (item.parent === map) return typeof item.parentSub === 'string' ? item.parentSub : null;
    if (!(item.parent instanceof Y.AbstractType)) return null;
    at = item.parent as Y.AbstractType<unknown>;
  }
}

/** Entry ids, sorted (Y.Map iteration order can differ between replicas; sorted order cannot). */
export function listEntryIds(doc: Y.Doc): string[] {
  return Array.from(workflowsMap(doc).keys()).sort();
}

/** Every entry, in listEntryIds order. */
export function readAll(doc: Y.Doc): Array<[string, LibraryEntryRead]> {
  const map = workflowsMap(doc);
  return listEntryIds(doc).map((id) => [id, readEntryValue(id, map.get(id))]);
}

/** The JSON to store: validated, id set to the key, shared tag agreeing with is_public. */
function prepareForStore(id: string, workflow: Workflow, isPublic: boolean): JsonObject {
  const checked = validateWorkflow({ ...workflow, id });
  if (!checked.ok) throw new InvalidWorkflowError(checked.field, checked.error);
  const stored = checked.workflow as unknown as JsonObject;
  stored['tags'] = withSharedTag(checked.workflow.tags, isPublic);
  return stored;
}

function entryMap(doc: Y.Doc, id: string): Y.Map<unknown> | null {
  const raw: unknown = workflowsMap(doc).get(id);
  return raw instanceof Y.Map ? (raw as Y.Map<unknown>) : null;
}

/**
 * Adds a workflow under `id` (the workflow's own id is replaced by it). Throws InvalidWorkflowError
 * for an invalid workflow and Error if the id is taken; nothing is written then.
 */
export function createEntry(
  doc: Y.Doc,
  id: string,
  workflow: Workflow,
  opts: { isPublic: boolean; now?: string; lastSave?: LastSave },
  origin?: unknown,
): void {
  const stored = prepareForStore(id, workflow, opts.isPublic);
  const at = nowIso(opts.now);
  const lastSave = opts.lastSave === undefined ? undefined : checkedLastSave(opts.lastSave);
  const map = workflowsMap(doc);
  if (map.has(id)) throw new Error(`Workflow already exists: ${id}`);
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    entry.set('workflow', jsonToY(stored));
    entry.set('is_public', opts.isPublic);
    entry.set('created_at', at);
    entry.set('updated_at', at);
    entry.set('opened_at', null);
    if (lastSave !== undefined) entry.set('last_save', lastSave);
    map.set(id, entry);
  }, origin);
}

/**
 * Replaces the workflow of an entry by writing only what changed, keeps is_public (the shared tag
 * follows it, whatever tags the new workflow has) and bumps updated_at. False if there is no such entry.
 */
export function updateEntryWorkflow(
  doc: Y.Doc,
  id: string,
  workflow: Workflow,
  opts: { now?: string; lastSave?: LastSave } = {},
  origin?: unknown,
): boolean {
  const entry = entryMap(doc, id);
  if (!entry) return false;
  const stored = prepareForStore(id, workflow, entry.get('is_public') === true);
  const at = nowIso(opts.now);
  const lastSave = opts.lastSave === undefined ? undefined : checkedLastSave(opts.lastSave);
  // Whatever the new workflow does not keep is deleted: a legacy deep one is taken apart safely first.
  const previous = entry.get('workflow');
  if (previous instanceof Y.AbstractType) pruneDeepTypes(previous, origin);
  doc.transact(() => {
    const current = entry.get('workflow');
    if (current instanceof Y.Map) applyJsonDiff(current as Y.Map<unknown>, stored);
    else entry.set('workflow', jsonToY(stored));
    entry.set('updated_at', at);
    if (lastSave !== undefined) entry.set('last_save', lastSave);
  }, origin);
  return true;
}

/**
 * Sets is_public and makes the tags string agree (InvokeAI's PATCH /is_public), bumping updated_at.
 * False if there is no such entry.
 */
export function setEntryPublic(
  doc: Y.Doc,
  id: string,
  isPublic: boolean,
  opts: { now?: string } = {},
  origin?: unknown,
): boolean {
  const entry = entryMap(doc, id);
  if (!entry) return false;
  const at = nowIso(opts.now);
  doc.transact(() => {
    entry.set('is_public', isPublic);
    const workflow = entry.get('workflow');
    if (workflow instanceof Y.Map) {
      const tags: unknown = workflow.get('tags');
      if (typeof tags === 'string') {
        const next = withSharedTag(tags, isPublic);
        if (next !== tags) workflow.set('tags', next);
      }
    }
    entry.set('updated_at', at);
  }, origin);
  return true;
}

/** A copy of a marker about to be written (plain JSON); RangeError for a malformed one. */
function checkedLastSave(save: LastSave): LastSave {
  const parsed = parseLastSave(save);
  if (parsed === undefined) throw new RangeError('Not a well-formed last_save marker');
  return parsed;
}

/** Records a Save of the entry (the marker only; see updateEntryWorkflow's lastSave). False if there is no such entry. */
export function setEntryLastSave(doc: Y.Doc, id: string, save: LastSave, origin?: unknown): boolean {
  const marker = checkedLastSave(save);
  const entry = entryMap(doc, id);
  if (!entry) return false;
  doc.transact(() => entry.set('last_save', marker), origin);
  return true;
}

/** Turns sharing of the workflow's versions with its readers on or off (not an edit: updated_at stays). False if there is no such entry. */
export function setEntryShareVersions(doc: Y.Doc, id: string, share: boolean, origin?: unknown): boolean {
  const entry = entryMap(doc, id);
  if (!entry) return false;
  if (entry.get('share_versions') === share) return true;
  doc.transact(() => entry.set('share_versions', share), origin);
  return true;
}

/** Records when the workflow was last opened. False if there is no such entry. */
export function setEntryOpenedAt(doc: Y.Doc, id: string, at: string, origin?: unknown): boolean {
  const entry = entryMap(doc, id);
  if (!entry) return false;
  const stamp = nowIso(at);
  doc.transact(() => entry.set('opened_at', stamp), origin);
  return true;
}

/**
 * Records the version of the entry's thumbnail (null: removed). Not an edit of the workflow, so
 * updated_at stays. False if there is no such entry. Throws RangeError for a malformed version.
 */
export function setEntryThumbnail(doc: Y.Doc, id: string, version: string | null, origin?: unknown): boolean {
  if (version !== null && !isThumbnailVersion(version)) throw new RangeError(`Not a thumbnail version: ${version}`);
  const entry = entryMap(doc, id);
  if (!entry) return false;
  if (entry.get('thumbnail') === version) return true;
  doc.transact(() => entry.set('thumbnail', version), origin);
  return true;
}

/**
 * Removes an entry (whatever it holds). False if there is none. An entry nested deeper than Yjs can
 * delete in one go (stored before the update limits) is taken apart first (pruneDeepTypes).
 */
export function deleteEntry(doc: Y.Doc, id: string, origin?: unknown): boolean {
  const map = workflowsMap(doc);
  if (!map.has(id)) return false;
  const value: unknown = map.get(id);
  if (value instanceof Y.AbstractType) pruneDeepTypes(value, origin);
  doc.transact(() => map.delete(id), origin);
  return true;
}
