// WorkflowIndexStore on better-sqlite3, over the tables of migrations 0003 and 0004 (workflow_index,
// workflow_opened, workflow_index_state, workflow_owners; workflow_thumbnails for list items and the
// removal of a row's image). Synchronous inside, settled promises outside.
import type { Database, Statement } from 'better-sqlite3';
import {
  hasUserCategoryForList,
  likeSubstring,
  openedLater,
  ownerFilterApplies,
  RESERVED_ID_PREFIX,
  sameContent,
  splitSortedTags,
  type AppliedChanges,
  type Filters,
  type IndexChanges,
  type IndexRow,
  type ListItem,
  type ListQuery,
  type OrderBy,
  type Owner,
  type Page,
  type SharedRow,
  type Viewer,
  type WorkflowCategory,
  type WorkflowIndexStore,
} from '../index-store.js';

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
  // Case-insensitive for ASCII letters (NOCASE): InvokeAI's BINARY order puts every "Z..." before "a...".
  name: 'w.name COLLATE NOCASE',
  is_public: 'w.is_public',
};

const FROM = `
  FROM workflow_index w
  LEFT JOIN workflow_opened o ON o.workflow_id = w.workflow_id AND o.user_id = @viewer
  LEFT JOIN workflow_thumbnails t ON t.workflow_id = w.workflow_id AND t.user_id = w.user_id`;

interface Where {
  sql: string;
  params: Record<string, unknown>;
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

function toRow(raw: RawRow): IndexRow {
  return { ...raw, is_public: raw.is_public === 1, valid: raw.valid === 1 };
}

export class SqliteIndexStore implements WorkflowIndexStore {
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
  private readonly setReasonStmt: Statement;
  private readonly ownerStmt: Statement;
  private readonly claimStmt: Statement;
  private readonly applyTx: (changes: IndexChanges) => string[];

  constructor(private readonly db: Database) {
    this.upsertStmt = db.prepare(`
      INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at,
        updated_at, opened_at, valid, invalid_reason, workflow, doc_seq)
      VALUES (@workflow_id, @user_id, @category, @name, @description, @tags, @is_public, @created_at,
        @updated_at, @opened_at, @valid, @invalid_reason, @workflow, @doc_seq)
      ON CONFLICT (workflow_id, user_id, category) DO UPDATE SET name = excluded.name,
        description = excluded.description, tags = excluded.tags, is_public = excluded.is_public,
        created_at = excluded.created_at, updated_at = excluded.updated_at, opened_at = excluded.opened_at,
        valid = excluded.valid, invalid_reason = excluded.invalid_reason, workflow = excluded.workflow,
        doc_seq = excluded.doc_seq
      WHERE excluded.doc_seq >= workflow_index.doc_seq`);
    this.deleteStmt = db.prepare('DELETE FROM workflow_index WHERE workflow_id = ? AND user_id = ? AND category = ?');
    this.rowsForIdStmt = db.prepare('SELECT * FROM workflow_index WHERE workflow_id = ? ORDER BY created_at, user_id');
    this.rowStmt = db.prepare('SELECT * FROM workflow_index WHERE workflow_id = ? AND user_id = ? AND category = ?');
    this.idsOfLibraryStmt = db.prepare('SELECT workflow_id FROM workflow_index WHERE user_id = ? AND category = ?');
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
    this.setReasonStmt = db.prepare(
      "UPDATE workflow_index SET unpublished_reason = ? WHERE workflow_id = ? AND user_id = ? AND category = 'user'",
    );
    this.ownerStmt = db.prepare('SELECT user_id AS userId, category FROM workflow_owners WHERE workflow_id = ?');
    this.claimStmt = db.prepare(
      'INSERT INTO workflow_owners (workflow_id, user_id, category, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (workflow_id) DO NOTHING',
    );
    this.applyTx = db.transaction((changes: IndexChanges) => this.applySync(changes));
  }

  // ---- writes --------------------------------------------------------------------------------------

  async applyChanges(changes: IndexChanges): Promise<AppliedChanges> {
    return { changed: this.applyTx(changes) };
  }

  private applySync(changes: IndexChanges): string[] {
    const changed = new Set<string>();
    for (const row of changes.upserts ?? []) {
      const before = this.rowSync(row.workflow_id, row.user_id, row.category);
      if (before !== null && before.doc_seq > row.doc_seq) continue;
      const { unpublished_reason: _publishers, ...indexed } = row;
      this.upsertStmt.run({ ...indexed, is_public: row.is_public ? 1 : 0, valid: row.valid ? 1 : 0 });
      if (before === null || !sameContent(before, row)) changed.add(row.workflow_id);
    }
    for (const key of changes.deletes ?? []) {
      const before = this.rowSync(key.workflowId, key.userId, key.category);
      if (before === null) continue;
      if (key.docSeq !== undefined && before.doc_seq > key.docSeq) continue;
      this.deleteRow(key.workflowId, key.userId, key.category);
      changed.add(key.workflowId);
    }
    for (const open of changes.opened ?? []) this.setOpenedSync(open.userId, open.workflowId, open.openedAt);
    for (const { document, seq } of changes.indexedSeqs ?? []) this.setIndexedSeqStmt.run(document, seq);
    return [...changed];
  }

  private deleteRow(workflowId: string, userId: string, category: WorkflowCategory): void {
    this.deleteStmt.run(workflowId, userId, category);
    this.deleteThumbnailStmt.run(workflowId, userId);
    if ((this.rowsForIdStmt.all(workflowId) as RawRow[]).length === 0) this.deleteOpenedOfIdStmt.run(workflowId);
  }

  private setOpenedSync(userId: string, workflowId: string, openedAt: string): void {
    const known = (this.openedStmt.get(userId, workflowId) as { opened_at: string } | undefined)?.opened_at ?? null;
    if (openedLater(known, openedAt)) this.setOpenedStmt.run(userId, workflowId, openedAt);
  }

  async setUnpublishedReasons(verdicts: { workflowId: string; userId: string; reason: string | null }[]): Promise<void> {
    if (verdicts.length === 0) return;
    this.db.transaction(() => {
      for (const v of verdicts) this.setReasonStmt.run(v.reason, v.workflowId, v.userId);
    })();
  }

  async deleteUser(userId: string, document: string): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = this.idsOfSync(userId, 'user');
      for (const id of ids) this.deleteRow(id, userId, 'user');
      this.db.prepare('DELETE FROM workflow_thumbnails WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM workflow_opened WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM workflow_index_state WHERE document = ?').run(document);
      return ids;
    })();
  }

  async claimOwner(workflowId: string, userId: string, category: WorkflowCategory, at = new Date().toISOString()): Promise<Owner | null> {
    if (category === 'user' && workflowId.startsWith(RESERVED_ID_PREFIX)) return this.ownerSync(workflowId);
    this.claimStmt.run(workflowId, userId, category, at);
    return this.ownerSync(workflowId);
  }

  // ---- reads ---------------------------------------------------------------------------------------

  async owner(workflowId: string): Promise<Owner | null> {
    return this.ownerSync(workflowId);
  }

  private ownerSync(workflowId: string): Owner | null {
    return (this.ownerStmt.get(workflowId) as Owner | undefined) ?? null;
  }

  async rowsForId(workflowId: string): Promise<IndexRow[]> {
    return (this.rowsForIdStmt.all(workflowId) as RawRow[]).map(toRow);
  }

  async row(workflowId: string, userId: string, category: WorkflowCategory = 'user'): Promise<IndexRow | null> {
    return this.rowSync(workflowId, userId, category);
  }

  private rowSync(workflowId: string, userId: string, category: WorkflowCategory): IndexRow | null {
    const raw = this.rowStmt.get(workflowId, userId, category) as RawRow | undefined;
    return raw ? toRow(raw) : null;
  }

  async idsOf(userId: string, category: WorkflowCategory): Promise<string[]> {
    return this.idsOfSync(userId, category);
  }

  private idsOfSync(userId: string, category: WorkflowCategory): string[] {
    return (this.idsOfLibraryStmt.all(userId, category) as { workflow_id: string }[]).map((r) => r.workflow_id);
  }

  async sharedRowsOf(userId: string): Promise<{ shared: SharedRow[]; stale: string[] }> {
    return this.db.transaction(() => {
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
    })();
  }

  async usersWithSharedRows(): Promise<string[]> {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user'
           AND ((valid = 1 AND is_public = 1) OR unpublished_reason IS NOT NULL) ORDER BY user_id`,
        )
        .all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }

  async publishable(): Promise<IndexRow[]> {
    return (
      this.db
        .prepare(
          `SELECT * FROM workflow_index WHERE valid = 1 AND (category = 'default' OR (is_public = 1 AND unpublished_reason IS NULL))
           ORDER BY created_at, user_id`,
        )
        .all() as RawRow[]
    ).map(toRow);
  }

  async list(viewer: Viewer, q: ListQuery): Promise<Page<ListItem>> {
    const where = buildWhere(viewer, q, hasUserCategoryForList(q.categories));
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
    // One read transaction: the total and the page agree.
    return this.db.transaction(() => {
      const total = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
      const items = (this.db.prepare(sql).all(params) as RawListItem[]).map((r) => ({ ...r, is_public: r.is_public === 1 }));
      return {
        page: q.page,
        pages: q.perPage ? Math.ceil(total / q.perPage) : 1,
        per_page: q.perPage ?? total,
        total,
        items,
      };
    })();
  }

  async tags(viewer: Viewer, f: Pick<Filters, 'categories' | 'isPublic'>): Promise<string[]> {
    const where = buildWhere(viewer, { categories: f.categories, isPublic: f.isPublic }, hasUserCategoryForList(f.categories));
    const rows = this.db.prepare(`SELECT DISTINCT w.tags ${FROM} WHERE w.tags != '' AND ${where.sql}`).all(where.params) as {
      tags: string;
    }[];
    return splitSortedTags(rows.map((r) => r.tags));
  }

  async countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const tag of tags) {
      const where = buildWhere(viewer, { ...f, tags: [tag] }, hasUserCategoryForList(f.categories));
      result[tag] = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
    }
    return result;
  }

  async countsByCategory(
    viewer: Viewer,
    categories: WorkflowCategory[],
    f: Pick<Filters, 'hasBeenOpened' | 'isPublic'>,
  ): Promise<Record<string, number>> {
    const hasUser = categories.includes('user');
    const result: Record<string, number> = {};
    for (const category of categories) {
      const where = buildWhere(viewer, { ...f, categories: [category] }, hasUser);
      result[category] = (this.db.prepare(`SELECT COUNT(*) AS n ${FROM} WHERE ${where.sql}`).get(where.params) as { n: number }).n;
    }
    return result;
  }

  async openedAt(userId: string, workflowId: string): Promise<string | null> {
    return (this.openedStmt.get(userId, workflowId) as { opened_at: string } | undefined)?.opened_at ?? null;
  }

  async indexedSeq(document: string): Promise<number | null> {
    const row = this.indexedSeqStmt.get(document) as { seq: number } | undefined;
    return row?.seq ?? null;
  }

  async indexedDocuments(): Promise<string[]> {
    return (this.db.prepare('SELECT document FROM workflow_index_state ORDER BY document').all() as { document: string }[]).map(
      (r) => r.document,
    );
  }

  async indexedUsers(): Promise<string[]> {
    return (
      this.db
        .prepare(`SELECT user_id FROM workflow_index WHERE category = 'user' UNION SELECT user_id FROM workflow_opened ORDER BY 1`)
        .all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }

  async usersWithRows(): Promise<string[]> {
    return (
      this.db.prepare(`SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user' ORDER BY user_id`).all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }
}
