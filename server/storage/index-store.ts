// The workflow index PORT: every workflow of every library and the defaults as rows (what REST lists
// and the publisher publishes), the per-user opens, the indexed seq of each library document, and who
// owns each workflow id. Pure storage with InvokeAI's visibility rules of the MERGED list endpoints
// (reference §2) built into its queries; it knows nothing of documents. Every method is async; the
// implementations (sqlite/index-store.ts, postgres/index-store.ts) pass test/storage/index-store-suite.ts.
//
// Several nodes may index the same document (each indexes what it commits, a reconcile catches the
// rest), so writes are idempotent: a row carries the store seq of the document it was read from
// (doc_seq) and is never replaced by a row read from an older seq; opens only ever move forward; an id
// is owned by its first claimer, whoever else claims it at the same moment.
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
export interface IndexedWorkflow {
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
  /** Store seq of the library document the row was read from (0 for defaults). */
  doc_seq: number;
  /**
   * Set by the publisher (never by the indexer) when a valid shared workflow is kept out of `public`
   * (too large, or over its owner's publishing budget); rows read from the store always carry it.
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
  /** UTF-8 bytes of the workflow JSON. */
  bytes: number;
  unpublished_reason: string | null;
}

export interface Filters {
  categories?: WorkflowCategory[] | undefined;
  /** Any of them as a substring of the tags (OR), ASCII case-insensitive like InvokeAI's LIKE. */
  tags?: string[] | undefined;
  /** Substring of name, description or tags (ASCII case-insensitive, `%` and `_` literal); blank is ignored. */
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

export interface RowKey {
  workflowId: string;
  userId: string;
  category: WorkflowCategory;
}

export interface OpenRecord {
  userId: string;
  workflowId: string;
  /** ISO 8601 UTC; compared as a time, not as text (fractions may differ in length). */
  openedAt: string;
}

/** One batch of the indexer's (or the defaults') writes, applied in ONE transaction. */
export interface IndexChanges {
  /** Rows to write. A stored row with a higher doc_seq is kept (it was read from a newer document). */
  upserts?: IndexRow[];
  /**
   * Rows to remove, with their thumbnail (thumbnails are keyed by owner); when no row holds the id any
   * more, its opens go too. With `docSeq`, a stored row with a higher doc_seq is kept.
   */
  deletes?: (RowKey & { docSeq?: number })[];
  /** Opens; each is kept only if later than the one stored. */
  opened?: OpenRecord[];
  /** "The index matches this document as of this seq", set as given (STALE -1 forces a reindex). */
  indexedSeqs?: { document: string; seq: number }[];
}

export interface AppliedChanges {
  /** Ids whose rows were added, removed, or changed apart from doc_seq (what the publisher republishes). */
  changed: string[];
}

export interface Owner {
  userId: string;
  category: WorkflowCategory;
}

export interface WorkflowIndexStore {
  // ---- writes --------------------------------------------------------------------------------------
  applyChanges(changes: IndexChanges): Promise<AppliedChanges>;
  /** The publisher's verdicts on shared rows (null: published), in one transaction. */
  setUnpublishedReasons(verdicts: { workflowId: string; userId: string; reason: string | null }[]): Promise<void>;
  /**
   * Forgets everything of a deleted user: their rows, thumbnails, opens and the document's indexed
   * seq. Their ids stay owned by them. Returns the ids of the rows removed.
   */
  deleteUser(userId: string, document: string): Promise<string[]>;
  /**
   * The owner of the id, claiming it for `userId` first if nobody owns it yet (the first claim wins,
   * concurrent ones included). Ids with the reserved prefix `default_` are only claimed for the
   * defaults; for a library they stay unowned (null).
   */
  claimOwner(workflowId: string, userId: string, category: WorkflowCategory, at?: string): Promise<Owner | null>;

  // ---- reads ---------------------------------------------------------------------------------------
  owner(workflowId: string): Promise<Owner | null>;
  /** Every row with this id, oldest first (normally one; more only if a client copied an id). */
  rowsForId(workflowId: string): Promise<IndexRow[]>;
  row(workflowId: string, userId: string, category?: WorkflowCategory): Promise<IndexRow | null>;
  /** Ids indexed for one library (category 'user') or for the defaults (user 'system', category 'default'). */
  idsOf(userId: string, category: WorkflowCategory): Promise<string[]>;
  /**
   * Every row of a library the publisher must decide on: the valid shared ones with their size,
   * oldest first, and any other row still carrying a reason (stale).
   */
  sharedRowsOf(userId: string): Promise<{ shared: SharedRow[]; stale: string[] }>;
  /** Every user with a valid shared workflow or a withheld one. */
  usersWithSharedRows(): Promise<string[]>;
  /** Valid rows published to everyone: every default, every valid shared row not withheld; oldest first. */
  publishable(): Promise<IndexRow[]>;
  list(viewer: Viewer, q: ListQuery): Promise<Page<ListItem>>;
  /** Every distinct tag of the visible rows, trimmed, sorted (case-sensitive, as InvokeAI's sorted()). */
  tags(viewer: Viewer, f: Pick<Filters, 'categories' | 'isPublic'>): Promise<string[]>;
  /** One count per given tag (substring match, as the list filter). */
  countsByTag(viewer: Viewer, tags: string[], f: Omit<Filters, 'tags' | 'query'>): Promise<Record<string, number>>;
  /** One count per given category; the owner filter applies when 'user' is asked for (as InvokeAI). */
  countsByCategory(
    viewer: Viewer,
    categories: WorkflowCategory[],
    f: Pick<Filters, 'hasBeenOpened' | 'isPublic'>,
  ): Promise<Record<string, number>>;
  openedAt(userId: string, workflowId: string): Promise<string | null>;
  indexedSeq(document: string): Promise<number | null>;
  indexedDocuments(): Promise<string[]>;
  /** Users that left rows, opens or an indexed document behind (the system user included). */
  indexedUsers(): Promise<string[]>;
  /** Users with rows of category 'user' (the running server's cheap sweep for removed users). */
  usersWithRows(): Promise<string[]>;
}

/** LIKE pattern for a substring, with LIKE's wildcards escaped (InvokeAI lets "_" match anything). */
export function likeSubstring(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Equal apart from doc_seq (which moves on every commit) and the publisher's unpublished_reason. */
export function sameContent(a: IndexRow, b: IndexRow): boolean {
  const keys: (keyof IndexRow)[] = [
    'workflow_id', 'user_id', 'category', 'name', 'description', 'tags', 'is_public', 'created_at',
    'updated_at', 'opened_at', 'valid', 'invalid_reason', 'workflow',
  ];
  return keys.every((k) => a[k] === b[k]);
}

/** Whether `at` is later than `known` as a time (null: nothing known). */
export function openedLater(known: string | null, at: string): boolean {
  return known === null || Date.parse(known) < Date.parse(at);
}

/**
 * InvokeAI's owner filter: a regular user in multiuser mode who asks for user workflows without
 * asking for public ones only sees their own (plus every default). Every other combination already
 * restricts the result to defaults or public rows, so nothing private leaks.
 */
export function ownerFilterApplies(viewer: Viewer, hasUserCategory: boolean, isPublic: boolean | undefined): boolean {
  return viewer.multiuser && !viewer.isAdmin && hasUserCategory && isPublic !== true;
}

export function hasUserCategoryForList(categories: WorkflowCategory[] | undefined): boolean {
  return !categories || categories.length === 0 || categories.includes('user');
}

/** The distinct trimmed tags of comma-separated tag strings, sorted by code unit (Python's sorted()). */
export function splitSortedTags(tagStrings: string[]): string[] {
  const all = new Set<string>();
  for (const tags of tagStrings) for (const t of tags.split(',')) if (t.trim() !== '') all.add(t.trim());
  return [...all].sort();
}

/** Ids with this prefix belong to the defaults folder; a library can never claim one. */
export const RESERVED_ID_PREFIX = 'default_';
