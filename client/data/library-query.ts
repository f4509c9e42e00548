// The library list computed in the browser from the documents, with the same semantics as the REST
// list (reference §2 `get_many` and §6 view table), so the app needs no server to filter or sort:
// - tags: a selected tag matches as a case-insensitive substring of the tags string (SQL LIKE), OR
//   between selected tags; so spellings that differ only in case ("Text to Image 2", "text to image 2")
//   are one tag to every filter, and the tag panel lists them once (REST's GET /tags, like InvokeAI's,
//   lists both spellings, each counting the same workflows);
// - query: the trimmed query as a case-insensitive substring of name, description or tags;
// - order: by one column in the given direction, null opened_at first ascending, last descending.
//   REST has no secondary key (SQLite returns ties in any order); we break ties by id so tiles do not
//   jump between renders.
import { splitTags } from '../../shared/workflow/tags.js';

export type LibraryView = 'recent' | 'yours' | 'shared' | 'defaults';
export type OrderBy = 'opened_at' | 'created_at' | 'updated_at' | 'name' | 'is_public';
export type Direction = 'ASC' | 'DESC';

/** One tile's worth of data, from the user's library or from the `public` document. */
export interface LibraryItem {
  id: string;
  name: string;
  description: string;
  tags: string;
  category: 'user' | 'default';
  isPublic: boolean;
  ownerId: string;
  ownerName: string | null;
  createdAt: string;
  updatedAt: string;
  openedAt: string | null;
  /** where the item was read from: 'library' items are the user's own and editable */
  source: 'library' | 'public';
  /**
   * null when valid; otherwise why the server will never take the entry as a workflow of this library
   * (not a valid workflow, or its id belongs to another library): such an entry is never published
   */
  invalidReason: string | null;
  /** the server's reason for keeping this shared workflow out of `public` (own items only); absent: none known */
  unpublishedReason?: string | null;
  /** Version of the thumbnail image; null: none; absent: not recorded (see data/thumbnails.ts). */
  thumbnail?: string | null;
}

export interface ListQuery {
  view: LibraryView;
  query: string;
  selectedTags: string[];
  orderBy: OrderBy;
  direction: Direction;
}

/** Static tag groups of "Browse Workflows" (reference §6). */
export const DEFAULT_TAG_GROUPS: { label: string; tags: string[] }[] = [
  { label: 'Industry', tags: ['Architecture', 'Fashion', 'Game Dev', 'Food'] },
  {
    label: 'Common Tasks',
    tags: ['Upscaling', 'Text to Image', 'Image to Image', 'Text to Video', 'Image to Video', 'Video to Video'],
  },
  { label: 'Model Architecture', tags: ['SD1.5', 'SDXL', 'SD3.5', 'FLUX', 'CogView4'] },
  { label: 'Tech Showcase', tags: ['Control', 'Reference Image'] },
];

export const ORDER_OPTIONS: { value: OrderBy; label: string }[] = [
  { value: 'opened_at', label: 'Opened' },
  { value: 'created_at', label: 'Created' },
  { value: 'updated_at', label: 'Updated' },
  { value: 'name', label: 'Name' },
  { value: 'is_public', label: 'Shared' },
];

const lower = (s: string): string => s.toLowerCase();

export function matchesTag(item: LibraryItem, tag: string): boolean {
  return lower(item.tags).includes(lower(tag.trim()));
}

export function matchesQuery(item: LibraryItem, query: string): boolean {
  const q = lower(query.trim());
  if (!q) return true;
  return lower(item.name).includes(q) || lower(item.description).includes(q) || lower(item.tags).includes(q);
}

/** The items a view starts from, before search and tag filters (reference §6 view table). */
export function viewItems(view: LibraryView, own: LibraryItem[], publicItems: LibraryItem[]): LibraryItem[] {
  switch (view) {
    case 'recent': {
      // Own workflows, defaults and shared workflows the user opened (their times come from the
      // user's own library: entries' opened_at and the `opened` map). An own shared workflow is
      // listed once, as the own item.
      const ownIds = new Set(own.map((i) => i.id));
      const others = publicItems.filter((i) => i.openedAt !== null && !ownIds.has(i.id));
      return [...own.filter((i) => i.openedAt !== null), ...others];
    }
    case 'yours':
      return own;
    case 'shared':
      return publicItems.filter((i) => i.category === 'user' && i.isPublic);
    case 'defaults':
      return publicItems.filter((i) => i.category === 'default');
  }
}

/**
 * Recent is always opened_at DESC (it has no order control). Every other view lists in the chosen
 * order; switching to shared chooses name ASC (viewSwitchOrder), which the user may then change, as
 * in InvokeAI (reference §6: its sort control is hidden only in recent).
 */
export function effectiveOrder(q: ListQuery): { orderBy: OrderBy; direction: Direction } {
  if (q.view === 'recent') return { orderBy: 'opened_at', direction: 'DESC' };
  return { orderBy: q.orderBy, direction: q.direction };
}

/** The order a switch to `view` sets (InvokeAI's workflowLibraryViewChanged); null: keep the current one. */
export function viewSwitchOrder(view: LibraryView): { orderBy: OrderBy; direction: Direction } | null {
  if (view === 'recent') return { orderBy: 'opened_at', direction: 'DESC' };
  if (view === 'shared') return { orderBy: 'name', direction: 'ASC' };
  return null;
}

/** Whether a view offers the Order by control (every view but recent). */
export function viewHasOrderControl(view: LibraryView): boolean {
  return view !== 'recent';
}

function sortKey(item: LibraryItem, orderBy: OrderBy): string | number | null {
  switch (orderBy) {
    case 'opened_at':
      return item.openedAt;
    case 'created_at':
      return item.createdAt;
    case 'updated_at':
      return item.updatedAt;
    case 'name':
      return item.name;
    case 'is_public':
      return item.isPublic ? 1 : 0;
  }
}

export function sortItems(items: LibraryItem[], orderBy: OrderBy, direction: Direction): LibraryItem[] {
  const sign = direction === 'ASC' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = sortKey(a, orderBy);
    const kb = sortKey(b, orderBy);
    let c = 0;
    if (ka === null && kb !== null) c = -1;
    else if (ka !== null && kb === null) c = 1;
    else if (ka !== null && kb !== null) c = ka < kb ? -1 : ka > kb ? 1 : 0;
    if (c !== 0) return c * sign;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** Tags only filter the views that offer a tag panel (yours, defaults), as in InvokeAI. */
export function viewUsesTags(view: LibraryView): boolean {
  return view === 'yours' || view === 'defaults';
}

export function listItems(q: ListQuery, own: LibraryItem[], publicItems: LibraryItem[]): LibraryItem[] {
  let items = viewItems(q.view, own, publicItems).filter((i) => matchesQuery(i, q.query));
  if (viewUsesTags(q.view) && q.selectedTags.length > 0) {
    items = items.filter((i) => q.selectedTags.some((t) => matchesTag(i, t)));
  }
  const { orderBy, direction } = effectiveOrder(q);
  return sortItems(items, orderBy, direction);
}

/** Tags that differ only in case are one tag (every tag filter matches case-insensitively). */
export function sameTag(a: string, b: string): boolean {
  return lower(a.trim()) === lower(b.trim());
}

/** Whether `tag`, in any spelling, is among the selected tags. */
export function isTagSelected(selected: readonly string[], tag: string): boolean {
  return selected.some((t) => sameTag(t, tag));
}

/**
 * Distinct tags of the given items, one per case-insensitive spelling, sorted like GET /tags
 * (case-sensitive). A tag spelled several ways is shown as its most used spelling; on a tie, the
 * first of them in that sort.
 */
export function distinctTags(items: LibraryItem[]): string[] {
  const uses = new Map<string, Map<string, number>>();
  for (const tag of items.flatMap((i) => splitTags(i.tags))) {
    const spellings = uses.get(lower(tag)) ?? new Map<string, number>();
    spellings.set(tag, (spellings.get(tag) ?? 0) + 1);
    uses.set(lower(tag), spellings);
  }
  const shown = [...uses.values()].map((spellings) => {
    const sorted = [...spellings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
  });
  return shown.sort();
}

/**
 * Count per tag like GET /counts_by_tag: substring match over the view's items with the search
 * query applied but not the tag selection (the panel shows what each tag would add).
 */
export function countsByTag(tags: string[], items: LibraryItem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const tag of tags) counts.set(tag, items.filter((i) => matchesTag(i, tag)).length);
  return counts;
}
