// The workflow operations the REST routes and the CLI share. Reads come from the index; every write to
// a user workflow goes into its library document through the sync server (withDocument), so every
// connected device sees it at once and the indexer/publisher pick it up like any other edit. Thumbnail
// images (ThumbnailStore) and per-user "opened" records (WorkflowIndexStore) are written to their stores
// directly; a thumbnail's version also
// goes into the library entry (and, through the publisher, into `public`), so every device shows a new
// thumbnail live.
import { randomUUID } from 'node:crypto';
import type * as Y from 'yjs';
import { libraryDocument } from '../../shared/protocol.js';
import {
  createEntry,
  deleteEntry,
  InvalidWorkflowError,
  readEntry,
  recordOpened,
  setEntryOpenedAt,
  setEntryPublic,
  setEntryThumbnail,
  updateEntryWorkflow,
  validateWorkflow,
  validateWorkflowWithoutId,
  type LastSave,
  type Workflow,
} from '../../shared/workflow/index.js';
import type { WorkflowListItemDTO, WorkflowRecordDTO } from '../../shared/api-types.js';
import { decideAccess, type WorkflowAction } from './access.js';
import type { IndexRow, WorkflowIndexStore, ListItem, ListQuery, Page, Viewer, WorkflowCategory, Filters } from '../storage/index-store.js';
import type { Thumbnail, ThumbnailStore } from '../storage/thumbnail-store.js';
import { quarantineReason } from './owners.js';

export type { WorkflowListItemDTO, WorkflowRecordDTO, Thumbnail };

/** A refusal with an HTTP status and a one-line detail (the CLI prints the detail). */
export class LibraryError extends Error {
  override name = 'LibraryError';
  constructor(
    readonly status: number,
    readonly detail: string,
    /** For an invalid workflow in a request: the dotted path of the failing field ("nodes.3.id", or "workflow" for the value itself). */
    readonly invalidField?: string,
  ) {
    super(detail);
  }
}

/**
 * What the service needs from the sync server: a server-side write that resolves once committed and
 * forwarded. The sync server runs its onCommitted hooks (the indexer) before it resolves, so a list
 * made right after a write already shows it.
 */
export interface DocumentWriter {
  withDocument<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>;
  /** Folds a loaded document's update log into its snapshot soon (the publisher, after large writes). */
  compactSoon?(name: string): void;
}

export interface LibraryServiceOptions {
  index: WorkflowIndexStore;
  thumbnails: ThumbnailStore;
  docs: DocumentWriter;
  multiuser: boolean;
  now?: () => string;
  /** Indexes client edits still waiting for their delayed indexing and waits for index writes (Indexer.catchUp). */
  catchUp?: () => Promise<void>;
  /**
   * A thumbnail was stored or removed (the index rows do not change, so the indexer reports nothing):
   * republishes the id (Publisher.refresh). Resolves when `public` carries the new version, unless the
   * owner's publishing rate budget is spent: then it follows within the refill (publisher.ts).
   */
  thumbnailChanged?: (workflowId: string) => Promise<void>;
  /** Per-user storage quota: thumbnails count toward their owner's (server/storage/quota.ts). */
  quota?: ThumbnailQuota;
  /**
   * The Save marker a create or update writes with the workflow (HISTORY: the REST API's writes are
   * Saves, device "api"), so the version history keeps a version of it; none when absent.
   */
  saveMarker?: (viewer: Viewer) => LastSave;
  /** Told who is about to delete a workflow, so its trash entry names them (an administrator, say). */
  deleting?: (viewer: Viewer, workflowId: string) => void;
}

/** What the service needs of the storage quota (UserQuota): refuse an image over it, track changes. */
export interface ThumbnailQuota {
  /** Rejects with QuotaExceededError (REST 507) when the image would take the owner past the quota. */
  assertThumbnailFits(userId: string, workflowId: string, imageBytes: number): Promise<void>;
  thumbnailsChanged(userId: string): Promise<void>;
}

const FORBIDDEN_DETAIL: Record<'read' | 'update' | 'delete', string> = {
  read: 'Not authorized to access this workflow',
  update: 'Not authorized to update this workflow',
  delete: 'Not authorized to delete this workflow',
};

export const NOT_FOUND = 'Workflow not found';
export const DEFAULT_READ_ONLY = 'Default workflows cannot be created, changed or deleted';

export function thumbnailUrl(workflowId: string, version: string | null): string | null {
  return version === null ? null : `/api/v1/workflows/i/${encodeURIComponent(workflowId)}/thumbnail?${version}`;
}

/** 422 whose detail names the failing field as it appears in the request body ("workflow.meta.version: ..."). */
function invalidWorkflow(field: string, error: string): LibraryError {
  return new LibraryError(422, field === 'workflow' ? error : `workflow.${error}`, field);
}

export class LibraryService {
  private readonly index: WorkflowIndexStore;
  private readonly thumbnails: ThumbnailStore;
  private readonly catchUp: () => Promise<void>;
  private readonly thumbnailChanged: (workflowId: string) => Promise<void>;
  private readonly quota: ThumbnailQuota | undefined;
  private readonly docs: DocumentWriter;
  readonly multiuser: boolean;
  private readonly now: () => string;
  private readonly saveMarker: ((viewer: Viewer) => LastSave) | undefined;
  private readonly deleting: ((viewer: Viewer, workflowId: string) => void) | undefined;

  constructor(opts: LibraryServiceOptions) {
    this.saveMarker = opts.saveMarker;
    this.deleting = opts.deleting;
    this.index = opts.index;
    this.thumbnails = opts.thumbnails;
    this.catchUp = opts.catchUp ?? (() => Promise.resolve());
    this.thumbnailChanged = opts.thumbnailChanged ?? (() => Promise.resolve());
    this.quota = opts.quota;
    this.docs = opts.docs;
    this.multiuser = opts.multiuser;
    this.now = opts.now ?? (() => new Date().toISOString());
  }

  /**
   * The index, after any client edit still waiting for its (briefly delayed) indexing has been
   * indexed: every answer, and every ownership check, sees every change the server has committed.
   */
  private async fresh(): Promise<WorkflowIndexStore> {
    await this.catchUp();
    return this.index;
  }

  // ---- reads ---------------------------------------------------------------------------------------

  async list(viewer: Viewer, q: ListQuery): Promise<Page<WorkflowListItemDTO>> {
    const page = await (await this.fresh()).list(viewer, q);
    return { ...page, items: page.items.map(listItemDto) };
  }

  async tags(viewer: Viewer, f: Pick<Filters, 'categories' | 'isPublic'>): Promise<string[]> {
    return (await this.fresh()).tags(viewer, f);
  }

  async countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Promise<Record<string, number>> {
    return (await this.fresh()).countsByTag(viewer, tags, f);
  }

  async countsByCategory(viewer: Viewer, categories: WorkflowCategory[], f: Pick<Filters, 'hasBeenOpened' | 'isPublic'>) {
    return (await this.fresh()).countsByCategory(viewer, categories, f);
  }

  /** GET /i/{id}. An invalid entry is a 422 naming the reason, for its owner; nobody else sees it. */
  async get(viewer: Viewer, workflowId: string): Promise<WorkflowRecordDTO> {
    const row = await this.resolve(viewer, workflowId, 'read', FORBIDDEN_DETAIL.read);
    if (!row.valid || row.workflow === null) {
      throw new LibraryError(422, `Workflow is not valid: ${row.invalid_reason ?? 'unknown reason'}`);
    }
    return {
      ...(await this.recordFromRow(viewer, row, JSON.parse(row.workflow) as Workflow)),
      thumbnail_url: thumbnailUrl(row.workflow_id, await this.thumbnails.version(row.workflow_id, row.user_id)),
    };
  }

  // ---- writes --------------------------------------------------------------------------------------

  /**
   * POST /. The caller owns it. Public from the start in single-user mode (InvokeAI) and when an
   * administrator creates it (Flowshelf: administrators curate shared workflows); private otherwise.
   */
  async create(viewer: Viewer, body: unknown, opts: { isPublic?: boolean } = {}): Promise<WorkflowRecordDTO> {
    const checked = validateWorkflowWithoutId(body);
    if (!checked.ok) throw invalidWorkflow(checked.field, checked.error);
    if (checked.workflow.meta.category === 'default') throw new LibraryError(403, DEFAULT_READ_ONLY);
    const id = randomUUID();
    const isPublic = opts.isPublic ?? (!this.multiuser || viewer.isAdmin);
    const document = libraryDocument(viewer.userId);
    const record = await this.docs.withDocument(document, (doc) => {
      try {
        const lastSave = this.saveMarker?.(viewer);
        createEntry(doc, id, { ...checked.workflow, id } as Workflow, { isPublic, now: this.now(), ...(lastSave ? { lastSave } : {}) });
      } catch (err) {
        if (err instanceof InvalidWorkflowError) throw invalidWorkflow(err.field, err.detail);
        throw err;
      }
      return this.recordFromDoc(viewer, doc, id, viewer.userId);
    });
    return record;
  }

  /** PATCH /i/{id}: body.workflow replaces the stored workflow; is_public is unchanged (InvokeAI). */
  async update(viewer: Viewer, workflowId: string, body: unknown): Promise<WorkflowRecordDTO> {
    const checked = validateWorkflow(body);
    if (!checked.ok) throw invalidWorkflow(checked.field, checked.error);
    const workflow = checked.workflow;
    // InvokeAI ignores the path and updates whatever id the body names; that is a 400 here.
    if (workflow.id !== workflowId) {
      throw new LibraryError(400, `workflow.id (${workflow.id}) does not match the workflow id in the path (${workflowId})`);
    }
    if (workflow.meta.category === 'default') throw new LibraryError(403, DEFAULT_READ_ONLY);
    const row = await this.resolve(viewer, workflowId, 'write', FORBIDDEN_DETAIL.update);
    return this.writeEntry(viewer, row, (doc) => {
      try {
        const lastSave = this.saveMarker?.(viewer);
        return updateEntryWorkflow(doc, workflowId, workflow, { now: this.now(), ...(lastSave ? { lastSave } : {}) });
      } catch (err) {
        if (err instanceof InvalidWorkflowError) throw invalidWorkflow(err.field, err.detail);
        throw err;
      }
    });
  }

  /** PATCH /i/{id}/is_public: also makes the `shared` tag agree (InvokeAI). */
  async setPublic(viewer: Viewer, workflowId: string, isPublic: boolean): Promise<WorkflowRecordDTO> {
    const row = await this.resolve(viewer, workflowId, 'write', FORBIDDEN_DETAIL.update);
    return this.writeEntry(viewer, row, (doc) => setEntryPublic(doc, workflowId, isPublic, { now: this.now() }));
  }

  async delete(viewer: Viewer, workflowId: string): Promise<void> {
    const row = await this.resolve(viewer, workflowId, 'write', FORBIDDEN_DETAIL.delete);
    const document = libraryDocument(row.user_id);
    this.deleting?.(viewer, workflowId);
    const removed = await this.docs.withDocument(document, (doc) => deleteEntry(doc, workflowId));
    if (!removed) throw new LibraryError(404, NOT_FOUND);
  }

  /**
   * PUT /i/{id}/opened_at. Recorded per user for anything the caller may read (InvokeAI: one column
   * per workflow, 403 for non-owners). The time also goes into the caller's own library document, so
   * the caller's devices see it: the entry's opened_at for an own workflow, the `opened` map
   * (opened-doc.ts) for a default or someone else's workflow.
   */
  async setOpened(viewer: Viewer, workflowId: string): Promise<void> {
    const row = await this.resolve(viewer, workflowId, 'open', FORBIDDEN_DETAIL.read);
    const at = this.now();
    const document = libraryDocument(viewer.userId);
    if (row.category === 'user' && row.user_id === viewer.userId) {
      const found = await this.docs.withDocument(document, (doc) => setEntryOpenedAt(doc, workflowId, at));
      if (!found) throw new LibraryError(404, NOT_FOUND);
    } else {
      await this.docs.withDocument(document, (doc) => recordOpened(doc, workflowId, at));
    }
    await (await this.fresh()).applyChanges({ opened: [{ userId: viewer.userId, workflowId, openedAt: at }] });
  }

  // ---- thumbnails ----------------------------------------------------------------------------------

  /** Checks that the caller may change the thumbnail (before the upload is decoded). */
  async assertThumbnailWritable(viewer: Viewer, workflowId: string): Promise<void> {
    await this.thumbnailTarget(viewer, workflowId);
  }

  /**
   * The row whose thumbnail a caller would change: always the owner's (thumbnails are keyed by the
   * id's owner), never a copy of the id in another library, so nobody can change the image the owner's
   * readers see, nor a default's.
   */
  private async thumbnailTarget(viewer: Viewer, workflowId: string): Promise<IndexRow> {
    const index = await this.fresh();
    const owner = await index.owner(workflowId);
    const rows = await index.rowsForId(workflowId);
    const ownerRow = owner === null ? undefined : rows.find((r) => r.user_id === owner.userId && r.category === owner.category);
    const decision = ownerRow === undefined ? 'hidden' : decideAccess(viewer, this.asSeenBy(viewer, ownerRow), 'write');
    if (decision === 'ok' && ownerRow !== undefined) return ownerRow;
    // The caller's own quarantined copy of an id owned elsewhere: say why, as their listing does.
    const reason = quarantineReason(owner, viewer.userId);
    if (reason !== null && rows.some((r) => r.user_id === viewer.userId && r.category === 'user')) throw new LibraryError(403, reason);
    if (decision === 'default') throw new LibraryError(403, DEFAULT_READ_ONLY);
    if (decision === 'forbidden') throw new LibraryError(403, FORBIDDEN_DETAIL.update);
    throw new LibraryError(404, NOT_FOUND);
  }

  /**
   * `webp` is the already resized image. The image is stored before its version reaches any document,
   * so a device that sees the version can load the image. Resolves once the owner's library and `public`
   * carry the new version (`public` later if the owner's publishing rate budget is spent).
   */
  async setThumbnail(viewer: Viewer, workflowId: string, webp: Buffer): Promise<void> {
    const row = await this.thumbnailTarget(viewer, workflowId);
    const version = randomUUID();
    await this.quota?.assertThumbnailFits(row.user_id, workflowId, webp.length);
    await this.thumbnails.put(workflowId, row.user_id, webp, version);
    await this.quota?.thumbnailsChanged(row.user_id);
    await this.recordThumbnail(row, version);
  }

  async deleteThumbnail(viewer: Viewer, workflowId: string): Promise<void> {
    const row = await this.thumbnailTarget(viewer, workflowId);
    // InvokeAI raises (500) when there is no file; deleting nothing is simply done here.
    await this.thumbnails.delete(workflowId, row.user_id);
    await this.quota?.thumbnailsChanged(row.user_id);
    await this.recordThumbnail(row, null);
  }

  private async recordThumbnail(row: IndexRow, version: string | null): Promise<void> {
    // The entry may have been deleted since the check: then there is nothing to show the version on.
    await this.docs.withDocument(libraryDocument(row.user_id), (doc) => setEntryThumbnail(doc, row.workflow_id, version));
    await this.thumbnailChanged(row.workflow_id);
  }

  /** GET thumbnail: no token (as InvokeAI: <img src> cannot send one; ids are unguessable uuids). */
  async thumbnail(workflowId: string): Promise<Thumbnail | null> {
    const owner = await this.index.owner(workflowId);
    return owner === null ? null : this.thumbnails.get(workflowId, owner.userId);
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /**
   * The row a caller means by an id. Normally one row per id; if a client copied an id into a second
   * library, the caller's own row wins, then the first one they may use.
   */
  private async resolve(viewer: Viewer, workflowId: string, action: WorkflowAction, forbidden: string): Promise<IndexRow> {
    const rows = await (await this.fresh()).rowsForId(workflowId);
    const own = rows.find((r) => r.user_id === viewer.userId && r.category === 'user');
    const ordered = own ? [own, ...rows.filter((r) => r !== own)] : rows;
    let refusal: 'default' | 'forbidden' | null = null;
    for (const row of ordered) {
      const decision = decideAccess(viewer, this.asSeenBy(viewer, row), action);
      if (decision === 'ok') return row;
      if (decision === 'default') refusal = 'default';
      else if (decision === 'forbidden' && refusal === null) refusal = 'forbidden';
    }
    if (refusal === 'default') throw new LibraryError(403, DEFAULT_READ_ONLY);
    if (refusal === 'forbidden') throw new LibraryError(403, forbidden);
    throw new LibraryError(404, NOT_FOUND);
  }

  /**
   * A shared workflow the publisher keeps out of `public` (too large, over budget) is not shared
   * with others over REST either: the listing, `public` and GET agree.
   */
  private asSeenBy(viewer: Viewer, row: IndexRow): IndexRow {
    if (row.user_id === viewer.userId || !row.is_public || (row.unpublished_reason ?? null) === null) return row;
    return { ...row, is_public: false };
  }

  private async writeEntry(viewer: Viewer, row: IndexRow, write: (doc: Y.Doc) => boolean): Promise<WorkflowRecordDTO> {
    const document = libraryDocument(row.user_id);
    const record = await this.docs.withDocument(document, (doc) => {
      // The index can trail the document by a commit: the entry may be gone already.
      if (!write(doc)) throw new LibraryError(404, NOT_FOUND);
      return this.recordFromDoc(viewer, doc, row.workflow_id, row.user_id);
    });
    // Someone else's workflow (an administrator's write): the caller's own opened record.
    if (row.user_id !== viewer.userId) record.opened_at = await this.index.openedAt(viewer.userId, row.workflow_id);
    return record;
  }

  /** The record as the doc holds it; opened_at is the entry's for its owner, else null (the caller's is read after). */
  private recordFromDoc(viewer: Viewer, doc: Y.Doc, workflowId: string, userId: string): WorkflowRecordDTO {
    const read = readEntry(doc, workflowId);
    if (!read) throw new LibraryError(404, NOT_FOUND);
    // Writers validate, so this only happens if a concurrent edit broke the entry in the same commit.
    if (!read.valid) throw new LibraryError(422, `Workflow is not valid: ${read.reason}`);
    return {
      workflow_id: workflowId,
      name: read.workflow.name,
      created_at: read.entry.created_at,
      updated_at: read.entry.updated_at,
      opened_at: userId === viewer.userId ? read.entry.opened_at : null,
      user_id: userId,
      is_public: read.entry.is_public,
      workflow: read.workflow,
    };
  }

  private async recordFromRow(viewer: Viewer, row: IndexRow, workflow: Workflow): Promise<WorkflowRecordDTO> {
    return {
      workflow_id: row.workflow_id,
      name: row.name,
      created_at: row.created_at,
      updated_at: row.updated_at,
      opened_at: await this.index.openedAt(viewer.userId, row.workflow_id),
      user_id: row.user_id,
      is_public: row.is_public,
      workflow,
    };
  }
}

function listItemDto(item: ListItem): WorkflowListItemDTO {
  return {
    workflow_id: item.workflow_id,
    name: item.name,
    created_at: item.created_at,
    updated_at: item.updated_at,
    opened_at: item.opened_at,
    user_id: item.user_id,
    is_public: item.is_public,
    description: item.description,
    category: item.category,
    tags: item.tags,
    thumbnail_url: thumbnailUrl(item.workflow_id, item.thumbnail_version),
    invalid_reason: item.invalid_reason,
    unpublished_reason: item.unpublished_reason,
  };
}
