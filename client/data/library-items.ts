// Reads tiles out of the documents: the user's library (nested Y types) and `public` (plain entries).
import type * as Y from 'yjs';
import { readAll } from '../../shared/workflow/library-doc.js';
import { readPublicEntries } from '../../shared/workflow/public-doc.js';
import { isPlainObject } from '../../shared/workflow/json.js';
import type { LibraryItem } from './library-query.js';
import { ownershipProblem, type ServerVerdict } from './server-verdicts.js';

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
  return readAll(doc).map(([id, read]) => {
    const wf = read.entry.workflow;
    const verdict = context.verdicts?.get(id);
    const localReason = read.valid ? ownershipProblem(id, ownerId, context.publicDoc) : read.reason;
    const invalidReason = verdict?.invalidReason ?? localReason;
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
      unpublishedReason: verdict?.unpublishedReason ?? null,
    };
    if (read.entry.thumbnail !== undefined) item.thumbnail = read.entry.thumbnail;
    return item;
  });
}

/**
 * `opened`: the user's own opens of workflows outside their library (opened-doc.ts), read from their
 * library document; it gives these items the user's opened time.
 */
export function publicItems(doc: Y.Doc, opened: ReadonlyMap<string, string> = new Map()): LibraryItem[] {
  return readPublicEntries(doc).map(([id, e]) => ({
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
    openedAt: opened.get(id) ?? null,
    source: 'public',
    invalidReason: null,
    // `public` always says: an absent version means no image.
    thumbnail: e.thumbnail ?? null,
  }));
}
