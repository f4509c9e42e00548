// WorkflowIndexStore on better-sqlite3, over the tables of migrations 0003 and 0004 (workflow_index,
// workflow_opened, workflow_index_state, workflow_owners; workflow_thumbnails for list items and the
// removal of a row's image). Synchronous inside, settled promises outside.
import type { Database, Statement } from 'better-sqlite3';
import { optimizeStatistics } from '../../db/database.js';
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
import { StatementCache } from '../../db/statements.js';

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

const OPTIMIZE_EVERY_WRITES = 1000;
/** Tags counted per pass of countsByTag (SQLite allows 2,000 result columns). */
const TAGS_PER_PASS = 500;
/** Tags of a list filter written as ORs; more are matched from a JSON array (see buildWhere). */
const MAX_TAGS_AS_OR = 100;
const OPTIMIZE_EVERY_MS = 60 * 60 * 1000;

/** How a query needs the viewer's opens: not at all, only where there is one, or beside every row. */
type OpenedJoin = 'none' | 'inner' | 'left';

const OPENED_JOIN: Record<OpenedJoin, string> = {
  none: '',
  inner: 'JOIN workflow_opened o ON o.workflow_id = w.workflow_id AND o.user_id = @viewer',
  left: 'LEFT JOIN workflow_opened o ON o.workflow_id = w.workflow_id AND o.user_id = @viewer',
};

interface Where {
  sql: string;
  params: Record<string, unknown>;
  /** The join the filters need (has_been_opened); a count joins nothing else. */
  opened: OpenedJoin;
  /** Administrators (and the single user) see every reason a shared workflow is withheld. */
  admin: boolean;
  /** The owner filter applies: the viewer's own rows (and the defaults) come from their own indexes. */
  ownerFiltered: boolean;
  /** Only the viewer's own rows can match. */
  ownOnly: boolean;
  /** A tag filter or a search: every visible row must be read. */
  substring: boolean;
}

/**
 * `workflow_index w`, naming the filter index of migration 0006 for a query that reads every visible
 * row of everybody's (a tag filter, a search, the tags and counts by tag): SQLite's planner would read
 * them from the table, as it sizes rows by their declared columns and not by the workflow JSON stored in
 * them (10-40x slower over 10,000 rows). Not under the owner filter (the viewer's library index is
 * smaller) nor for opened rows only (few, looked up from the viewer's opens).
 */
function tableFor(where: Where, readsEveryRow = where.substring): string {
  return readsEveryRow && !where.ownerFiltered && where.opened !== 'inner'
    ? 'workflow_index w INDEXED BY idx_workflow_index_filter'
    : 'workflow_index w';
}

/**
 * The visibility rules and filters, written so that the indexes of migration 0006 answer them: a rule
 * that cannot exclude anything for this viewer is left out rather than evaluated on every row (the
 * planner cannot prove that, and a rule it cannot evaluate from an index reads the row).
 */
function buildWhere(viewer: Viewer, f: Filters, hasUserCategory: boolean): Where {
  const admin = viewer.isAdmin || !viewer.multiuser;
  const params: Record<string, unknown> = { viewer: viewer.userId };
  const clauses: string[] = [];
  const categories = f.categories && f.categories.length > 0 ? [...new Set(f.categories)] : undefined;
  const ownerFilter = ownerFilterApplies(viewer, hasUserCategory, f.isPublic);
  const ownOnly = ownerFilter && categories !== undefined && !categories.includes('default');
  if (ownOnly) {
    // "Own rows or defaults" without defaults: own rows only, and the two rules below always hold for
    // one's own rows. Said this way, the viewer's library index serves the query.
    clauses.push('w.user_id = @viewer');
  } else {
    // Invalid entries are shown to their owner only (flagged with invalid_reason), never to anyone else.
    clauses.push('(w.valid = 1 OR w.user_id = @viewer)');
    // A shared workflow kept out of `public` (size, budget) is not shared with anyone else either;
    // administrators see every workflow anyway.
    if (!admin) clauses.push('(w.unpublished_reason IS NULL OR w.user_id = @viewer)');
    if (ownerFilter) clauses.push("(w.user_id = @viewer OR w.category = 'default')");
  }
  if (categories !== undefined) {
    const names = categories.map((c, i) => {
      params[`cat${i}`] = c;
      return `@cat${i}`;
    });
    clauses.push(names.length === 1 ? `w.category = ${names[0]}` : `w.category IN (${names.join(', ')})`);
  }
  const tags = [...new Set((f.tags ?? []).map((t) => t.trim()).filter((t) => t !== ''))];
  if (tags.length > MAX_TAGS_AS_OR) {
    // SQLite parses a chain of ORs into a tree at most 1,000 deep: a long list of tags is matched
    // from a JSON array instead (same LIKE, same result).
    params.tagPatterns = JSON.stringify(tags.map(likeSubstring));
    clauses.push("EXISTS (SELECT 1 FROM json_each(@tagPatterns) p WHERE w.tags LIKE p.value ESCAPE '\\')");
  } else if (tags.length > 0) {
    const ors = tags.map((t, i) => {
      params[`tag${i}`] = likeSubstring(t);
      return `w.tags LIKE @tag${i} ESCAPE '\\'`;
    });
    clauses.push(`(${ors.join(' OR ')})`);
  }
  let opened: OpenedJoin = 'none';
  // opened_at is NOT NULL in workflow_opened: an inner join keeps exactly the opened rows.
  if (f.hasBeenOpened === true) opened = 'inner';
  if (f.hasBeenOpened === false) {
    opened = 'left';
    clauses.push('o.opened_at IS NULL');
  }
  const query = f.query?.trim();
  if (query) {
    params.query = likeSubstring(query);
    clauses.push(
      "(w.name LIKE @query ESCAPE '\\' OR w.description LIKE @query ESCAPE '\\' OR w.tags LIKE @query ESCAPE '\\')",
    );
  }
  if (f.isPublic !== undefined) {
    params.isPublic = f.isPublic ? 1 : 0;
    clauses.push('w.is_public = @isPublic');
  }
  return { sql: clauses.join(' AND '), params, opened, admin, ownerFiltered: ownerFilter, ownOnly, substring: tags.length > 0 || !!query };
}

/** Rows of one viewer's count (no thumbnail, and the opens only when a filter needs them). */
function countSql(where: Where): string {
  return `SELECT COUNT(*) AS n FROM ${tableFor(where)} ${OPENED_JOIN[where.opened]} WHERE ${where.sql}`;
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
  /** Rows written since the planner's statistics were last brought up to date, and when that was. */
  private writesSinceOptimize = 0;
  private lastOptimize = Date.now();

  /** Statements built per call, compiled once (server/db/statements.ts). */
  private readonly statements: StatementCache;

  constructor(private readonly db: Database) {
    this.statements = new StatementCache(db);
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
    const changed = this.applyTx(changes);
    this.writesSinceOptimize += (changes.upserts?.length ?? 0) + (changes.deletes?.length ?? 0) + (changes.opened?.length ?? 0);
    this.keepStatisticsCurrent();
    return { changed };
  }

  /**
   * SQLite's advice for a long-lived connection: PRAGMA optimize now and then (it only analyzes tables
   * whose size changed a lot, so most calls do nothing). Here after every OPTIMIZE_EVERY_WRITES index
   * writes or OPTIMIZE_EVERY_MS, whichever comes first: a library imported into a fresh server gets
   * statistics within the import, not an hour later.
   */
  private keepStatisticsCurrent(): void {
    if (this.writesSinceOptimize < OPTIMIZE_EVERY_WRITES && Date.now() - this.lastOptimize < OPTIMIZE_EVERY_MS) return;
    this.writesSinceOptimize = 0;
    this.lastOptimize = Date.now();
    optimizeStatistics(this.db, 'running');
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
      this.statements.prepare('DELETE FROM workflow_thumbnails WHERE user_id = ?').run(userId);
      this.statements.prepare('DELETE FROM workflow_opened WHERE user_id = ?').run(userId);
      this.statements.prepare('DELETE FROM workflow_index_state WHERE document = ?').run(document);
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
      const shared = this.statements
        .prepare(
          `SELECT workflow_id, length(CAST(workflow AS BLOB)) AS bytes, unpublished_reason FROM workflow_index
           WHERE user_id = ? AND category = 'user' AND valid = 1 AND is_public = 1 ORDER BY created_at, workflow_id`,
        )
        .all(userId) as SharedRow[];
      const stale = (
        this.statements
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
      this.statements
        .prepare(
          `SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user'
           AND ((valid = 1 AND is_public = 1) OR unpublished_reason IS NOT NULL) ORDER BY user_id`,
        )
        .all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }

  async publishable(): Promise<IndexRow[]> {
    return (
      this.statements
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
    const order = `ORDER BY ${ORDER_SQL[q.orderBy]} ${dir}, w.workflow_id ${dir}, w.user_id ${dir}`;
    const sortJoin: OpenedJoin = where.opened !== 'none' ? where.opened : q.orderBy === 'opened_at' ? 'left' : 'none';
    const columns = `w.workflow_id, w.user_id, w.category, w.name, w.description, w.tags, w.is_public, w.created_at,
        w.updated_at, o.opened_at AS opened_at, w.invalid_reason, t.version AS thumbnail_version,
        ${where.admin ? 'w.unpublished_reason' : 'CASE WHEN w.user_id = @viewer THEN w.unpublished_reason END'} AS unpublished_reason`;
    const openedJoin = where.opened === 'inner' ? OPENED_JOIN.inner : OPENED_JOIN.left;
    const rowJoins = `${openedJoin}
      LEFT JOIN workflow_thumbnails t ON t.workflow_id = w.workflow_id AND t.user_id = w.user_id`;
    const toItem = (r: RawListItem): ListItem => ({ ...r, is_public: r.is_public === 1 });
    // One read transaction: the total and the page agree.
    return this.db.transaction(() => {
      const total = (this.statements.prepare(countSql(where)).get(where.params) as { n: number }).n;
      let items: ListItem[];
      if (q.perPage === null) {
        const all = `SELECT ${columns} FROM ${tableFor(where)} ${rowJoins} WHERE ${where.sql} ${order}`;
        items = (this.statements.prepare(all).all(where.params) as RawListItem[]).map(toItem);
      } else {
        // The page's keys first, from the indexes alone (a skipped OFFSET row is never read from the
        // table, and a sort carries keys, not rows); then the page's rows.
        const keys = this.statements
          .prepare(`SELECT w.rowid AS rid FROM ${tableFor(where)} ${OPENED_JOIN[sortJoin]} WHERE ${where.sql} ${order} LIMIT @limit OFFSET @offset`)
          .all({ ...where.params, limit: q.perPage, offset: q.page * q.perPage }) as { rid: number }[];
        const rows = keys.length === 0
          ? []
          : (this.statements
              .prepare(`SELECT w.rowid AS rid, ${columns} FROM workflow_index w ${OPENED_JOIN.left}
                 LEFT JOIN workflow_thumbnails t ON t.workflow_id = w.workflow_id AND t.user_id = w.user_id
                 WHERE w.rowid IN (SELECT value FROM json_each(@rids))`)
              .all({ viewer: viewer.userId, rids: JSON.stringify(keys.map((k) => k.rid)) }) as (RawListItem & { rid: number })[]);
        const byRid = new Map(rows.map(({ rid, ...r }) => [rid, r]));
        items = keys.map((k) => toItem(byRid.get(k.rid)!));
      }
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
    // One's own tags from one's library index: SQLite would rather read everybody's tags from the filter
    // index, whose order spares it the DISTINCT's sort (10,000 entries instead of a library's 500).
    const table = where.ownOnly ? 'workflow_index w INDEXED BY idx_workflow_index_own_name' : tableFor(where, true);
    const rows = this.statements.prepare(`SELECT DISTINCT w.tags FROM ${table} WHERE w.tags != '' AND ${where.sql}`).all(where.params) as {
      tags: string;
    }[];
    return splitSortedTags(rows.map((r) => r.tags));
  }

  async countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    if (tags.length === 0) return result;
    // One pass over the visible rows per TAGS_PER_PASS tags, in one read transaction (a blank tag
    // filters nothing, as in the list). Passes, not one statement: a statement has at most 2,000
    // result columns, and a request line can carry a few thousand tags.
    const where = buildWhere(viewer, f, hasUserCategoryForList(f.categories));
    const distinct = [...new Set(tags.map((t) => t.trim()))];
    const counts = new Map<string, number>();
    this.db.transaction(() => {
      for (let start = 0; start < distinct.length; start += TAGS_PER_PASS) {
        const chunk = distinct.slice(start, start + TAGS_PER_PASS);
        const params: Record<string, unknown> = { ...where.params };
        const sums = chunk.map((tag, i) => {
          if (tag === '') return `COUNT(*) AS c${i}`;
          params[`countTag${i}`] = likeSubstring(tag);
          return `COALESCE(SUM(w.tags LIKE @countTag${i} ESCAPE '\\'), 0) AS c${i}`;
        });
        const row = this.statements
          .prepare(`SELECT ${sums.join(', ')} FROM ${tableFor(where, true)} ${OPENED_JOIN[where.opened]} WHERE ${where.sql}`)
          .get(params) as Record<string, number>;
        chunk.forEach((tag, i) => counts.set(tag, row[`c${i}`]!));
      }
    })();
    for (const tag of tags) result[tag] = counts.get(tag.trim())!;
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
      result[category] = (this.statements.prepare(countSql(where)).get(where.params) as { n: number }).n;
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
    return (this.statements.prepare('SELECT document FROM workflow_index_state ORDER BY document').all() as { document: string }[]).map(
      (r) => r.document,
    );
  }

  async indexedUsers(): Promise<string[]> {
    return (
      this.statements
        .prepare(`SELECT user_id FROM workflow_index WHERE category = 'user' UNION SELECT user_id FROM workflow_opened ORDER BY 1`)
        .all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }

  async usersWithRows(): Promise<string[]> {
    return (
      this.statements.prepare(`SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user' ORDER BY user_id`).all() as { user_id: string }[]
    ).map((r) => r.user_id);
  }
}
