// Who may do what with one workflow (reference §2 visibility matrix, MERGED, with the fixes listed in
// docs/invokeai-compat.md). One pure function, tested as a table in test/library/access.test.ts.
import type { Viewer, WorkflowCategory } from '../storage/index-store.js';

/**
 * - read: GET by id, download.
 * - open: PUT opened_at (per user: anyone who may read it may record that they opened it).
 * - write: PATCH, DELETE, is_public, thumbnail PUT/DELETE.
 */
export type WorkflowAction = 'read' | 'open' | 'write';

export interface AccessTarget {
  user_id: string;
  category: WorkflowCategory;
  is_public: boolean;
  valid: boolean;
}

/**
 * - ok;
 * - hidden: answer as if it did not exist (404): invalid entries of others;
 * - default: a write to a default workflow (403, InvokeAI's 500);
 * - forbidden: exists but not the caller's (403, InvokeAI's behaviour).
 */
export type AccessDecision = 'ok' | 'hidden' | 'default' | 'forbidden';

export function decideAccess(viewer: Viewer, target: AccessTarget, action: WorkflowAction): AccessDecision {
  const owner = target.user_id === viewer.userId;
  // Single-user mode: the one user is an administrator (InvokeAI's synthetic system principal).
  const admin = viewer.isAdmin || !viewer.multiuser;
  // An invalid entry is its owner's business; an administrator may still repair or delete it.
  if (!target.valid && !owner && !(admin && action === 'write')) return 'hidden';
  if (target.category === 'default') return action === 'write' ? 'default' : 'ok';
  if (owner || admin) return 'ok';
  if (action !== 'write' && target.is_public) return 'ok';
  return 'forbidden';
}
