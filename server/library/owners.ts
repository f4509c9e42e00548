// Who owns a workflow id (migration 0004): the first library the indexer saw it in, or the defaults
// folder. A record is never removed, not when the workflow is deleted and not when its user is, so an
// id seen in `public` can never be taken over by another library: an entry under an id owned elsewhere
// is quarantined by the indexer (kept in its document, listed to its owner as invalid, never published
// or served to anyone else). Nothing a client writes (timestamps, is_public) enters into it.
import type { Database, Statement } from 'better-sqlite3';
import type { WorkflowCategory } from './index-store.js';

export interface Owner {
  userId: string;
  category: WorkflowCategory;
}

/** Ids with this prefix belong to the defaults folder; a library can never claim one. */
export const RESERVED_ID_PREFIX = 'default_';

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

export class OwnerStore {
  private readonly ownerStmt: Statement;
  private readonly claimStmt: Statement;

  constructor(db: Database) {
    this.ownerStmt = db.prepare('SELECT user_id AS userId, category FROM workflow_owners WHERE workflow_id = ?');
    this.claimStmt = db.prepare(
      'INSERT INTO workflow_owners (workflow_id, user_id, category, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (workflow_id) DO NOTHING',
    );
  }

  owner(workflowId: string): Owner | null {
    return (this.ownerStmt.get(workflowId) as Owner | undefined) ?? null;
  }

  /**
   * The owner of the id, claiming it for `userId` first if nobody owns it yet. Ids with the reserved
   * prefix are only claimed by the defaults; for a library they stay unowned (and the entry invalid).
   */
  claim(workflowId: string, userId: string, category: WorkflowCategory, at = new Date().toISOString()): Owner | null {
    if (category === 'user' && workflowId.startsWith(RESERVED_ID_PREFIX)) return this.owner(workflowId);
    this.claimStmt.run(workflowId, userId, category, at);
    return this.owner(workflowId);
  }
}

/** Whether this owner is the library of `userId` (not the defaults, not another library). */
export function isLibraryOwner(owner: Owner | null, userId: string): boolean {
  return owner !== null && owner.category === 'user' && owner.userId === userId;
}
