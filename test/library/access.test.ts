// decideAccess as a table: every caller × workflow × action of the reference matrix (§2, MERGED),
// plus invalid entries and single-user mode.
import { describe, expect, it } from 'vitest';
import { decideAccess, type AccessDecision, type AccessTarget, type WorkflowAction } from '../../server/library/access.js';
import type { Viewer } from '../../server/storage/index-store.js';

const owner: Viewer = { userId: 'alice', isAdmin: false, multiuser: true };
const other: Viewer = { userId: 'bob', isAdmin: false, multiuser: true };
const admin: Viewer = { userId: 'root', isAdmin: true, multiuser: true };
const solo: Viewer = { userId: 'system', isAdmin: true, multiuser: false };

const targets: Record<string, AccessTarget> = {
  private: { user_id: 'alice', category: 'user', is_public: false, valid: true },
  shared: { user_id: 'alice', category: 'user', is_public: true, valid: true },
  default: { user_id: 'system', category: 'default', is_public: false, valid: true },
  invalid: { user_id: 'alice', category: 'user', is_public: true, valid: false },
  system: { user_id: 'system', category: 'user', is_public: false, valid: true },
};

// [viewer, target, read, open, write]
const table: [string, Viewer, string, AccessDecision, AccessDecision, AccessDecision][] = [
  ['owner', owner, 'private', 'ok', 'ok', 'ok'],
  ['owner', owner, 'shared', 'ok', 'ok', 'ok'],
  ['owner', owner, 'default', 'ok', 'ok', 'default'],
  ['owner', owner, 'invalid', 'ok', 'ok', 'ok'],
  ['other', other, 'private', 'forbidden', 'forbidden', 'forbidden'],
  ['other', other, 'shared', 'ok', 'ok', 'forbidden'],
  ['other', other, 'default', 'ok', 'ok', 'default'],
  ['other', other, 'invalid', 'hidden', 'hidden', 'hidden'],
  ['other', other, 'system', 'forbidden', 'forbidden', 'forbidden'],
  ['admin', admin, 'private', 'ok', 'ok', 'ok'],
  ['admin', admin, 'shared', 'ok', 'ok', 'ok'],
  ['admin', admin, 'default', 'ok', 'ok', 'default'],
  ['admin', admin, 'invalid', 'hidden', 'hidden', 'ok'],
  ['single-user', solo, 'private', 'ok', 'ok', 'ok'],
  ['single-user', solo, 'system', 'ok', 'ok', 'ok'],
  ['single-user', solo, 'default', 'ok', 'ok', 'default'],
];

describe('decideAccess', () => {
  for (const [who, viewer, target, read, open, write] of table) {
    it(`${who} on a ${target} workflow: read ${read}, open ${open}, write ${write}`, () => {
      const actions: [WorkflowAction, AccessDecision][] = [['read', read], ['open', open], ['write', write]];
      for (const [action, expected] of actions) expect(decideAccess(viewer, targets[target]!, action)).toBe(expected);
    });
  }
});
