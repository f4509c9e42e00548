// What goes with a deleted user (issue 9, finding 9): their library document, its index rows, their
// opens and thumbnails, and so their entries in `public`. One body for every path: the running
// server (after it has emptied the live document, library.ts), the CLI's `user remove` (no server
// running), and the start-up check for libraries whose owner is gone (a user row deleted by an older
// version, or by hand). Their workflow ids stay owned by them (workflow_owners), so no other library
// can ever take one over.
import type { Database } from 'better-sqlite3';
import { libraryDocument, parseDocumentName, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { IndexStore } from './index-store.js';

export interface StoredLibraryRemoval {
  store: DocumentStore;
  index: IndexStore;
}

/**
 * Removes the stored library of `userId` and everything the index derived from it. `public` is not
 * touched here: the running server republishes the ids (library.ts), and at start `public` is rebuilt
 * from the index, which no longer has them. Returns how many workflows the library held.
 */
export async function removeStoredLibrary(userId: string, deps: StoredLibraryRemoval): Promise<number> {
  const name = libraryDocument(userId);
  const workflows = deps.index.idsOf(userId, 'user').length;
  await deps.store.delete(name);
  deps.index.deleteUser(userId, name);
  return workflows;
}

/**
 * Users who left something behind but have no account: a stored library document, index rows,
 * opens or thumbnails. The system user (the defaults, the single-user library) is never one.
 */
export async function usersGone(db: Database, store: DocumentStore): Promise<string[]> {
  const found = new Set<string>();
  const prefix = libraryDocument('');
  const indexed = db
    .prepare('SELECT document AS doc FROM workflow_index_state WHERE substr(document, 1, ?) = ?')
    .all(prefix.length, prefix) as { doc: string }[];
  const documents = [...(await store.storedSeqs(prefix)).keys(), ...indexed.map((row) => row.doc)];
  for (const doc of documents) {
    const parsed = parseDocumentName(doc);
    if (parsed?.kind === 'library') found.add(parsed.userId);
  }
  const owners = db
    .prepare(
      `SELECT user_id FROM workflow_index WHERE category = 'user' UNION SELECT user_id FROM workflow_opened
       UNION SELECT user_id FROM workflow_thumbnails`,
    )
    .all() as { user_id: string }[];
  for (const { user_id } of owners) found.add(user_id);
  const exists = db.prepare('SELECT 1 FROM users WHERE user_id = ?');
  return [...found].filter((userId) => userId !== SYSTEM_USER_ID && exists.get(userId) === undefined).sort();
}

/**
 * Users with index rows but no account, cheaply (the running server's sweep: a user removed by the CLI
 * beside it). The index is what REST serves and the publisher publishes from.
 */
export function indexedUsersGone(db: Database): string[] {
  return (
    db
      .prepare(
        `SELECT DISTINCT w.user_id FROM workflow_index w WHERE w.category = 'user' AND w.user_id <> ?
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = w.user_id)`,
      )
      .all(SYSTEM_USER_ID) as { user_id: string }[]
  ).map((r) => r.user_id);
}
