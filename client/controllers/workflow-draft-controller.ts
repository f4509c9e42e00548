// The editor's draft lifecycle: which stored workflow the route names, reading it, keeping a draft (a
// detached copy) and merging changes of the stored one into it as they arrive (merge3.ts), so the
// canvas stays live and Save never writes back a stale copy of someone else's edit; Save, Save As,
// Load from File and recording the workflow as opened.
// Save writes the draft with updateEntryWorkflow, which stores only what changed, so concurrent edits
// of different parts merge in the document too. An entry whose id belongs to another library (or to
// the defaults) is quarantined by the server: it can never be published or become valid, so Save is
// refused and Save As (a new id) is the way to keep it.
// The host renders; this controller owns the data and asks the host to render when it changes.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Workspace } from '../data/workspace.js';
import type { Route } from '../data/router.js';
import { navigate } from '../data/router.js';
import type { DraftHistory } from '../data/draft-history.js';
import { YDocController } from './ydoc-controller.js';
import { EventController } from './event-controller.js';
import { ownershipProblem, type ServerVerdicts } from '../data/server-verdicts.js';
import { merge3 } from '../data/merge3.js';
import { jsonEqual, type JsonValue } from '../../shared/workflow/json.js';
import type { Workflow, WorkflowWithoutID } from '../../shared/workflow/schema.js';
import { InvalidWorkflowError, createEntry, readEntry, setEntryOpenedAt, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import { readPublicEntry } from '../../shared/workflow/public-doc.js';
import { recordOpened } from '../../shared/workflow/opened-doc.js';
import { readWorkflowFile } from '../data/workflow-file.js';
import { setPendingDraft, takePendingDraft } from '../data/draft-store.js';
import { currentDevice } from '../data/devices.js';
import type { LastSave } from '../../shared/workflow/library-doc.js';
import type { JsonObject } from '../../shared/workflow/json.js';

/** The marker a Save writes with the workflow (HISTORY design): a new id per Save, this device. */
function newLastSave(): LastSave {
  const device = currentDevice();
  return { id: crypto.randomUUID(), device: device.id, label: device.label, at: new Date().toISOString() };
}

export type Draft = WorkflowWithoutID & { id?: string };

/** The draft's text fields: typing into one of them is one undo step. */
const TYPED_FIELDS: readonly string[] = ['name', 'author', 'version', 'contact', 'tags', 'description', 'notes'];

export interface DraftHost extends ReactiveControllerHost {
  readonly workspace: Workspace | null;
  readonly route: Route;
  /** a view of a shared workflow: nothing is edited or saved */
  readonly readonly: boolean;
}

/** What Save, Save As or Load from File did, for the editor's status banner. */
export interface DraftOutcome {
  ok: boolean;
  message: string;
}

const asJson = (d: Draft): JsonValue => d as unknown as JsonValue;

export class WorkflowDraftController implements ReactiveController {
  /** what the draft started from (the stored workflow as last seen) */
  private base: Draft | null = null;
  private current: Draft | null = null;
  /** the stored workflow is gone (deleted, or no longer shared) while a draft of it is open */
  missing = false;
  /** why the stored entry is not a valid workflow, or '' */
  invalidReason = '';
  private loadedKey = '';
  /** the route and workspace the last update saw: another one opens its workflow */
  private seenRoute: Route | null = null;
  private seenWorkspace: Workspace | null = null;
  private openedMarked = '';
  private docs: YDocController;
  private verdictEvents: EventController<ServerVerdicts>;

  constructor(
    private readonly host: DraftHost,
    /** the undo history of the host's own edits of the draft (see data/draft-history.ts) */
    private readonly history: DraftHistory<Draft>,
    /** called when another workflow (or none) is opened, before the host renders it */
    private readonly onOpen: () => void = () => {},
  ) {
    host.addController(this);
    this.docs = new YDocController(host, () => this.onStoredChange());
    this.verdictEvents = new EventController<ServerVerdicts>(host);
  }

  get draft(): Draft | null {
    return this.current;
  }

  /** Sets the draft as it is shown (after an undo or redo, or an edit taken in by `sync`). */
  set draft(next: Draft | null) {
    this.current = next;
    this.host.requestUpdate();
  }

  get dirty(): boolean {
    if (!this.current) return false;
    if (!this.base) return true;
    return !jsonEqual(asJson(this.base), asJson(this.current));
  }

  /** The library (own or another's) or `public` the route's workflow is read from. */
  get sourceDoc() {
    const ws = this.host.workspace;
    if (!ws) return null;
    const r = this.host.route;
    if (r.name === 'edit') return ws.libraryOf(r.ownerId ?? ws.userId);
    if (r.name === 'view') return ws.publicDoc;
    return null;
  }

  get workflowId(): string | null {
    const r = this.host.route;
    return r.name === 'edit' || r.name === 'view' ? r.id : null;
  }

  /** The edited library's owner, and whether it is the signed-in user's own library. */
  private get libraryOwner(): { ownerId: string; own: boolean } | null {
    const ws = this.host.workspace;
    const r = this.host.route;
    if (!ws || r.name !== 'edit') return null;
    const ownerId = r.ownerId ?? ws.userId;
    return { ownerId, own: ownerId === ws.userId };
  }

  /**
   * Why the edited entry is quarantined (its id belongs to another library or to the defaults): the
   * server's verdict for the user's own library, else what `public` shows; null when it is not.
   */
  get quarantineReason(): string | null {
    const ws = this.host.workspace;
    const owner = this.libraryOwner;
    const id = this.workflowId;
    if (!ws || !owner || !id) return null;
    const verdict = owner.own ? ws.verdicts.get(id)?.invalidReason : undefined;
    return verdict ?? ownershipProblem(id, owner.ownerId, ws.publicDoc.doc);
  }

  /** The server's reason for keeping this shared workflow (the user's own) out of `public`. */
  get unpublishedReason(): string | null {
    const ws = this.host.workspace;
    const id = this.workflowId;
    if (!ws || !id || !this.libraryOwner?.own) return null;
    return ws.verdicts.get(id)?.unpublishedReason ?? null;
  }

  /** The stored workflow now, or null (not there yet, deleted, or unshared). */
  private readStored(): { workflow: Draft | null; invalid: string } {
    const synced = this.sourceDoc;
    const id = this.workflowId;
    if (!synced || !id) return { workflow: null, invalid: '' };
    if (this.host.route.name === 'view') {
      const e = readPublicEntry(synced.doc, id);
      return { workflow: e ? (e.workflow as Draft) : null, invalid: '' };
    }
    const r = readEntry(synced.doc, id);
    if (!r) return { workflow: null, invalid: '' };
    if (!r.valid) return { workflow: null, invalid: r.reason };
    return { workflow: r.workflow as Draft, invalid: '' };
  }

  /**
   * Before each render of the host: takes a draft set from outside as the user's own edit, follows
   * the documents the route needs, and opens the route's workflow when the route or the workspace
   * changed.
   */
  hostUpdate(): void {
    const route = this.host.route;
    const workspace = this.host.workspace;
    const inputsChanged = route !== this.seenRoute || workspace !== this.seenWorkspace;
    this.seenRoute = route;
    this.seenWorkspace = workspace;
    if (this.sync(inputsChanged)) this.onOpen();
  }

  /** Returns true when it started over (another workflow, or none). */
  private sync(inputsChanged: boolean): boolean {
    // Any draft change not taken in as stored or as a reset is the user's own edit: undoable.
    if (this.current && this.current !== this.history.value) this.history.edit(this.current);
    const synced = this.sourceDoc;
    const route = this.host.route;
    // `public` too when editing: it shows who owns the ids (see quarantineReason).
    const publicDoc = route.name === 'edit' ? this.host.workspace?.publicDoc.doc : undefined;
    this.docs.observe([synced?.doc, publicDoc]);
    this.verdictEvents.target = this.host.workspace?.verdicts ?? null;
    const key = `${this.host.workspace?.userId}|${JSON.stringify(route)}`;
    if (key === this.loadedKey || !inputsChanged) return false;
    this.loadedKey = key;
    this.base = null;
    this.current = null;
    this.history.reset(null);
    this.missing = false;
    if (route.name === 'new') {
      const d = takePendingDraft();
      if (d) {
        this.current = d;
        this.history.reset(d);
      } else {
        navigate({ name: 'library' });
      }
      return true;
    }
    void synced?.loaded.then(() => this.onStoredChange(true));
    this.onStoredChange(true);
    return true;
  }

  /** Takes a change of the stored workflow into the draft (see the file comment). */
  private onStoredChange(opening = false): void {
    const route = this.host.route;
    if (route.name === 'new') return;
    const { workflow: theirs, invalid } = this.readStored();
    if (this.current && this.current !== this.history.value) this.history.edit(this.current);
    this.invalidReason = invalid;
    this.host.requestUpdate();
    if (!theirs) {
      // Still loading from IndexedDB, or gone: keep showing the draft with a notice if we had one.
      this.missing = this.base !== null || this.sourceDoc?.status === 'online';
      return;
    }
    this.missing = false;
    if (!this.base || !this.current) {
      this.base = theirs;
      this.current = structuredClone(theirs);
      this.history.reset(this.current);
      if (opening || route.name === 'edit') this.markOpened();
      return;
    }
    if (jsonEqual(asJson(this.base), asJson(theirs))) return;
    this.current = merge3(asJson(this.base), asJson(this.current), asJson(theirs)) as unknown as Draft;
    this.history.takeStored(this.current);
    this.base = theirs;
  }

  private markOpened(): void {
    const id = this.workflowId;
    const synced = this.sourceDoc;
    const own = this.host.workspace?.library;
    const route = this.host.route;
    if ((route.name !== 'edit' && route.name !== 'view') || !id || !synced || !own) return;
    if (this.openedMarked === this.loadedKey) return;
    this.openedMarked = this.loadedKey;
    // Recently Opened is per user, so it is recorded in the user's own library: in the entry for an
    // own workflow, in the `opened` map for a default or someone else's workflow.
    const at = new Date().toISOString();
    if (synced === own) queueMicrotask(() => setEntryOpenedAt(own.doc, id, at));
    else queueMicrotask(() => recordOpened(own.doc, id, at));
  }

  /**
   * An edit of the draft. Edits with the same `mergeKey` in a row are one undo step; typing into one
   * details field is one such run.
   */
  edit(patch: Partial<Draft>, mergeKey?: string): void {
    if (!this.current || this.host.readonly) return;
    const keys = Object.keys(patch);
    const typing = keys.length === 1 && TYPED_FIELDS.includes(keys[0]!);
    this.current = { ...this.current, ...patch };
    this.history.edit(this.current, mergeKey ?? (typing ? `details:${keys[0]}` : undefined));
    this.host.requestUpdate();
  }

  save(): DraftOutcome {
    const synced = this.sourceDoc;
    const id = this.workflowId;
    if (this.host.route.name !== 'edit' || !synced || !id || !this.current) return { ok: false, message: '' };
    const quarantined = this.quarantineReason;
    // The server would keep it but never take it: the edits stay in the draft for Save As.
    if (quarantined) return { ok: false, message: `Not saved: ${quarantined}` };
    const lastSave = newLastSave();
    const before = this.readStored().workflow;
    try {
      const ok = updateEntryWorkflow(synced.doc, id, { ...this.current, id } as Workflow, { lastSave });
      if (!ok) return { ok: false, message: 'This workflow was deleted; use Save As to keep your copy.' };
    } catch (err) {
      return { ok: false, message: err instanceof InvalidWorkflowError ? `Not saved: ${err.message}` : `Not saved: ${(err as Error).message}` };
    }
    // The stored form may differ slightly (the shared tag follows is_public): restart from it.
    const stored = this.readStored().workflow;
    if (stored) this.recordSave(id, stored, lastSave, synced === this.host.workspace?.library ? before : undefined);
    this.base = stored;
    this.current = stored ? structuredClone(stored) : this.current;
    this.history.takeStored(this.current);
    this.host.requestUpdate();
    return { ok: true, message: 'Workflow Saved' };
  }

  /**
   * Keeps this Save on the device until the server has it (saves.ts: History shows the workflow as
   * saved here even when a merge replaces some of its values) and, for a Save in the user's own library
   * (`before`: the stored workflow it replaced), remembers the values it set for the conflict notices
   * (conflicts.ts). A new entry (Save As) sets nothing another device could have changed meanwhile.
   */
  private recordSave(id: string, workflow: Draft | Workflow, save: LastSave, before: Draft | null | undefined): void {
    const ws = this.host.workspace;
    if (!ws) return;
    const json = structuredClone(workflow) as unknown as JsonObject;
    json['id'] = id;
    void ws.saves
      .record({ save_id: save.id, workflow_id: id, workflow: json, device: save.device, label: save.label, at: save.at })
      .catch((err: unknown) => console.error('This Save could not be kept for History on this device', err));
    if (before !== undefined) ws.conflicts.rememberSave(id, json, before);
  }

  /**
   * Save As: a new entry in the user's own library (also the way to copy a shared or default one),
   * then opens it. `isPublic` is ignored in a single-user server, where every workflow is shared.
   * Returns the new id, or the reason it was not stored.
   */
  saveAs(name: string, isPublic: boolean, multiuser: boolean): { id: string } | { error: string } | null {
    const ws = this.host.workspace;
    if (!ws || !this.current) return null;
    const id = crypto.randomUUID();
    const workflow = { ...this.current, id, name, meta: { ...this.current.meta, category: 'user' } } as Workflow;
    const lastSave = newLastSave();
    try {
      createEntry(ws.library.doc, id, workflow, { isPublic: multiuser ? isPublic : true, lastSave });
    } catch (err) {
      return { error: (err as Error).message };
    }
    const stored = readEntry(ws.library.doc, id);
    if (stored?.valid) this.recordSave(id, stored.workflow, lastSave, undefined);
    this.base = null;
    this.current = null;
    navigate({ name: 'edit', ownerId: null, id });
    return { id };
  }

  /**
   * Load from File: opens the file's workflow as a new unsaved draft. `confirmDiscard` is asked first
   * when the current draft has unsaved changes. Returns the reason when the file is refused, or null.
   */
  async loadFile(file: File, confirmDiscard: () => Promise<boolean>): Promise<string | null> {
    const result = await readWorkflowFile(file);
    if (!result.ok) return result.error;
    if (this.dirty && !(await confirmDiscard())) return null;
    setPendingDraft(result.workflow);
    if (this.host.route.name === 'new') {
      // Already on a new draft: the route does not change, so start over from the pending draft.
      this.loadedKey = '';
      this.seenRoute = null;
      this.host.requestUpdate();
    } else navigate({ name: 'new' });
    return null;
  }
}
