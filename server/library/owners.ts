// Who owns a workflow id (migration 0004): the first library the indexer saw it in, or the defaults
// folder. A record is never removed, not when the workflow is deleted and not when its user is, so an
// id seen in `public` can never be taken over by another library: an entry under an id owned elsewhere
// is quarantined by the indexer (kept in its document, listed to its owner as invalid, never published
// or served to anyone else). Nothing a client writes (timestamps, is_public) enters into it.
// The records live in the workflow index store (WorkflowIndexStore.claimOwner/owner); these are the rules.
import { RESERVED_ID_PREFIX, type Owner } from '../storage/index-store.js';

export { RESERVED_ID_PREFIX, type Owner };

export const OWNED_ELSEWHERE_REASON =
  'id: this id belongs to another library (a workflow id cannot be reused; save it as a new workflow)';

/**
 * The owner of ids that several libraries already held when ownership records began (migration
 * 0004): nobody, since no stored value can tell who came first. Every copy is quarantined.
 */
export const NOBODY = '';

export const CONTESTED_REASON =
  'id: several libraries held this id when workflow ids became owned, so it is nobody\'s; save it as a new workflow';

/** Why an entry under an id with this owner is quarantined in the library of `userId`; null when it is theirs. */
export function quarantineReason(owner: Owner | null, userId: string): string | null {
  if (owner === null || isLibraryOwner(owner, userId)) return null;
  return owner.category === 'user' && owner.userId === NOBODY ? CONTESTED_REASON : OWNED_ELSEWHERE_REASON;
}

/** Whether this owner is the library of `userId` (not the defaults, not another library). */
export function isLibraryOwner(owner: Owner | null, userId: string): boolean {
  return owner !== null && owner.category === 'user' && owner.userId === userId;
}
