// Reads tiles out of the documents: the user's library (nested Y types) and `public` (plain entries).
import type * as Y from 'yjs';
import { listEntryIds, readEntry, type LibraryEntryRead } from '../../shared/workflow/library-doc.js';
import { publicMap, readPublicEntry, type PublicEntry } from '../../shared/workflow/public-doc.js';
import { isPlainObject } from '../../shared/workflow/json.js';
import type { LibraryItem } from './library-query.js';
import { ownershipProblem, type ServerVerdict } from './server-verdicts.js';
import { libraryEntryVersions, publicEntryVersions, type EntryVersions } from './entry-versions.js';

function str(o: unknown, key: string): string {
  return isPlainObject(o) && typeof o[key] === 'string' ? (o[key] as string) : '';
}

/** What beyond the library document decides how its items are shown. */
export interface LibraryContext {
  /** `public`: an own id published under another owner (or as a default) is quarantined */
  publicDoc?: Y.Doc | null;
  /** the server's verdicts on the owner's flagged items (server-verdicts.ts) */
  verdicts?: ReadonlyMap<string, ServerVerdict>;
}

/**
 * Every entry of a library, invalid ones included (they are listed with the reason, so the owner
 * learns why it is not shared, contract §5). An entry is invalid when the document says so, when
 * `public` shows its id belongs elsewhere, or when the server said so (its verdict wins: it also
 * knows the owners of ids that were never published).
 */
export function libraryItems(doc: Y.Doc, ownerId: string, ownerName: string | null, context: LibraryContext = {}): LibraryItem[] {
  const reads = cacheOf(libraryCaches, doc);
  const versions = libraryEntryVersions(doc);
  const items = cachedEach(reads, listEntryIds(doc), versions, (id) => readEntry(doc, id)!, (id, read) => {
    const verdict = context.verdicts?.get(id);
    const localReason = read.valid ? ownershipProblem(id, ownerId, context.publicDoc) : read.reason;
    const invalidReason = verdict?.invalidReason ?? localReason;
    const unpublishedReason = verdict?.unpublishedReason ?? null;
    return {
      shownBy: [ownerId, ownerName, invalidReason, unpublishedReason],
      make: () => {
        const wf = read.entry.workflow;
        const item: LibraryItem = {
          id,
          name: str(wf, 'name') || (invalidReason === null ? '' : `(invalid workflow ${id.slice(0, 8)})`),
          description: str(wf, 'description'),
          tags: str(wf, 'tags'),
          category: 'user',
          isPublic: read.entry.is_public,
          ownerId,
          ownerName,
          createdAt: read.entry.created_at,
          updatedAt: read.entry.updated_at,
          openedAt: read.entry.opened_at,
          source: 'library',
          invalidReason,
          unpublishedReason,
        };
        if (read.entry.thumbnail !== undefined) item.thumbnail = read.entry.thumbnail;
        return item;
      },
    };
  });
  return items.filter(isItem);
}

/**
 * `opened`: the user's own opens of workflows outside their library (opened-doc.ts), read from their
 * library document; it gives these items the user's opened time. Malformed entries are left out.
 */
export function publicItems(doc: Y.Doc, opened: ReadonlyMap<string, string> = new Map()): LibraryItem[] {
  const map = publicMap(doc);
  const reads = cacheOf(publicCaches, doc);
  const ids = Array.from(map.keys()).sort();
  const items = cachedEach(reads, ids, publicEntryVersions(doc), (id) => readPublicEntry(doc, id), (id, e) => {
    if (e === null) return null;
    const openedAt = opened.get(id) ?? null;
    return {
      shownBy: [openedAt],
      make: (): LibraryItem => ({
        id,
        name: e.workflow.name,
        description: e.workflow.description,
        tags: e.workflow.tags,
        category: e.category,
        isPublic: e.is_public,
        ownerId: e.user_id,
        ownerName: e.owner_name,
        createdAt: e.created_at,
        updatedAt: e.updated_at,
        openedAt,
        source: 'public',
        invalidReason: null,
        // `public` always says: an absent version means no image.
        thumbnail: e.thumbnail ?? null,
      }),
    };
  });
  return items.filter(isItem);
}

function isItem(item: LibraryItem | null): item is LibraryItem {
  return item !== null;
}

// Reading an entry validates its whole workflow, the costly part of a render over a thousand
// workflows; so each entry's read is kept per entry version (entry-versions.ts: any change inside the
// entry, from any device), and a render after one change reads that entry alone. The item made from
// it is kept too while nothing else it shows changed, so its tile (same object) skips its update.
interface Cached<R> {
  version: number;
  read: R;
  item?: LibraryItem | null;
  shownBy?: unknown[];
}
type Cache<R> = Map<string, Cached<R>>;
const libraryCaches = new WeakMap<Y.Doc, Cache<LibraryEntryRead>>();
const publicCaches = new WeakMap<Y.Doc, Cache<PublicEntry | null>>();

function cacheOf<R>(caches: WeakMap<Y.Doc, Cache<R>>, doc: Y.Doc): Cache<R> {
  let cache = caches.get(doc);
  if (!cache) {
    cache = new Map();
    caches.set(doc, cache);
  }
  return cache;
}

function cachedEach<R>(
  cache: Cache<R>,
  ids: string[],
  versions: EntryVersions,
  read: (id: string) => R,
  show: (id: string, read: R) => { shownBy: unknown[]; make: () => LibraryItem } | null,
): Array<LibraryItem | null> {
  if (cache.size > ids.length) {
    const present = new Set(ids);
    for (const id of cache.keys()) if (!present.has(id)) cache.delete(id);
  }
  return ids.map((id) => {
    const version = versions.version(id);
    let cached = cache.get(id);
    if (cached?.version !== version) {
      cached = { version, read: read(id) };
      cache.set(id, cached);
    }
    const shown = show(id, cached.read);
    if (shown === null) return null;
    const same = cached.item !== undefined && cached.shownBy?.length === shown.shownBy.length && cached.shownBy.every((v, i) => v === shown.shownBy[i]);
    if (!same) {
      cached.item = shown.make();
      cached.shownBy = shown.shownBy;
    }
    return cached.item ?? null;
  });
}
