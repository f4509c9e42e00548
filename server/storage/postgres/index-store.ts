// WorkflowIndexStore on PostgreSQL, over the tables of migrations/postgres/0003 (workflow_index,
// workflow_opened, workflow_index_state, workflow_owners, workflow_thumbnails), for several nodes
// indexing the same libraries.
//
// Behaves as the SQLite store does (both pass test/storage/index-store-suite.ts):
// - search and tag filters are SQLite's LIKE: case-insensitive for ASCII letters only. Here the column
//   is folded with lower() (the columns are COLLATE "C", whose lower() folds A-Z only) and the pattern
//   is folded the same way in JS (a parameter would take the database's own collation);
// - the name order is SQLite's `name COLLATE NOCASE`: lower(name) in byte order ("C"), as a bounded
//   prefix the migrations index (0007) then the whole; then workflow_id, user_id ("C", SQLite's BINARY);
// - SQLite puts NULLs first in ascending order and last in descending order: opened_at says so here.
//
// Writes are idempotent under concurrency: a row is read FOR UPDATE before it is written (the upsert
// also carries the doc_seq condition, so a row inserted meanwhile by another node is not overwritten
// by an older one); an open is inserted if absent, else compared and raised under its row lock; an id
// is claimed with INSERT .. ON CONFLICT DO NOTHING, which waits for a concurrent claimer's commit.
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
import { NAME_SORT_PREFIX } from '../../../migrations/postgres/0007-bounded-keys-and-nul-text.js';
import { escapeNul, unescapeNul } from './nul-text.js';
import type { PostgresPool, Queryable } from './pool.js';

interface RawRow extends Omit<IndexRow, 'doc_seq'> {
  doc_seq: string | number;
}

const ROW_COLUMNS = `workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at,
  opened_at, valid, invalid_reason, workflow, doc_seq, unpublished_reason`;

function toRow(raw: RawRow): IndexRow {
  return { ...raw, ...unescapeText(raw), doc_seq: Number(raw.doc_seq) };
}

/** The client text of a row or list item, as stored (U+0000 escaped: ./nul-text.ts) and as read back. */
type ClientText = Pick<IndexRow, 'name' | 'description' | 'tags' | 'invalid_reason'> & { unpublished_reason?: string | null };

function unescapeText<T extends ClientText>(raw: T): T {
  const text = { ...raw, name: unescapeNul(raw.name), description: unescapeNul(raw.description), tags: unescapeNul(raw.tags), invalid_reason: unescapeNul(raw.invalid_reason) };
  if (raw.unpublished_reason !== undefined) text.unpublished_reason = unescapeNul(raw.unpublished_reason);
  return text;
}

/** A LIKE pattern for a substring, folded as lower() folds the "C" columns, escaped as they are stored. */
function likePattern(text: string): string {
  return escapeNul(foldAscii(likeSubstring(text)));
}

/**
 * The database's reason when it refused a value (data exceptions, class 22: text it cannot hold;
 * program limits, class 54: an index row over the B-tree limit); null for any other failure, which
 * fails the batch as before (a lost connection, a full disk, a broken rule such as a bad category).
 */
function refusal(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('22') || code.startsWith('54'))) return null;
  return (error as Error).message;
}

/** SQLite's LIKE folds ASCII letters only; so does lower() on the "C" columns, and so does this. */
function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * The sort keys of each order. By name: the bounded prefix the indexes of migration 0007 key, then the
 * whole folded name (which decides only between equal prefixes): together exactly `lower(name)`.
 */
const ORDER_SQL: Record<OrderBy, { keys: string[]; nulls: boolean }> = {
  created_at: { keys: ['w.created_at'], nulls: false },
  updated_at: { keys: ['w.updated_at'], nulls: false },
  opened_at: { keys: ['o.opened_at'], nulls: true },
  name: { keys: [`lower(left(w.name, ${NAME_SORT_PREFIX}))`, 'lower(w.name)'], nulls: false },
  is_public: { keys: ['w.is_public'], nulls: false },
};

/** Positional parameters ($1, $2, ...) collected while a statement is built. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** How a query needs the viewer's opens: not at all, only where there is one, or beside every row. */
type OpenedJoin = 'none' | 'inner' | 'left';

/** Tags counted per pass of countsByTag (PostgreSQL allows 1,664 result columns). */
const TAGS_PER_PASS = 500;

function openedJoin(kind: OpenedJoin, viewer: string): string {
  if (kind === 'none') return '';
  return `${kind === 'inner' ? 'JOIN' : 'LEFT JOIN'} workflow_opened o ON o.workflow_id = w.workflow_id AND o.user_id = ${viewer}`;
}

interface Where {
  sql: string;
  params: Params;
  viewer: string;
  /** The join the filters need (has_been_opened); a count joins nothing else. */
  opened: OpenedJoin;
  /** Administrators (and the single user) see every reason a shared workflow is withheld. */
  admin: boolean;
}

/**
 * The visibility rules and filters, written so that the indexes of migration 0005 answer them (as the
 * SQLite store does): a rule that cannot exclude anything for this viewer is left out rather than
 * evaluated on every row.
 */
function buildWhere(viewer: Viewer, f: Filters, hasUserCategory: boolean): Where {
  const params = new Params();
  const me = params.add(viewer.userId);
  const admin = viewer.isAdmin || !viewer.multiuser;
  const clauses: string[] = [];
  const categories = f.categories && f.categories.length > 0 ? [...new Set(f.categories)] : undefined;
  const ownerFilter = ownerFilterApplies(viewer, hasUserCategory, f.isPublic);
  if (ownerFilter && categories !== undefined && !categories.includes('default')) {
    // "Own rows or defaults" without defaults: own rows only, for which the two rules below always hold.
    clauses.push(`w.user_id = ${me}`);
  } else {
    // Invalid entries are shown to their owner only (flagged with invalid_reason), never to anyone else.
    clauses.push(`(w.valid OR w.user_id = ${me})`);
    // A shared workflow kept out of `public` is not shared with anyone else either; admins see all.
    if (!admin) clauses.push(`(w.unpublished_reason IS NULL OR w.user_id = ${me})`);
    if (ownerFilter) clauses.push(`(w.user_id = ${me} OR w.category = 'default')`);
  }
  if (categories !== undefined) {
    clauses.push(categories.length === 1 ? `w.category = ${params.add(categories[0])}` : `w.category IN (${categories.map((c) => params.add(c)).join(', ')})`);
  }
  const tags = (f.tags ?? []).map((t) => t.trim()).filter((t) => t !== '');
  if (tags.length > 0) {
    const ors = tags.map((t) => `lower(w.tags) LIKE ${params.add(likePattern(t))} ESCAPE '\\'`);
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
    const q = params.add(likePattern(query));
    clauses.push(`(lower(w.name) LIKE ${q} ESCAPE '\\' OR lower(w.description) LIKE ${q} ESCAPE '\\' OR lower(w.tags) LIKE ${q} ESCAPE '\\')`);
  }
  if (f.isPublic !== undefined) clauses.push(`w.is_public = ${params.add(f.isPublic)}`);
  return { sql: clauses.join(' AND '), params, viewer: me, opened, admin };
}

export class PostgresIndexStore implements WorkflowIndexStore {
  constructor(private readonly pool: PostgresPool) {}

  // ---- writes --------------------------------------------------------------------------------------

  async applyChanges(changes: IndexChanges): Promise<AppliedChanges> {
    try {
      return await this.pool.transaction((tx) => this.applyBatch(tx, changes, false));
    } catch (error) {
      if (refusal(error) === null) throw error;
      // One entry the database cannot hold (a key over the B-tree row limit, text it refuses) must not
      // keep the rest of its library out of the index: the batch again, entry by entry.
      return this.pool.transaction((tx) => this.applyBatch(tx, changes, true));
    }
  }

  /**
   * The batch in one transaction. `oneByOne`: each entry under a savepoint; an upsert the database
   * refuses is written as an invalid entry carrying the database's reason (its owner sees it flagged,
   * as any malformed entry), and an entry refused even so (by its id) is left out, as is an open of it.
   */
  private async applyBatch(tx: Queryable, changes: IndexChanges, oneByOne: boolean): Promise<AppliedChanges> {
    const changed = new Set<string>();
    const guarded = async (write: () => Promise<void>): Promise<string | null> => {
      if (!oneByOne) {
        await write();
        return null;
      }
      await tx.query('SAVEPOINT index_entry');
      try {
        await write();
        await tx.query('RELEASE SAVEPOINT index_entry');
        return null;
      } catch (error) {
        const reason = refusal(error);
        if (reason === null) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT index_entry');
        await tx.query('RELEASE SAVEPOINT index_entry');
        return reason;
      }
    };
    // Rows are locked in key order, whatever the batch's order: two nodes writing the same rows
    // cannot deadlock.
    const keyOf = (workflowId: string, userId: string, category: string) => `${workflowId}\u0000${userId}\u0000${category}`;
    const ops = [
      ...(changes.upserts ?? []).map((row) => ({ key: keyOf(row.workflow_id, row.user_id, row.category), upsert: row, remove: null })),
      ...(changes.deletes ?? []).map((remove) => ({ key: keyOf(remove.workflowId, remove.userId, remove.category), upsert: null, remove })),
    ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { upsert: row, remove: key } of ops) {
      if (key !== null) {
        await guarded(async () => {
          const before = await this.rowIn(tx, key.workflowId, key.userId, key.category, true);
          if (before === null) return;
          if (key.docSeq !== undefined && before.doc_seq > key.docSeq) return;
          await this.deleteRow(tx, key.workflowId, key.userId, key.category);
          changed.add(key.workflowId);
        });
        continue;
      }
      if (row === null) continue;
      const reason = await guarded(() => this.upsertRow(tx, row, changed));
      if (reason !== null) {
        const invalid: IndexRow = { ...row, valid: false, workflow: null, invalid_reason: `the database refused this entry: ${reason}` };
        await guarded(() => this.upsertRow(tx, invalid, changed));
      }
    }
    const opens = [...(changes.opened ?? [])].sort((a, b) => keyOf(a.userId, a.workflowId, '').localeCompare(keyOf(b.userId, b.workflowId, '')));
    for (const open of opens) await guarded(() => this.raiseOpened(tx, open.userId, open.workflowId, open.openedAt));
    const seqs = [...(changes.indexedSeqs ?? [])].sort((a, b) => (a.document < b.document ? -1 : a.document > b.document ? 1 : 0));
    for (const { document, seq } of seqs) {
      await tx.query(
        `INSERT INTO workflow_index_state (document, seq) VALUES ($1, $2) ON CONFLICT (document) DO UPDATE SET seq = excluded.seq`,
        [document, seq],
      );
    }
    return { changed: [...changed] };
  }

  private async upsertRow(tx: Queryable, row: IndexRow, changed: Set<string>): Promise<void> {
    const before = await this.rowIn(tx, row.workflow_id, row.user_id, row.category, true);
    if (before !== null && before.doc_seq > row.doc_seq) return;
    await tx.query(
      `INSERT INTO workflow_index AS w (workflow_id, user_id, category, name, description, tags, is_public, created_at,
         updated_at, opened_at, valid, invalid_reason, workflow, doc_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (workflow_id, user_id, category) DO UPDATE SET name = excluded.name,
         description = excluded.description, tags = excluded.tags, is_public = excluded.is_public,
         created_at = excluded.created_at, updated_at = excluded.updated_at, opened_at = excluded.opened_at,
         valid = excluded.valid, invalid_reason = excluded.invalid_reason, workflow = excluded.workflow,
         doc_seq = excluded.doc_seq
       WHERE w.doc_seq <= excluded.doc_seq`,
      [
        row.workflow_id, row.user_id, row.category, escapeNul(row.name), escapeNul(row.description), escapeNul(row.tags), row.is_public,
        row.created_at, row.updated_at, row.opened_at, row.valid, escapeNul(row.invalid_reason), row.workflow, row.doc_seq,
      ],
    );
    if (before === null || !sameContent(before, row)) changed.add(row.workflow_id);
  }

  private async deleteRow(tx: Queryable, workflowId: string, userId: string, category: WorkflowCategory): Promise<void> {
    await tx.query('DELETE FROM workflow_index WHERE workflow_id = $1 AND user_id = $2 AND category = $3', [workflowId, userId, category]);
    await tx.query('DELETE FROM workflow_thumbnails WHERE workflow_id = $1 AND user_id = $2', [workflowId, userId]);
    await tx.query(
      'DELETE FROM workflow_opened WHERE workflow_id = $1 AND NOT EXISTS (SELECT 1 FROM workflow_index WHERE workflow_id = $1)',
      [workflowId],
    );
  }

  /** Stores the open if there is none, else raises it if later (as times), under the row's lock. */
  private async raiseOpened(tx: Queryable, userId: string, workflowId: string, openedAt: string): Promise<void> {
    const inserted = await tx.query(
      'INSERT INTO workflow_opened (user_id, workflow_id, opened_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, workflow_id) DO NOTHING',
      [userId, workflowId, openedAt],
    );
    if (inserted.rowCount === 1) return;
    const known = await tx.query<{ opened_at: string }>(
      'SELECT opened_at FROM workflow_opened WHERE user_id = $1 AND workflow_id = $2 FOR UPDATE',
      [userId, workflowId],
    );
    if (openedLater(known.rows[0]?.opened_at ?? null, openedAt)) {
      await tx.query('UPDATE workflow_opened SET opened_at = $3 WHERE user_id = $1 AND workflow_id = $2', [userId, workflowId, openedAt]);
    }
  }

  async setUnpublishedReasons(verdicts: { workflowId: string; userId: string; reason: string | null }[]): Promise<void> {
    if (verdicts.length === 0) return;
    await this.pool.transaction(async (tx) => {
      for (const v of verdicts) {
        await tx.query(
          "UPDATE workflow_index SET unpublished_reason = $1 WHERE workflow_id = $2 AND user_id = $3 AND category = 'user'",
          [escapeNul(v.reason), v.workflowId, v.userId],
        );
      }
    });
  }

  async deleteUser(userId: string, document: string): Promise<string[]> {
    return this.pool.transaction(async (tx) => {
      const ids = (
        await tx.query<{ workflow_id: string }>(
          "SELECT workflow_id FROM workflow_index WHERE user_id = $1 AND category = 'user' ORDER BY workflow_id FOR UPDATE",
          [userId],
        )
      ).rows.map((r) => r.workflow_id);
      for (const id of ids) await this.deleteRow(tx, id, userId, 'user');
      await tx.query('DELETE FROM workflow_thumbnails WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM workflow_opened WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM workflow_index_state WHERE document = $1', [document]);
      return ids;
    });
  }

  async claimOwner(workflowId: string, userId: string, category: WorkflowCategory, at = new Date().toISOString()): Promise<Owner | null> {
    if (!(category === 'user' && workflowId.startsWith(RESERVED_ID_PREFIX))) {
      // Waits for a concurrent claimer's commit, then does nothing: the first claim wins.
      await this.pool.query(
        'INSERT INTO workflow_owners (workflow_id, user_id, category, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (workflow_id) DO NOTHING',
        [workflowId, userId, category, at],
      );
    }
    return this.owner(workflowId);
  }

  // ---- reads ---------------------------------------------------------------------------------------

  async owner(workflowId: string): Promise<Owner | null> {
    const result = await this.pool.query<Owner>('SELECT user_id AS "userId", category FROM workflow_owners WHERE workflow_id = $1', [workflowId]);
    return result.rows[0] ?? null;
  }

  async rowsForId(workflowId: string): Promise<IndexRow[]> {
    const result = await this.pool.query<RawRow>(
      `SELECT ${ROW_COLUMNS} FROM workflow_index WHERE workflow_id = $1 ORDER BY created_at, user_id`,
      [workflowId],
    );
    return result.rows.map(toRow);
  }

  async row(workflowId: string, userId: string, category: WorkflowCategory = 'user'): Promise<IndexRow | null> {
    return this.rowIn(this.pool, workflowId, userId, category, false);
  }

  private async rowIn(q: Queryable, workflowId: string, userId: string, category: WorkflowCategory, lock: boolean): Promise<IndexRow | null> {
    const result = await q.query<RawRow>(
      `SELECT ${ROW_COLUMNS} FROM workflow_index WHERE workflow_id = $1 AND user_id = $2 AND category = $3${lock ? ' FOR UPDATE' : ''}`,
      [workflowId, userId, category],
    );
    const raw = result.rows[0];
    return raw ? toRow(raw) : null;
  }

  async idsOf(userId: string, category: WorkflowCategory): Promise<string[]> {
    const result = await this.pool.query<{ workflow_id: string }>(
      'SELECT workflow_id FROM workflow_index WHERE user_id = $1 AND category = $2',
      [userId, category],
    );
    return result.rows.map((r) => r.workflow_id);
  }

  async sharedRowsOf(userId: string): Promise<{ shared: SharedRow[]; stale: string[] }> {
    return this.pool.transaction(
      async (tx) => {
        const shared = (
          await tx.query<{ workflow_id: string; bytes: number; unpublished_reason: string | null }>(
            `SELECT workflow_id, octet_length(workflow) AS bytes, unpublished_reason FROM workflow_index
             WHERE user_id = $1 AND category = 'user' AND valid AND is_public ORDER BY created_at, workflow_id`,
            [userId],
          )
        ).rows;
        const stale = (
          await tx.query<{ workflow_id: string }>(
            `SELECT workflow_id FROM workflow_index WHERE user_id = $1 AND category = 'user'
             AND unpublished_reason IS NOT NULL AND NOT (valid AND is_public)`,
            [userId],
          )
        ).rows.map((r) => r.workflow_id);
        return { shared: shared.map((r) => ({ ...r, unpublished_reason: unescapeNul(r.unpublished_reason) })), stale };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  }

  async usersWithSharedRows(): Promise<string[]> {
    const result = await this.pool.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user'
       AND ((valid AND is_public) OR unpublished_reason IS NOT NULL) ORDER BY user_id`,
    );
    return result.rows.map((r) => r.user_id);
  }

  async publishable(): Promise<IndexRow[]> {
    const result = await this.pool.query<RawRow>(
      `SELECT ${ROW_COLUMNS} FROM workflow_index WHERE valid AND (category = 'default' OR (is_public AND unpublished_reason IS NULL))
       ORDER BY created_at, user_id`,
    );
    return result.rows.map(toRow);
  }

  async list(viewer: Viewer, q: ListQuery): Promise<Page<ListItem>> {
    const where = buildWhere(viewer, q, hasUserCategoryForList(q.categories));
    const dir = q.direction === 'DESC' ? 'DESC' : 'ASC';
    const order = ORDER_SQL[q.orderBy];
    // SQLite's NULL placement: first ascending, last descending.
    const nulls = order.nulls ? (dir === 'ASC' ? ' NULLS FIRST' : ' NULLS LAST') : '';
    // The count joins what its filters need, nothing else (no thumbnails, no opens unless filtered on).
    const countSql = `SELECT COUNT(*) AS n FROM workflow_index w ${openedJoin(where.opened, where.viewer)} WHERE ${where.sql}`;
    const countParams = [...where.params.values];
    const orderBy = `ORDER BY ${order.keys.map((key) => `${key} ${dir}${nulls}`).join(', ')}, w.workflow_id ${dir}, w.user_id ${dir}`;
    const sortOpened = openedJoin(where.opened !== 'none' ? where.opened : q.orderBy === 'opened_at' ? 'left' : 'none', where.viewer);
    const unpublished = where.admin ? 'w.unpublished_reason' : `CASE WHEN w.user_id = ${where.viewer} THEN w.unpublished_reason END`;
    const columns = `w.workflow_id, w.user_id, w.category, w.name, w.description, w.tags, w.is_public, w.created_at,
        w.updated_at, o.opened_at AS opened_at, w.invalid_reason, t.version AS thumbnail_version, ${unpublished} AS unpublished_reason`;
    const thumbnails = 'LEFT JOIN workflow_thumbnails t ON t.workflow_id = w.workflow_id AND t.user_id = w.user_id';
    // One snapshot: the total and the page agree.
    return this.pool.transaction(
      async (tx) => {
        const total = Number((await tx.query<{ n: string }>(countSql, countParams)).rows[0]!.n);
        let items: ListItem[];
        if (q.perPage === null) {
          const rowOpened = openedJoin(where.opened === 'inner' ? 'inner' : 'left', where.viewer);
          items = (await tx.query<ListItem>(`SELECT ${columns} FROM workflow_index w ${rowOpened} ${thumbnails} WHERE ${where.sql} ${orderBy}`, where.params.values)).rows.map(unescapeText);
        } else {
          // The page's keys first, from the indexes alone (an index-only scan steps over the OFFSET rows
          // without visiting the table, which a deep page would otherwise read and sort); then its rows.
          const keyParams = new Params();
          where.params.values.forEach((v) => keyParams.add(v));
          const keys = (
            await tx.query<{ workflow_id: string; user_id: string; category: string }>(
              `SELECT w.workflow_id, w.user_id, w.category FROM workflow_index w ${sortOpened} WHERE ${where.sql} ${orderBy}
               LIMIT ${keyParams.add(q.perPage)} OFFSET ${keyParams.add(q.page * q.perPage)}`,
              keyParams.values,
            )
          ).rows;
          // buildWhere's first parameter ($1) is the viewer, in the columns as here.
          items = keys.length === 0
            ? []
            : (
                await tx.query<ListItem>(
                  `SELECT ${columns}
                   FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(workflow_id, user_id, category, n)
                   JOIN workflow_index w ON w.workflow_id = k.workflow_id AND w.user_id = k.user_id AND w.category = k.category
                   ${openedJoin('left', '$1')} ${thumbnails}
                   ORDER BY k.n`,
                  [viewer.userId, keys.map((k) => k.workflow_id), keys.map((k) => k.user_id), keys.map((k) => k.category)],
                )
              ).rows.map(unescapeText);
        }
        return {
          page: q.page,
          pages: q.perPage ? Math.ceil(total / q.perPage) : 1,
          per_page: q.perPage ?? total,
          total,
          items,
        };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  }

  async tags(viewer: Viewer, f: Pick<Filters, 'categories' | 'isPublic'>): Promise<string[]> {
    const where = buildWhere(viewer, { categories: f.categories, isPublic: f.isPublic }, hasUserCategoryForList(f.categories));
    const result = await this.pool.query<{ tags: string }>(
      `SELECT DISTINCT w.tags FROM workflow_index w WHERE w.tags <> '' AND ${where.sql}`,
      where.params.values,
    );
    return splitSortedTags(result.rows.map((r) => unescapeNul(r.tags)));
  }

  async countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    if (tags.length === 0) return result;
    // One pass over the visible rows per TAGS_PER_PASS tags, in one snapshot (a blank tag filters
    // nothing, as in the list). Passes, not one statement: a target list holds at most 1,664 entries,
    // and a request line can carry a few thousand tags.
    const distinct = [...new Set(tags.map((t) => t.trim()))];
    const counts = new Map<string, number>();
    await this.pool.transaction(
      async (tx) => {
        for (let start = 0; start < distinct.length; start += TAGS_PER_PASS) {
          const chunk = distinct.slice(start, start + TAGS_PER_PASS);
          const where = buildWhere(viewer, f, hasUserCategoryForList(f.categories));
          const columns = chunk.map((tag, i) =>
            tag === ''
              ? `COUNT(*) AS c${i}`
              : `COUNT(*) FILTER (WHERE lower(w.tags) LIKE ${where.params.add(likePattern(tag))} ESCAPE '\\') AS c${i}`,
          );
          const row = (
            await tx.query<Record<string, string>>(
              `SELECT ${columns.join(', ')} FROM workflow_index w ${openedJoin(where.opened, where.viewer)} WHERE ${where.sql}`,
              where.params.values,
            )
          ).rows[0]!;
          chunk.forEach((tag, i) => counts.set(tag, Number(row[`c${i}`])));
        }
      },
      { isolation: 'repeatable read', readOnly: true },
    );
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
    for (const category of categories) result[category] = await this.count(buildWhere(viewer, { ...f, categories: [category] }, hasUser));
    return result;
  }

  private async count(where: Where): Promise<number> {
    const result = await this.pool.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM workflow_index w ${openedJoin(where.opened, where.viewer)} WHERE ${where.sql}`,
      where.params.values,
    );
    return Number(result.rows[0]!.n);
  }

  async openedAt(userId: string, workflowId: string): Promise<string | null> {
    const result = await this.pool.query<{ opened_at: string }>(
      'SELECT opened_at FROM workflow_opened WHERE user_id = $1 AND workflow_id = $2',
      [userId, workflowId],
    );
    return result.rows[0]?.opened_at ?? null;
  }

  async indexedSeq(document: string): Promise<number | null> {
    const result = await this.pool.query<{ seq: string }>('SELECT seq FROM workflow_index_state WHERE document = $1', [document]);
    const seq = result.rows[0]?.seq;
    return seq === undefined ? null : Number(seq);
  }

  async indexedDocuments(): Promise<string[]> {
    const result = await this.pool.query<{ document: string }>('SELECT document FROM workflow_index_state ORDER BY document');
    return result.rows.map((r) => r.document);
  }

  async indexedUsers(): Promise<string[]> {
    const result = await this.pool.query<{ user_id: string }>(
      `SELECT user_id FROM workflow_index WHERE category = 'user' UNION SELECT user_id FROM workflow_opened ORDER BY 1`,
    );
    return result.rows.map((r) => r.user_id);
  }

  async usersWithRows(): Promise<string[]> {
    const result = await this.pool.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM workflow_index WHERE category = 'user' ORDER BY user_id`,
    );
    return result.rows.map((r) => r.user_id);
  }
}
