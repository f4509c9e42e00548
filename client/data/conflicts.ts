// Conflicts made visible (issue 12 item 3, HISTORY design "Conflicts"). Two devices that change the
// same field while apart end, after the merge, with one value: Yjs keeps one per field. The device
// whose value lost must say so. This device remembers, per workflow, the values its Saves set
// (localStorage, beside the library's IndexedDB copy, so a reload keeps them); when a change from the
// server (another device) replaces a field whose stored value was still this device's saved one, a
// notice is kept for that workflow: "Steps was changed to 22 on another device; your 11 is in History"
// (the saved value reached History through the Save's upload, saves.ts). "Bring back" writes this
// device's value again as a new change (the editor does it through its draft, so it is undoable);
// "Dismiss" forgets the notice. Notices are kept in localStorage too, until dismissed.
//
// The fields compared are what a person edits and recognises: the workflow's details (name, author,
// description, version, contact, tags, notes) and each node's input values, by node id and field name.
import { fieldTitle, templateFor } from '../../shared/node-templates/index.js';
import { isPlainObject, jsonEqual, type JsonObject, type JsonValue } from '../../shared/workflow/json.js';
import { readEntry } from '../../shared/workflow/library-doc.js';
import { libraryEntryVersions } from './entry-versions.js';
import type { SyncedDoc } from './synced-doc.js';

const DETAIL_FIELDS = ['name', 'author', 'description', 'version', 'contact', 'tags', 'notes'] as const;

/** One field a person edits: where it is (key), what it is called, its value. */
export interface FieldValue {
  label: string;
  value: JsonValue;
  /** the node it belongs to, for a node's input */
  nodeId?: string;
  /** the detail's or the input's name */
  field: string;
}

export interface ConflictNotice {
  workflowId: string;
  /** the field's key (fieldKey) */
  key: string;
  label: string;
  nodeId?: string;
  field: string;
  /** this device's saved value */
  mine: JsonValue;
  /** the value another device's change put there */
  theirs: JsonValue;
  at: string;
}

export function fieldKey(nodeId: string | undefined, field: string): string {
  return nodeId === undefined ? field : `node/${nodeId}/${field}`;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The fields of a workflow (see the header), keyed by fieldKey. */
export function workflowFields(workflow: unknown): Map<string, FieldValue> {
  const out = new Map<string, FieldValue>();
  if (!isPlainObject(workflow)) return out;
  for (const f of DETAIL_FIELDS) {
    const v = workflow[f];
    if (typeof v === 'string') out.set(f, { label: capitalize(f), value: v, field: f });
  }
  const nodes = Array.isArray(workflow['nodes']) ? workflow['nodes'] : [];
  for (const node of nodes) {
    if (!isPlainObject(node) || typeof node['id'] !== 'string' || !isPlainObject(node['data'])) continue;
    const data = node['data'];
    const inputs = isPlainObject(data['inputs']) ? data['inputs'] : {};
    const template = typeof data['type'] === 'string' ? templateFor(data['type']) : undefined;
    for (const [name, input] of Object.entries(inputs)) {
      if (!isPlainObject(input) || !('value' in input)) continue;
      const t = template?.inputs.find((i) => i.name === name);
      out.set(fieldKey(node['id'], name), {
        label: capitalize(fieldTitle(name, t, input as { label?: unknown })),
        value: input['value'] as JsonValue,
        nodeId: node['id'],
        field: name,
      });
    }
  }
  return out;
}

/** A value for a sentence: numbers and short strings as they are, anything longer cut. */
export function shownValue(v: JsonValue): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s === '' ? '(empty)' : s;
}

export function noticeText(n: ConflictNotice): string {
  return `${n.label} was changed to ${shownValue(n.theirs)} on another device; your ${shownValue(n.mine)} is in History`;
}

type Saved = Record<string, Record<string, JsonValue>>;

/** Fires 'change' when notices come or go. */
export class ConflictWatcher extends EventTarget {
  /** per workflow: the field values of this device's last Save */
  private saved: Saved;
  /** per workflow: the stored values as last seen, and the entry version they were read at */
  private seen = new Map<string, { version: number; values: Map<string, FieldValue> }>();
  private noticeList: ConflictNotice[];
  private readonly savedKey: string;
  private readonly noticesKey: string;

  constructor(private readonly synced: SyncedDoc) {
    super();
    this.savedKey = `${synced.dbName}#saved`;
    this.noticesKey = `${synced.dbName}#conflicts`;
    this.saved = readJson<Saved>(this.savedKey) ?? {};
    this.noticeList = readJson<ConflictNotice[]>(this.noticesKey) ?? [];
    // The entry versions must observe before the first transaction this watcher checks.
    libraryEntryVersions(synced.doc);
    synced.doc.on('afterTransaction', this.onTransaction);
  }

  destroy(): void {
    this.synced.doc.off('afterTransaction', this.onTransaction);
  }

  /**
   * After a Save on this device: the fields it changed (from `before`, the stored workflow just before
   * the Save) hold this device's values from now on; fields it left alone are not "set" here.
   */
  rememberSave(workflowId: string, workflow: unknown, before: unknown): void {
    const values = workflowFields(workflow);
    const previous = workflowFields(before);
    // Another tab of this device may have saved other workflows meanwhile: start from what is stored.
    this.saved = readJson<Saved>(this.savedKey) ?? this.saved;
    const mine = { ...(this.saved[workflowId] ?? {}) };
    for (const [key, f] of values) {
      const old = previous.get(key);
      if (!old || !jsonEqual(old.value, f.value)) mine[key] = f.value;
    }
    // A field that is gone (its node removed) can no longer be replaced.
    for (const key of Object.keys(mine)) if (!values.has(key)) delete mine[key];
    this.saved[workflowId] = mine;
    this.seen.set(workflowId, { version: libraryEntryVersions(this.synced.doc).version(workflowId), values });
    writeJson(this.savedKey, this.saved);
  }

  notices(workflowId?: string): ConflictNotice[] {
    return workflowId === undefined ? [...this.noticeList] : this.noticeList.filter((n) => n.workflowId === workflowId);
  }

  dismiss(workflowId: string, key: string): void {
    this.noticeList = readJson<ConflictNotice[]>(this.noticesKey) ?? this.noticeList;
    const before = this.noticeList.length;
    this.noticeList = this.noticeList.filter((n) => !(n.workflowId === workflowId && n.key === key));
    if (this.noticeList.length !== before) this.changed();
  }

  private changed(): void {
    writeJson(this.noticesKey, this.noticeList);
    this.dispatchEvent(new Event('change'));
  }

  private onTransaction = (tr: { origin: unknown }): void => {
    try {
      this.check(this.synced.isRemote(tr.origin));
    } catch (err) {
      // An observer must never throw into Yjs' transaction cleanup.
      console.error(err);
    }
  };

  private check(remote: boolean): void {
    const versions = libraryEntryVersions(this.synced.doc);
    let added = false;
    for (const [workflowId, mine] of Object.entries(this.saved)) {
      const version = versions.version(workflowId);
      const last = this.seen.get(workflowId);
      if (last && last.version === version) continue;
      const read = readEntry(this.synced.doc, workflowId);
      const values = workflowFields(read?.entry.workflow);
      this.seen.set(workflowId, { version, values });
      if (!remote || !last || !read) continue;
      for (const [key, value] of Object.entries(mine)) {
        const before = last.values.get(key);
        const now = values.get(key);
        // Replaced: it was still this device's saved value, and another one is there now.
        if (!before || !now || !jsonEqual(before.value, value) || jsonEqual(now.value, value)) continue;
        // Another tab of this device may have recorded or dismissed notices meanwhile.
        if (!added) this.noticeList = readJson<ConflictNotice[]>(this.noticesKey) ?? this.noticeList;
        this.noticeList = this.noticeList.filter((n) => !(n.workflowId === workflowId && n.key === key));
        this.noticeList.push({
          workflowId,
          key,
          label: now.label,
          ...(now.nodeId !== undefined ? { nodeId: now.nodeId } : {}),
          field: now.field,
          mine: value,
          theirs: now.value,
          at: new Date().toISOString(),
        });
        added = true;
      }
    }
    if (added) this.changed();
  }
}

/** The workflow with one field set to `value` (a detail, or a node's input value). */
export function withFieldValue<W extends object>(workflow: W, n: Pick<ConflictNotice, 'nodeId' | 'field'>, value: JsonValue): W {
  const wf = workflow as unknown as JsonObject;
  if (n.nodeId === undefined) return { ...wf, [n.field]: value } as unknown as W;
  const nodes = Array.isArray(wf['nodes']) ? (wf['nodes'] as JsonObject[]) : [];
  return {
    ...wf,
    nodes: nodes.map((node) => {
      if (node['id'] !== n.nodeId || !isPlainObject(node['data'])) return node;
      const data = node['data'] as JsonObject;
      const inputs = isPlainObject(data['inputs']) ? (data['inputs'] as JsonObject) : {};
      const input = isPlainObject(inputs[n.field]) ? (inputs[n.field] as JsonObject) : { name: n.field };
      return { ...node, data: { ...data, inputs: { ...inputs, [n.field]: { ...input, value } } } };
    }),
  } as unknown as W;
}

function readJson<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

function writeJson(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full: the notices stay for this session; the versions are on the server anyway.
  }
}
