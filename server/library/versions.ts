// Version history and trash (issue 12, HISTORY design). A sync extension follows every loaded library
// document and, for what THIS node commits (multi-node: the committing node makes the version; keys
// make creation idempotent), keeps:
// - a "save" version per Save: the entry's `last_save` marker changed (the app's Save, the REST API's
//   create/update); the device's upload of the same Save (POST .../versions) later replaces its content
//   with what that device saved, which a merge may have overwritten in the document;
// - an "auto" version for changes without a Save, at most one per workflow per interval: the first such
//   change schedules it, keyed by the interval's start, and it is taken from the state when it falls due
//   (or when the document unloads). A Save in between makes it unnecessary;
// - a deleted workflow goes to the trash (the whole entry as it was) with a "delete" version; restoring
//   it writes it back under the same id, its versions kept; it is purged after the trash time.
// The document holds no earlier state of a deleted entry, so each loaded library document keeps the
// plain JSON of its entries (about the document's size again, per loaded library).
// Time comes from a clock (tests advance it); retention, due auto versions and purges run on a timer
// and on demand (runDue).
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { libraryDocument, parseDocumentName } from '../../shared/protocol.js';
import {
  createEntry,
  isPlainObject,
  readEntry,
  setEntryShareVersions,
  updateEntryWorkflow,
  validateWorkflow,
  workflowsMap,
  entryKeyOf,
  listEntryIds,
  type LastSave,
  type Workflow,
} from '../../shared/workflow/index.js';
import type { WorkflowRecordDTO } from '../../shared/api-types.js';
import type { WorkflowIndexStore } from '../storage/index-store.js';
import { QuotaExceededError } from '../storage/storage-errors.js';
import type { TrashEntry, TrashItem, Version, VersionKind, VersionMeta, VersionStore, VersionSummary } from '../storage/version-store.js';
import type { Extension } from '../sync/extension.js';
import { originOf } from '../sync/origins.js';
import type { DocumentWriter } from './library-service.js';

export const VERSIONS_EXTENSION = 'versions';

/** Server-written Save markers remembered until their commit (see serverMarker). */
const MAX_REMEMBERED_SERVER_SAVES = 10_000;
/** Versions of one workflow looked at when a new one is written (older ones wait for the timer). */
const MAX_THINNED_PER_WRITE = 1000;
/** Ownership answers remembered (ownsId); the oldest go first. */
const MAX_REMEMBERED_OWNERS = 100_000;

// ---- configuration: retention ------------------------------------------------------------------

export interface RetentionRule {
  /** 'all': keep every version younger than `forMs`; 'daily': keep one a day (the newest) younger than `forMs`. */
  keep: 'all' | 'daily';
  forMs: number;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

export const DEFAULT_RETENTION = 'all:30d,daily:365d';

/**
 * `all:30d,daily:365d`: keep all from the last 30 days, then one a day up to 365 days, then none.
 * Throws RangeError naming the problem. Windows must grow from rule to rule.
 */
export function parseRetention(text: string): RetentionRule[] {
  const rules: RetentionRule[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(all|daily):(\d{1,6})([mhdw])$/.exec(part);
    if (!match) throw new RangeError(`"${part}" is not <all|daily>:<number><m|h|d|w> (e.g. all:30d,daily:365d)`);
    const forMs = Number(match[2]) * UNIT_MS[match[3]!]!;
    if (forMs <= 0) throw new RangeError(`"${part}": the time must be more than 0`);
    if (rules.length > 0 && forMs <= rules[rules.length - 1]!.forMs) throw new RangeError(`"${part}": each rule must reach further back than the one before`);
    rules.push({ keep: match[1] as RetentionRule['keep'], forMs });
  }
  return rules;
}

/**
 * Which of a workflow's versions the policy drops (ids). Each workflow's newest version is always
 * kept (it is what the next version's summary is relative to, and the last trace of a quiet workflow).
 */
export function versionsToDrop(
  rows: Array<{ version_id: string; workflow_id: string; owner_id: string; created_at: string; newest: boolean }>,
  rules: RetentionRule[],
  nowMs: number,
): string[] {
  const drop: string[] = [];
  // Rows come oldest first; walking newest first keeps the newest of each day.
  const keptDays = new Set<string>();
  for (const row of [...rows].reverse()) {
    if (row.newest) continue;
    const age = nowMs - Date.parse(row.created_at);
    const rule = rules.find((r) => age < r.forMs);
    if (rule === undefined) {
      drop.push(row.version_id);
    } else if (rule.keep === 'daily') {
      const day = `${row.owner_id}\u0000${row.workflow_id}\u0000${row.created_at.slice(0, 10)}`;
      if (keptDays.has(day)) drop.push(row.version_id);
      else keptDays.add(day);
    }
  }
  return drop;
}

// ---- summaries ---------------------------------------------------------------------------------

const TOP_LEVEL_FIELDS = ['name', 'author', 'description', 'version', 'contact', 'tags', 'notes', 'exposedFields', 'form', 'meta'] as const;

function byId(items: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(items)) for (const item of items) if (isPlainObject(item) && typeof item['id'] === 'string') out.set(item['id'], item);
  return out;
}

function inputsOf(node: unknown): Record<string, unknown> {
  const data = isPlainObject(node) ? node['data'] : undefined;
  const inputs = isPlainObject(data) ? data['inputs'] : undefined;
  return isPlainObject(inputs) ? inputs : {};
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What changed from `previous` to `next` (HISTORY: nodes and edges added/removed, fields changed, one line). */
export function summarize(previous: unknown, next: unknown): VersionSummary {
  if (!isPlainObject(previous) || !isPlainObject(next)) {
    return { nodes_added: 0, nodes_removed: 0, edges_added: 0, edges_removed: 0, fields_changed: 0, text: 'first version' };
  }
  const [nodesBefore, nodesAfter] = [byId(previous['nodes']), byId(next['nodes'])];
  const [edgesBefore, edgesAfter] = [byId(previous['edges']), byId(next['edges'])];
  const count = (a: Map<string, unknown>, b: Map<string, unknown>) => [...b.keys()].filter((k) => !a.has(k)).length;
  const changed: string[] = [];
  for (const [id, after] of nodesAfter) {
    const before = nodesBefore.get(id);
    if (before === undefined) continue;
    const [inBefore, inAfter] = [inputsOf(before), inputsOf(after)];
    let inputChanged = false;
    for (const name of new Set([...Object.keys(inBefore), ...Object.keys(inAfter)])) {
      if (!same(inBefore[name], inAfter[name])) {
        changed.push(name);
        inputChanged = true;
      }
    }
    // A move or a label: the node changed, though none of its fields did.
    if (!inputChanged && !same(before, after)) changed.push('node');
  }
  for (const field of TOP_LEVEL_FIELDS) if (!same(previous[field], next[field])) changed.push(field);
  const summary = {
    nodes_added: count(nodesBefore, nodesAfter),
    nodes_removed: count(nodesAfter, nodesBefore),
    edges_added: count(edgesBefore, edgesAfter),
    edges_removed: count(edgesAfter, edgesBefore),
    fields_changed: changed.length,
  };
  const parts: string[] = [];
  if (summary.nodes_added) parts.push(`${plural(summary.nodes_added, 'node')} added`);
  if (summary.nodes_removed) parts.push(`${plural(summary.nodes_removed, 'node')} removed`);
  if (summary.edges_added) parts.push(`${plural(summary.edges_added, 'edge')} added`);
  if (summary.edges_removed) parts.push(`${plural(summary.edges_removed, 'edge')} removed`);
  const names = [...new Set(changed)];
  if (names.length > 0) parts.push(names.length <= 3 ? `${names.join(', ')} changed` : `${plural(changed.length, 'field')} changed`);
  return { ...summary, text: parts.length > 0 ? parts.join(', ') : 'no changes' };
}

// ---- the service ---------------------------------------------------------------------------------

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** What versions need of the storage quota (UserQuota): refuse a version over it, track changes. */
export interface VersionQuota {
  /** Rejects with QuotaExceededError when `bytes` more of versions would take the owner past the quota. */
  assertVersionFits(userId: string, bytes: number): Promise<void>;
  versionsChanged(userId: string): Promise<void>;
}

export interface VersioningOptions {
  versions: VersionStore;
  docs: DocumentWriter;
  /** Who owns an id (workflow_owners): versions and trash only for the owner's own entry. */
  index: Pick<WorkflowIndexStore, 'owner'>;
  /** A user's name for the version list (null: unknown). */
  userName(userId: string): Promise<string | null>;
  intervalMs: number;
  retention: RetentionRule[];
  trashMs: number;
  quota?: VersionQuota;
  clock?: Clock;
  /** How often retention, due auto versions and trash purges run (0: only through runDue). Default 60 s. */
  maintenanceMs?: number;
  log?: (message: string) => void;
}

/** The JSON of an entry as kept for the trash (and given back on restore). */
interface EntrySnapshot {
  workflow: string;
  name: string;
  valid: boolean;
  saveId: string | null;
  meta: { is_public: boolean; created_at: string; share_versions: boolean };
}

interface PendingAuto {
  ownerId: string;
  workflowId: string;
  key: string;
  dueAt: number;
  userId: string | null;
}

/** Who wrote a Save through the server (REST, a restore): its marker id → the kind and the user. */
interface ServerSave {
  kind: VersionKind;
  userId: string | null;
}

export class VersionError extends Error {
  override name = 'VersionError';
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export class Versioning {
  readonly extension: Extension;
  private readonly opts: VersioningOptions;
  private readonly clock: Clock;
  private readonly log: (message: string) => void;
  /** Per loaded library document: each entry's last known state. */
  private readonly entries = new Map<string, Map<string, EntrySnapshot>>();
  /** Per loaded library document: ids changed by this node's transactions since the last commit hook, with who changed them. */
  private readonly changed = new Map<string, Map<string, string | null>>();
  private readonly observers = new Map<string, { doc: Y.Doc; stop: () => void }>();
  private readonly pendingAutos = new Map<string, PendingAuto>();
  private readonly serverSaves = new Map<string, ServerSave>();
  /** Workflows the server is deleting through the API, with who asked (see expectDelete). */
  private readonly serverDeletes = new Map<string, string>();
  /** Whether a library owns an id (see ownsId), per `${userId}\0${workflowId}`. */
  private readonly owned = new Map<string, boolean>();
  private readonly timer: ReturnType<typeof setInterval> | null;
  private running: Promise<void> | null = null;

  constructor(opts: VersioningOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.log = opts.log ?? ((message) => console.warn(`[versions] ${message}`));
    this.extension = {
      name: VERSIONS_EXTENSION,
      onLoaded: ({ name, doc }) => this.onLoaded(name, doc),
      onCommitted: ({ name, doc }) => this.onCommitted(name, doc),
      onUnloading: ({ name }) => this.onUnloading(name),
    };
    const every = opts.maintenanceMs ?? 60_000;
    this.timer = every > 0 ? setInterval(() => void this.runDue().catch((e: unknown) => this.log(`maintenance failed: ${String(e)}`)), every) : null;
    this.timer?.unref();
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // ---- following documents -----------------------------------------------------------------------

  private onLoaded(name: string, doc: Y.Doc): void {
    if (parseDocumentName(name)?.kind !== 'library') return;
    const snapshots = new Map<string, EntrySnapshot>();
    for (const id of listEntryIds(doc)) {
      const snapshot = this.snapshot(doc, id);
      if (snapshot) snapshots.set(id, snapshot);
    }
    this.entries.set(name, snapshots);
    this.changed.set(name, new Map());
    const map = workflowsMap(doc);
    const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction) => {
      const origin = originOf(transaction.origin);
      const ids = new Set<string>();
      for (const event of events) {
        if (event.target === map) for (const key of event.changes.keys.keys()) ids.add(key);
        else {
          const key = entryKeyOf(doc, event.target);
          if (key !== null) ids.add(key);
        }
      }
      if (origin.kind === 'remote') {
        // Another node committed it and keeps its versions; here the known state follows.
        for (const id of ids) this.remember(name, doc, id);
        return;
      }
      const userId = origin.kind === 'client' ? origin.connection.principal.userId : null;
      const pending = this.changed.get(name);
      for (const id of ids) pending?.set(id, userId ?? pending.get(id) ?? null);
    };
    map.observeDeep(observer);
    this.observers.set(name, { doc, stop: () => map.unobserveDeep(observer) });
  }

  private remember(name: string, doc: Y.Doc, id: string): void {
    const snapshots = this.entries.get(name);
    if (!snapshots) return;
    const snapshot = this.snapshot(doc, id);
    if (snapshot) snapshots.set(id, snapshot);
    else snapshots.delete(id);
  }

  private snapshot(doc: Y.Doc, id: string): EntrySnapshot | null {
    const read = readEntry(doc, id);
    if (read === null) return null;
    // A client may put into its own entry what JSON cannot carry (a BigInt): such an entry is invalid
    // and gets no versions, like any invalid entry; it must not cost the library's other workflows
    // theirs (a throw here stopped the whole document's versioning, at load and at each commit).
    let workflow: string;
    try {
      workflow = JSON.stringify(read.entry.workflow ?? null);
    } catch {
      return { workflow: '', name: '', valid: false, saveId: null, meta: { is_public: false, created_at: '', share_versions: false } };
    }
    const name = read.valid ? read.workflow.name : '';
    return {
      workflow,
      name,
      valid: read.valid,
      saveId: read.entry.last_save?.id ?? null,
      meta: { is_public: read.entry.is_public, created_at: read.entry.created_at, share_versions: read.entry.share_versions },
    };
  }

  private async onCommitted(name: string, doc: Y.Doc): Promise<void> {
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return;
    const pending = this.changed.get(name);
    const snapshots = this.entries.get(name);
    if (!pending || !snapshots || pending.size === 0) return;
    const ids = [...pending];
    pending.clear();
    const ownerId = parsed.userId;
    for (const [id, userId] of ids) {
      const before = snapshots.get(id) ?? null;
      const after = this.snapshot(doc, id);
      if (after) snapshots.set(id, after);
      else snapshots.delete(id);
      try {
        if (!(await this.ownsId(ownerId, id))) continue;
        if (after === null) {
          const deleter = userId ?? this.serverDeletes.get(id) ?? null;
          this.serverDeletes.delete(id);
          if (before !== null && before.valid) await this.trash(ownerId, id, before, deleter);
          continue;
        }
        if (!after.valid) continue;
        const read = readEntry(doc, id);
        const marker = read?.entry.last_save;
        if (marker !== undefined && marker.id !== before?.saveId) {
          await this.saveVersion(ownerId, id, after.workflow, marker, userId);
          continue;
        }
        if (before === null || before.workflow !== after.workflow) this.scheduleAuto(ownerId, id, userId);
      } catch (error) {
        // A version is kept beside the change; the change itself is committed already and stays.
        this.log(`version of workflow ${id} of user ${ownerId} not kept: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private async onUnloading(name: string): Promise<void> {
    if (!this.entries.has(name)) return;
    // Due or not, a pending auto version takes the state it has now: the document is going.
    const parsed = parseDocumentName(name);
    const observer = this.observers.get(name);
    if (parsed?.kind === 'library' && observer) {
      for (const [key, auto] of [...this.pendingAutos]) {
        if (auto.ownerId !== parsed.userId) continue;
        this.pendingAutos.delete(key);
        await this.takeAuto(auto, observer.doc).catch((e: unknown) => this.log(`auto version of ${auto.workflowId} not kept: ${String(e)}`));
      }
    }
    observer?.stop();
    this.observers.delete(name);
    this.entries.delete(name);
    this.changed.delete(name);
  }

  private async ownsId(userId: string, workflowId: string): Promise<boolean> {
    // An id's owner never changes once recorded (workflow_owners), so a known answer is kept.
    const key = `${userId}\u0000${workflowId}`;
    const known = this.owned.get(key);
    if (known !== undefined) return known;
    const owner = await this.opts.index.owner(workflowId);
    // Not claimed yet: a new id, which this library is about to claim (asked again next time).
    if (owner === null) return true;
    const owns = owner.category === 'user' && owner.userId === userId;
    if (this.owned.size >= MAX_REMEMBERED_OWNERS) this.owned.delete(this.owned.keys().next().value!);
    this.owned.set(key, owns);
    return owns;
  }

  // ---- making versions ---------------------------------------------------------------------------

  private async addVersion(
    ownerId: string,
    workflowId: string,
    key: string,
    kind: VersionKind,
    workflow: string,
    who: { userId: string | null; device: string | null; label: string | null },
    overQuota: 'log' | 'throw' = 'log',
  ): Promise<VersionMeta | null> {
    const existing = await this.opts.versions.getByKey(ownerId, workflowId, key);
    if (existing) return existing;
    const latest = await this.opts.versions.latest(ownerId, workflowId);
    const bytes = Buffer.byteLength(workflow);
    try {
      await this.opts.quota?.assertVersionFits(ownerId, bytes);
    } catch (error) {
      if (error instanceof QuotaExceededError && overQuota === 'log') {
        this.log(`version of workflow ${workflowId} of user ${ownerId} not kept: over the storage quota (${error.usedBytes} of ${error.limitBytes} bytes)`);
        return null;
      }
      throw error;
    }
    const { version, created } = await this.opts.versions.add({
      version_id: randomUUID(),
      workflow_id: workflowId,
      owner_id: ownerId,
      key,
      kind,
      created_at: this.nowIso(),
      user_id: who.userId,
      user_name: who.userId === null ? null : await this.opts.userName(who.userId),
      device: who.device,
      device_label: who.label,
      summary: summarize(latest === null ? null : JSON.parse(latest.workflow), JSON.parse(workflow)),
      workflow,
    });
    if (created) {
      // Retention applies on write too, for this workflow (the timer covers workflows nobody changes).
      await this.thinWorkflow(ownerId, workflowId);
      await this.opts.quota?.versionsChanged(ownerId);
    }
    return version;
  }

  private async thinWorkflow(ownerId: string, workflowId: string): Promise<void> {
    const { items } = await this.opts.versions.list(ownerId, workflowId, { offset: 0, limit: MAX_THINNED_PER_WRITE });
    const rows = items.map((v, i) => ({ version_id: v.version_id, workflow_id: v.workflow_id, owner_id: v.owner_id, created_at: v.created_at, newest: i === 0 }));
    const drop = versionsToDrop(rows.reverse(), this.opts.retention, this.clock.now());
    if (drop.length > 0) await this.opts.versions.remove(drop);
  }

  private async saveVersion(ownerId: string, workflowId: string, workflow: string, marker: LastSave, userId: string | null): Promise<void> {
    // A Save covers every change before it: an auto version waiting for its interval is not needed.
    this.pendingAutos.delete(`${ownerId}\u0000${workflowId}`);
    const server = this.serverSaves.get(marker.id);
    this.serverSaves.delete(marker.id);
    await this.addVersion(ownerId, workflowId, `save:${marker.id}`, server?.kind ?? 'save', workflow, {
      userId: server?.userId ?? userId ?? ownerId,
      device: marker.device,
      label: marker.label,
    });
  }

  private scheduleAuto(ownerId: string, workflowId: string, userId: string | null): void {
    const key = `${ownerId}\u0000${workflowId}`;
    const existing = this.pendingAutos.get(key);
    if (existing) {
      if (userId !== null) existing.userId = userId;
      return;
    }
    const now = this.clock.now();
    const interval = this.opts.intervalMs;
    // Keyed by the interval's start, so another node (or a retry) making it for the same changes makes it once.
    const start = Math.floor(now / interval) * interval;
    this.pendingAutos.set(key, { ownerId, workflowId, key: `auto:${new Date(start).toISOString()}`, dueAt: now + interval, userId: userId ?? ownerId });
  }

  private async takeAuto(auto: PendingAuto, doc?: Y.Doc): Promise<void> {
    const read = doc
      ? readEntry(doc, auto.workflowId)
      : await this.opts.docs.withDocument(libraryDocument(auto.ownerId), (d) => readEntry(d, auto.workflowId));
    if (!read?.valid) return;
    await this.addVersion(auto.ownerId, auto.workflowId, auto.key, 'auto', JSON.stringify(read.workflow), { userId: auto.userId, device: null, label: null });
  }

  private async trash(ownerId: string, workflowId: string, before: EntrySnapshot, userId: string | null): Promise<void> {
    this.pendingAutos.delete(`${ownerId}\u0000${workflowId}`);
    const now = this.clock.now();
    const deletedAt = new Date(now).toISOString();
    await this.addVersion(ownerId, workflowId, `delete:${deletedAt}`, 'delete', before.workflow, { userId: userId ?? ownerId, device: null, label: null });
    await this.opts.versions.putTrash({
      workflow_id: workflowId,
      owner_id: ownerId,
      name: before.name,
      deleted_at: deletedAt,
      deleted_by: userId ?? ownerId,
      purge_at: new Date(now + this.opts.trashMs).toISOString(),
      entry: JSON.stringify({ workflow: JSON.parse(before.workflow), ...before.meta }),
    });
  }

  /**
   * Takes the auto versions that are due, applies retention and purges the trash entries whose time
   * is up. One run at a time; the timer and tests call it.
   */
  runDue(): Promise<void> {
    this.running ??= this.maintain().finally(() => (this.running = null));
    return this.running;
  }

  private async maintain(): Promise<void> {
    const now = this.clock.now();
    for (const [key, auto] of [...this.pendingAutos]) {
      if (auto.dueAt > now) continue;
      this.pendingAutos.delete(key);
      const loaded = this.observers.get(libraryDocument(auto.ownerId));
      await this.takeAuto(auto, loaded?.doc).catch((e: unknown) => this.log(`auto version of ${auto.workflowId} not kept: ${String(e)}`));
    }
    const newestWindow = this.opts.retention[0]?.keep === 'all' ? this.opts.retention[0].forMs : 0;
    const candidates = await this.opts.versions.olderThan(new Date(now - newestWindow).toISOString());
    const drop = versionsToDrop(candidates, this.opts.retention, now);
    if (drop.length > 0) {
      await this.opts.versions.remove(drop);
      const owners = new Set(candidates.filter((c) => drop.includes(c.version_id)).map((c) => c.owner_id));
      for (const owner of owners) await this.opts.quota?.versionsChanged(owner);
    }
    const purged = await this.opts.versions.purgeDue(new Date(now).toISOString());
    for (const owner of new Set(purged.map((p) => p.owner_id))) await this.opts.quota?.versionsChanged(owner);
  }

  // ---- what the REST routes call (access is checked by the routes) -------------------------------

  /** The user whose library owns the id, or null (unknown id, or a default workflow: no versions). */
  async ownerOf(workflowId: string): Promise<string | null> {
    const owner = await this.opts.index.owner(workflowId);
    return owner !== null && owner.category === 'user' ? owner.userId : null;
  }

  /** Whether the owner shares the workflow's versions with its readers (the entry's share_versions). */
  async sharesVersions(ownerId: string, workflowId: string): Promise<boolean> {
    return this.opts.docs.withDocument(libraryDocument(ownerId), (doc) => readEntry(doc, workflowId)?.entry.share_versions === true);
  }

  async list(ownerId: string, workflowId: string, page: number, perPage: number) {
    const { total, items } = await this.opts.versions.list(ownerId, workflowId, { offset: page * perPage, limit: perPage });
    return { page, pages: perPage === 0 ? 1 : Math.ceil(total / perPage), per_page: perPage, total, items: items.map(versionDto) };
  }

  async get(ownerId: string, workflowId: string, versionId: string) {
    const version = await this.opts.versions.get(ownerId, workflowId, versionId);
    if (!version) throw new VersionError(404, 'Version not found');
    return { ...versionDto(version), workflow: JSON.parse(version.workflow) as unknown };
  }

  /**
   * A device's Save (HISTORY: uploaded when online). Creates its version (true) or, when the document's
   * marker made it already, replaces its content with what the device saved (false).
   */
  async upload(
    ownerId: string,
    workflowId: string,
    userId: string,
    body: { save_id: string; workflow: Workflow; device: string; label: string; saved_at: string },
  ): Promise<{ created: boolean; version: ReturnType<typeof versionDto> }> {
    const key = `save:${body.save_id}`;
    const workflow = JSON.stringify(body.workflow);
    const existing = await this.opts.versions.getByKey(ownerId, workflowId, key);
    if (existing) {
      if (existing.workflow !== workflow) {
        const older = (await this.opts.versions.list(ownerId, workflowId, { offset: 0, limit: 1000 })).items;
        const at = older.findIndex((v) => v.key === key);
        const previous = at >= 0 && older[at + 1] ? await this.opts.versions.get(ownerId, workflowId, older[at + 1]!.version_id) : null;
        await this.opts.versions.replaceContent(ownerId, workflowId, key, {
          workflow,
          summary: summarize(previous === null ? null : JSON.parse(previous.workflow), body.workflow),
          user_id: userId,
          user_name: await this.opts.userName(userId),
          device: body.device,
          device_label: body.label,
        });
        await this.opts.quota?.versionsChanged(ownerId);
      }
      return { created: false, version: versionDto((await this.opts.versions.getByKey(ownerId, workflowId, key))!) };
    }
    // An upload over the quota is refused (507): the device keeps it and can tell its user.
    const made = await this.addVersion(ownerId, workflowId, key, 'save', workflow, { userId, device: body.device, label: body.label }, 'throw');
    return { created: true, version: versionDto(made!) };
  }

  /** Writes a version's workflow into the library as a new change, kept as a "restore" version. */
  async restore(ownerId: string, workflowId: string, versionId: string, userId: string): Promise<void> {
    const version = await this.opts.versions.get(ownerId, workflowId, versionId);
    if (!version) throw new VersionError(404, 'Version not found');
    const checked = validateWorkflow({ ...(JSON.parse(version.workflow) as object), id: workflowId });
    if (!checked.ok) throw new VersionError(422, `The version's workflow is not valid: ${checked.error}`);
    const marker = this.serverMarker('restore', userId, 'Restore');
    const found = await this.opts.docs.withDocument(libraryDocument(ownerId), (doc) =>
      updateEntryWorkflow(doc, workflowId, checked.workflow, { now: this.nowIso(), lastSave: marker }),
    );
    this.serverSaves.delete(marker.id);
    if (!found) throw new VersionError(404, 'Workflow not found');
  }

  /**
   * A marker for a Save the server writes itself, remembered so its version gets `kind` and the user.
   * A write that fails never commits its marker, so the memory is bounded: the oldest go first.
   */
  serverMarker(kind: VersionKind, userId: string | null, label: string): LastSave {
    const marker: LastSave = { id: randomUUID(), device: 'api', label, at: this.nowIso() };
    if (this.serverSaves.size >= MAX_REMEMBERED_SERVER_SAVES) this.serverSaves.delete(this.serverSaves.keys().next().value!);
    this.serverSaves.set(marker.id, { kind, userId });
    return marker;
  }

  /**
   * The server is about to delete `workflowId` for `userId` (REST): its trash entry and "delete" version
   * name them rather than the owner. Bounded like the Save markers (a delete that finds nothing commits nothing).
   */
  expectDelete(workflowId: string, userId: string): void {
    if (this.serverDeletes.size >= MAX_REMEMBERED_SERVER_SAVES) this.serverDeletes.delete(this.serverDeletes.keys().next().value!);
    this.serverDeletes.set(workflowId, userId);
  }

  /** Auto versions waiting for their interval to end (observability, tests). */
  pendingAutoVersions(): Array<{ ownerId: string; workflowId: string; dueAt: number }> {
    return [...this.pendingAutos.values()].map(({ ownerId, workflowId, dueAt }) => ({ ownerId, workflowId, dueAt }));
  }

  async listTrash(ownerId: string): Promise<TrashItem[]> {
    return this.opts.versions.listTrash(ownerId);
  }

  async trashEntry(workflowId: string): Promise<TrashEntry | null> {
    return this.opts.versions.getTrash(workflowId);
  }

  /** Puts a deleted workflow back into its owner's library, same id, as it was; its versions stay. */
  async restoreFromTrash(workflowId: string, userId: string): Promise<void> {
    const entry = await this.opts.versions.takeTrash(workflowId);
    if (!entry) throw new VersionError(404, 'Workflow not found in the trash');
    const stored = JSON.parse(entry.entry) as { workflow: Workflow; is_public: boolean; created_at: string; share_versions: boolean };
    const marker = this.serverMarker('restore', userId, 'Restore from trash');
    try {
      await this.opts.docs.withDocument(libraryDocument(entry.owner_id), (doc) => {
        if (readEntry(doc, workflowId) !== null) throw new VersionError(409, 'A workflow with this id is in the library again');
        doc.transact(() => {
          createEntry(doc, workflowId, stored.workflow, { isPublic: stored.is_public, now: this.nowIso(), lastSave: marker });
          workflowsMap(doc).get(workflowId)?.set('created_at', stored.created_at);
          if (stored.share_versions) setEntryShareVersions(doc, workflowId, true);
        });
      });
    } catch (error) {
      // Nothing was written: the entry goes back to the trash, as it was.
      await this.opts.versions.putTrash(entry);
      throw error;
    } finally {
      this.serverSaves.delete(marker.id);
    }
  }

  async purge(workflowId: string): Promise<boolean> {
    const purged = await this.opts.versions.purge(workflowId);
    if (purged) await this.opts.quota?.versionsChanged(purged.owner_id);
    return purged !== null;
  }

  /** A removed user's versions and trash go with them. */
  async forgetOwner(userId: string): Promise<void> {
    for (const [key, auto] of [...this.pendingAutos]) if (auto.ownerId === userId) this.pendingAutos.delete(key);
    await this.opts.versions.forgetOwner(userId);
    await this.opts.quota?.versionsChanged(userId);
  }

  /** Takes every pending auto version now (state as it is) and stops the timer. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    for (const [key, auto] of [...this.pendingAutos]) {
      this.pendingAutos.delete(key);
      const loaded = this.observers.get(libraryDocument(auto.ownerId));
      if (loaded) await this.takeAuto(auto, loaded.doc).catch((e: unknown) => this.log(`auto version of ${auto.workflowId} not kept: ${String(e)}`));
    }
  }
}

export type { WorkflowRecordDTO };

export function versionDto(v: VersionMeta) {
  return {
    version_id: v.version_id,
    workflow_id: v.workflow_id,
    created_at: v.created_at,
    kind: v.kind,
    user_id: v.user_id,
    user_name: v.user_name,
    device: v.device,
    device_label: v.device_label,
    summary: v.summary,
  };
}

export type { Version };
