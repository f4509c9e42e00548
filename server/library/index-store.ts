// The workflow index (migrations/0003-workflow-index.ts): pure database reads and writes. It knows the
// visibility rules of InvokeAI's MERGED list endpoints (reference §2) and nothing about documents.
import type { Database, Statement } from 'better-sqlite3';
import type { WorkflowCategory } from '../../shared/workflow/schema.js';

export type { WorkflowCategory };
export type OrderBy = 'created_at' | 'updated_at' | 'opened_at' | 'name' | 'is_public';
export const ORDER_BY_VALUES: readonly OrderBy[] = ['created_at', 'updated_at', 'opened_at', 'name', 'is_public'];
export type Direction = 'ASC' | 'DESC';

/** Who is looking. In single-user mode the caller is the system user with admin rights. */
export interface Viewer {
  userId: string;
  isAdmin: boolean;
  multiuser: boolean;
}

/** What the index knows of every workflow, whoever looks at it. */
interface IndexedWorkflow {
  workflow_id: string;
  user_id: string;
  category: WorkflowCategory;
  name: string;
  description: string;
  tags: string;
  is_public: boolean;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  invalid_reason: string | null;
}

/** One indexed workflow, as the indexer writes it. */
export interface IndexRow extends IndexedWorkflow {
  valid: boolean;
  /** JSON text of the workflow as served (shared tag applied); null when not valid. */
  workflow: string | null;
  doc_seq: number;
  /**
   * Set by the publisher (never by the indexer) when a valid shared workflow is kept out of `public`
   * (too large, or over its owner's publishing budget); rows read from the table always carry it.
   */
  unpublished_reason?: string | null;
}

/** A list item: the row seen by one viewer (opened_at is that viewer's own). */
export interface ListItem extends IndexedWorkflow {
  thumbnail_version: string | null;
  /** Why a shared workflow is not published (seen by its owner and administrators only). */
  unpublished_reason: string | null;
}

/** A valid shared workflow of one library, with the size it takes in `public`. */
export interface SharedRow {
  workflow_id: string;
  bytes: number;
  unpublished_reason: string | null;
}

export interface Filters {
  categories?: WorkflowCategory[] | undefined;
  /** Any of them as a substring of the tags (OR), ASCII case-insensitive like InvokeAI's LIKE. */
  tags?: string[] | undefined;
  /** Substring of name, description or tags; blank is ignored. */
  query?: string | undefined;
  hasBeenOpened?: boolean | undefined;
  isPublic?: boolean | undefined;
}

export interface ListQuery extends Filters {
  page: number;
  /** null = everything on one page (InvokeAI's per_page=None). */
  perPage: number | null;
  orderBy: OrderBy;
  direction: Direction;
}

export interface Page<T> {
  page: number;
  pages: number;
  per_page: number;
  total: number;
  items: T[];
}

interface RawRow extends Omit<IndexRow, 'is_public' | 'valid'> {
  is_public: number;
  valid: number;
}

interface RawListItem extends Omit<ListItem, 'is_public'> {
  is_public: number;
}

const ORDER_SQL: Record<OrderBy, string> = {
  created_at: 'w.created_at',
  updated_at: 'w.updated_at',
  opened_at: 'o.opened_at',
  // Case-insensitive: InvokeAI's BINARY order puts every "Z..." before "a...".
  name: 'w.name COLLATE NOCASE',
  is_public: 'w.is_public',
};

const FROM = `
  FROM workflow_index w
  LEFT JOIN workflow_opened o ON o.workflow_id = w.workflow_id AND o.user_id = @viewer
  LEFT JOIN workflow_thumbnails t ON t.workflow_id = w.workflow_id AND t.user_id = w.user_id`;

/** LIKE pattern for a substring, with LIKE's wildcards escaped (InvokeAI lets "_" match anything). */
export function likeSubstring(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface Where {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * InvokeAI's owner filter: a regular user in multiuser mode who asks for user workflows without
 * asking for public ones only sees their own (plus every default). Every other combination already
 * restricts the result to defaults or public rows, so nothing private leaks.
 */
function ownerFilterApplies(viewer: Viewer, hasUserCategory: boolean, isPublic: boolean | undefined): boolean {
  return viewer.multiuser && !viewer.isAdmin && hasUserCategory && isPublic !== true;
}

function buildWhere(viewer: Viewer, f: Filters, hasUserCategory: boolean): Where {
  const clauses: string[] = [
    // Invalid entries are shown to their owner only (flagged with invalid_reason), never to anyone else.
    '(w.valid = 1 OR w.user_id = @viewer)',
    // A shared workflow kept out of `public` (size, budget) is not shared with anyone else either;
    // administrators see every workflow anyway.
    '(w.unpublished_reason IS NULL OR w.user_id = @viewer OR @admin = 1)',
  ];
  const params: Record<string, unknown> = { viewer: viewer.userId, admin: viewer.isAdmin || !viewer.multiuser ? 1 : 0 };
  if (f.categories && f.categories.length > 0) {
    const names = f.categories.map((c, i) => {
      params[`cat${i}`] = c;
      return `@cat${i}`;
    });
    clauses.push(`w.category IN (${names.join(', ')})`);
  }
  const tags = (f.tags ?? []).map((t) => t.trim()).filter((t) => t !== '');
  if (tags.length > 0) {
    const ors = tags.map((t, i) => {
      params[`tag${i}`] = likeSubstring(t);
      return `w.tags LIKE @tag${i} ESCAPE '\\'`;
    });
    clauses.push(`(${ors.join(' OR ')})`);
  }
  if (f.hasBeenOpened !== undefined) clauses.push(f.hasBeenOpened ? 'o.opened_at IS NOT NULL' : 'o.opened_at IS NULL');
  const query = f.query?.trim();
  if (query) {
    params.query = likeSubstring(query);
    clauses.push(
      "(w.name LIKE @query ESCAPE '\\' OR w.description LIKE @query ESCAPE '\\' OR w.tags LIKE @query ESCAPE '\\')",
    );
  }
  if (ownerFilterApplies(viewer, hasUserCategory, f.isPublic)) clauses.push("(w.user_id = @viewer OR w.category = 'default')");
  if (f.isPublic !== undefined) {
    params.isPublic = f.isPublic ? 1 : 0;
    clauses.push('w.is_public = @isPublic');
  }
  return { sql: clauses.join(' AND '), params };
}

function hasUserCategoryForList(categories: WorkflowCategory[] | undefined): boolean {
  return !categories || categories.length === 0 || categories.includes('user');
}

function toRow(raw: RawRow): IndexRow {
  return { ...raw, is_public: raw.is_public === 1, valid: raw.valid === 1 };
}

export class IndexStore {
  private readonly upsertStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly rowsForIdStmt: Statement;
  private readonly rowStmt: Statement;
  private readonly idsOfLibraryStmt: Statement;
  private readonly setOpenedStmt: Statement;
  private readonly openedStmt: Statement;
  // Used on every commit that touches a workflow (indexer) or deletes one: compiled once, not per call.
  private readonly deleteOpenedOfIdStmt: Statement;
  private readonly deleteThumbnailStmt: Statement;
  private readonly indexedSeqStmt: Statement;
  private readonly setIndexedSeqStmt: Statement;

  constructor(readonly db: Database) {
    this.upsertStmt = db.prepare(`
      INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at,
        updated_at, opened_at, valid, invalid_reason, workflow, doc_seq)
      VALUES (@workflow_id, @user_id, @category, @name, @description, @tags, @is_public, @created_at,
        @updated_at, @opened_at, @valid, @invalid_reason, @workflow, @doc_seq)
      ON CONFLICT (workflow_id, user_id, category) DO UPDATE SET name = excluded.name,
        description = excluded.description, tags = excluded.tags, is_public = excluded.is_public,
        created_at = excluded.created_at, updated_at = excluded.updated_at, opened_at = excluded.opened_at,
        valid = excluded.valid, invalid_reason = excluded.invalid_reason, workflow = excluded.workflow,
        doc_seq = excluded.doc_seq`);
    this.deleteStmt = db.prepare('DELETE FROM workflow_index WHERE workflow_id = ? AND user_id = ? AND category = ?');
    this.rowsForIdStmt = db.prepare('SELECT * FROM workflow_index WHERE workflow_id = ? ORDER BY created_at, user_id');
    this.rowStmt = db.prepare('SELECT * FROM workflow_index WHERE workflow_id = ? AND user_id = ? AND category = ?');
    this.idsOfLibraryStmt = db.prepare("SELECT workflow_id FROM workflow_index WHERE user_id = ? AND category = ?");
    this.setOpenedStmt = db.prepare(`
      INSERT INTO workflow_opened (user_id, workflow_id, opened_at) VALUES (?, ?, ?)
      ON CONFLICT (user_id, workflow_id) DO UPDATE SET opened_at = excluded.opened_at`);
    this.openedStmt = db.prepare('SELECT opened_at FROM workflow_opened WHERE user_id = ? AND workflow_id = ?');
    this.deleteOpenedOfIdStmt = db.prepare('DELETE FROM workflow_opened WHERE workflow_id = ?');
    this.deleteThumbnailStmt = db.prepare('DELETE FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
    this.indexedSeqStmt = db.prepare('SELECT seq FROM workflow_index_state WHERE document = ?');
    this.setIndexedSeqStmt = db.prepare(
      'INSERT INTO workflow_index_state (document, seq) VALUES (?, ?) ON CONFLICT (document) DO UPDATE SET seq = excluded.seq',
    );
  }

  // ---- writes (indexer, defaults, publisher) -------------------------------------------------------

  /** Writes the indexer's columns; unpublished_reason (the publisher's) is left as it is. */
  upsert(row: IndexRow): void {
    const { unpublished_reason: _publishers, ...indexed } = row;
    this.upsertStmt.run({ ...indexed, is_public: row.is_public ? 1 : 0, valid: row.valid ? 1 : 0 });
  }

  /**
   * Removes one row and its thumbnail (thumbnails are keyed by owner); when no library holds the id
   * any more its opened records go too.
   */
  delete(workflowId: string, userId: string, category: WorkflowCategory = 'user'): void {
    this.db.transaction(() => {
      this.deleteStmt.run(workflowId, userId, category);
      this.deleteThumbnailStmt.run(workflowId, userId);
      if (this.rowsForId(workflowId).length === 0) this.deleteOpenedOfIdStmt.run(workflowId);
    })();
  }

  /** The publisher's verdict on a shared row: null when it is published. */
  setUnpublishedReason(workflowId: string, userId: string, reason: string | null): void {
    this.db
      .prepare("UPDATE workflow_index SET unpublished_reason = ? WHERE workflow_id = ? AND user_id = ? AND category = 'user'")
      .run(reason, workflowId, userId);
  }

  /**
   * Every row of a library the publisher must decide on: the valid shared ones with their size in
   * `public` (UTF-8 bytes of the workflow JSON), oldest first, and any other row still carrying a reason.
   */
  sharedRowsOf(userId: string): { shared: SharedRow[]; stale: string[] } {
    const shared = this.db
      .prepare(
        `SELECT workflow_id, length(CAST(workflow AS BLOB)) AS bytes, unpublished_reason FROM workflow_index
         WHERE user_id = ? AND category = 'user' AND valid = 1 AND is_public = 1 ORDER BY created_at, workflow_id`,
      )
      .all(userId) as SharedRow[];
    const stale = (
      this.db
        .prepare(
          `SELECT workflow_id FROM workflow_index WHERE user_id = ? AND category = 'user'
           AND unpublished_reason IS NOT NULL AND NOT (valid = 1 AND is_public = 1)`,
        )
        .all(userId) as { workflow_id: string }[]
    ).map((r) => r.workflow_id);
    return { shared, stale };
  }

  /** Ids indexed for one library (category 'user') or for the defaults (user 'system', category 'default'). */
  idsOf(userId: string, category: WorkflowCategory): string[] {
    return (this.idsOfLibraryStmt.all(userId, category) as { workflow_id: string }[]).map((r) => r.workflow_id);
  }

  /**
   * Forgets everything of a deleted user: their rows, thumbnails, opened records and the document
   * state. (Their ids stay owned by them in workflow_owners, so no other library can reuse them.)
   */
  deleteUser(userId: string, document: string): void {
    this.db.transaction(() => {
      for (const id of this.idsOf(userId, 'user')) this.delete(id, userId);
      this.db.prepare('DELETE FROM workflow_thumbnails WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM workflow_opened WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM workflow_index_state WHERE document = ?').run(document);
    })();
  }

  setOpened(userId: string, workflowId: string, openedAt: string): void {
    this.setOpenedStmt.run(userId, workflowId, openedAt);
  }

  openedAt(userId: string, workflowId: string): string | null {
    return (this.openedStmt.get(userId, workflowId) as { opened_at: string } | undefined)?.opened_at ?? null;
  }

  indexedSeq(document: string): number | null {
    const row = this.indexedSeqStmt.get(document) as { seq: number } | undefined;
    return row?.seq ?? null;
  }

  setIndexedSeq(document: string, seq: number): void {
    this.setIndexedSeqStmt.run(document, seq);
  }

  indexedDocuments(): string[] {
    return (this.db.prepare('SELECT document FROM workflow_index_state').all() as { document: string }[]).map((r) => r.document);
  }

  // ---- thumbnails ---------------------------------------------------------------------------------

  // Keyed by the id's owner (workflow_owners): another library holding the same id has no image.

  putThumbnail(workflowId: string, ownerId: string, image: Buffer, version: string): void {
    this.db
      .prepare(`INSERT INTO workflow_thumbnails (workflow_id, user_id, image, version) VALUES (?, ?, ?, ?)
        ON CONFLICT (workflow_id, user_id) DO UPDATE SET image = excluded.image, version = excluded.version`)
      .run(workflowId, ownerId, image, version);
  }

  thumbnail(workflowId: string, ownerId: string): { image: Buffer; version: string } | null {
    return (
      (this.db.prepare('SELECT image, version FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?').get(workflowId, ownerId) as
        | { image: Buffer; version: string }
        | undefined) ?? null
    );
  }

  thumbnailVersion(workflowId: string, ownerId: string): string | null {
    const row = this.db.prepare('SELECT version FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?').get(workflowId, ownerId) as
      | { version: string }
      | undefined;
    return row?.version ?? null;
  }

  /** True if a thumbnail was removed. */
  deleteThumbnail(workflowId: string, ownerId: string): boolean {
    return this.deleteThumbnailStmt.run(workflowId, ownerId).changes > 0;
  }

  // ---- reads --------------------------------------------------------------------------------------

  /** Every row with this id, oldest first (normally one; more only if a client copied an id). */
  rowsForId(workflowId: string): IndexRow[] {
    return (this.rowsForIdStmt.all(workflowId) as RawRow[]).map(toRow);
  }

  row(workflowId: string, userId: string, category: WorkflowCategory = 'user'): IndexRow | null {
    const raw = this.rowStmt.get(workflowId, userId, category) as RawRow | undefined;
    return raw ? toRow(raw) : null;
  }

  /**
   * Valid rows published to everyone: every default, and every valid shared user workflow the
   * publisher has not kept out (unpublished_reason).
   */
  publishable(): IndexRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM workflow_index WHERE valid = 1 AND (category = 'default' OR (is_public = 1 AND unpublished_reason IS NULL))
           ORDER BY created_at, user_id`,
        )
        .all() as RawRow[]
    ).map(toRow);
  }

  list(viewer: Viewer, q: ListQuery): Page<ListItem> {
    const where = buildWhere(viewer, q, hasUserCategoryForList(q.categories));
    const total = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
    const dir = q.direction === 'DESC' ? 'DESC' : 'ASC';
    // workflow_id then user_id as tie-breakers: InvokeAI has none, so equal names/dates page unstably.
    let sql = `SELECT w.workflow_id, w.user_id, w.category, w.name, w.description, w.tags, w.is_public, w.created_at,
        w.updated_at, o.opened_at AS opened_at, w.invalid_reason, t.version AS thumbnail_version,
        CASE WHEN w.user_id = @viewer OR @admin = 1 THEN w.unpublished_reason END AS unpublished_reason
      ${FROM} WHERE ${where.sql}
      ORDER BY ${ORDER_SQL[q.orderBy]} ${dir}, w.workflow_id ${dir}, w.user_id ${dir}`;
    const params: Record<string, unknown> = { ...where.params };
    if (q.perPage !== null) {
      sql += ' LIMIT @limit OFFSET @offset';
      params.limit = q.perPage;
      params.offset = q.page * q.perPage;
    }
    const items = (this.db.prepare(sql).all(params) as RawListItem[]).map((r) => ({ ...r, is_public: r.is_public === 1 }));
    return {
      page: q.page,
      pages: q.perPage ? Math.ceil(total / q.perPage) : 1,
      per_page: q.perPage ?? total,
      total,
      items,
    };
  }

  /** Every distinct tag of the visible rows, trimmed, sorted (case-sensitive, as InvokeAI's sorted()). */
  tags(viewer: Viewer, f: Pick<Filters, 'categories' | 'isPublic'>): string[] {
    const where = buildWhere(viewer, { categories: f.categories, isPublic: f.isPublic }, hasUserCategoryForList(f.categories));
    const rows = this.db.prepare(`SELECT DISTINCT w.tags ${FROM} WHERE w.tags != '' AND ${where.sql}`).all(where.params) as {
      tags: string;
    }[];
    const all = new Set<string>();
    for (const r of rows) for (const t of r.tags.split(',')) if (t.trim() !== '') all.add(t.trim());
    return [...all].sort();
  }

  /** One count per given tag (substring match, as the list filter). */
  countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Record<string, number> {
    const result: Record<string, number> = {};
    for (const tag of tags) {
      const where = buildWhere(viewer, { ...f, tags: [tag] }, hasUserCategoryForList(f.categories));
      result[tag] = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
    }
    return result;
  }

  /** One count per given category; the owner filter applies when 'user' is asked for (as InvokeAI). */
  countsByCategory(
    viewer: Viewer,
    categories: WorkflowCategory[],
    f: Pick<Filters, 'hasBeenOpened' | 'isPublic'>,
  ): Record<string, number> {
    const hasUser = categories.includes('user');
    const result: Record<string, number> = {};
    for (const category of categories) {
      const where = buildWhere(viewer, { ...f, categories: [category] }, hasUser);
      result[category] = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
    }
    return result;
  }
}
