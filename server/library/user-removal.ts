// What goes with a deleted user (issue 9, finding 9): their library document, its index rows, their
// opens and thumbnails, and so their entries in `public`. One body for every path: the running
// server (after it has emptied the live document, library.ts), the CLI's `user remove` (no server
// running), and the start-up check for libraries whose owner is gone (a user row deleted by an older
// version, or by hand). Their workflow ids stay owned by them (workflow_owners), so no other library
// can ever take one over.
import { libraryDocument, parseDocumentName, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { VersionStore } from '../storage/version-store.js';
import type { WorkflowIndexStore } from '../storage/index-store.js';
import type { ThumbnailStore } from '../storage/thumbnail-store.js';

export interface StoredLibraryRemoval {
  store: DocumentStore;
  index: WorkflowIndexStore;
  /** The user's versions and trash go with their library (issue 12); absent where versioning is off. */
  versions?: Pick<VersionStore, 'forgetOwner'> | undefined;
}

/** Which of these users have an account, in one lookup (UserStore.getMany). */
export interface AccountLookup {
  getMany(userIds: readonly string[]): Promise<Map<string, unknown>>;
}

/**
 * Removes the stored library of `userId` and everything the index derived from it (rows, opens,
 * thumbnails, the indexed seq). `public` is not touched here: the running server republishes the ids
 * (library.ts), and at start `public` is rebuilt from the index, which no longer has them. Returns how
 * many workflows the library held.
 */
export async function removeStoredLibrary(userId: string, deps: StoredLibraryRemoval): Promise<number> {
  const name = libraryDocument(userId);
  const workflows = (await deps.index.idsOf(userId, 'user')).length;
  await deps.store.delete(name);
  await deps.index.deleteUser(userId, name);
  await deps.versions?.forgetOwner(userId);
  return workflows;
}

/** The users of `candidates` without an account, the system user never among them, sorted. */
async function withoutAccount(candidates: Iterable<string>, users: AccountLookup): Promise<string[]> {
  const ids = [...new Set(candidates)].filter((userId) => userId !== SYSTEM_USER_ID);
  if (ids.length === 0) return [];
  const existing = await users.getMany(ids);
  return ids.filter((userId) => !existing.has(userId)).sort();
}

/**
 * Users who left something behind but have no account: a stored library document, index rows,
 * opens or thumbnails. The system user (the defaults, the single-user library) is never one.
 */
export async function usersGone(deps: {
  store: DocumentStore;
  index: WorkflowIndexStore;
  thumbnails: ThumbnailStore;
  users: AccountLookup;
}): Promise<string[]> {
  const found = new Set<string>();
  const prefix = libraryDocument('');
  const documents = [...(await deps.store.storedSeqs(prefix)).keys(), ...(await deps.index.indexedDocuments())];
  for (const doc of documents) {
    const parsed = parseDocumentName(doc);
    if (parsed?.kind === 'library') found.add(parsed.userId);
  }
  for (const userId of await deps.index.indexedUsers()) found.add(userId);
  for (const userId of (await deps.thumbnails.bytesByOwner()).keys()) found.add(userId);
  return withoutAccount(found, deps.users);
}

/**
 * Users with index rows but no account, cheaply (the running server's sweep: a user removed by the CLI
 * beside it, or on another node). The index is what REST serves and the publisher publishes from.
 */
export async function indexedUsersGone(deps: { index: WorkflowIndexStore; users: AccountLookup }): Promise<string[]> {
  return withoutAccount(await deps.index.usersWithRows(), deps.users);
}
