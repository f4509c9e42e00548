import { describe, expect, it } from 'vitest';
import type { Principal } from '../../server/auth/principal.js';
import { accessFor, type Access } from '../../server/sync/policy.js';

const alice: Principal = { userId: 'alice-id', email: 'alice@example.com', isAdmin: false };
const bob: Principal = { userId: 'bob-id', email: 'bob@example.com', isAdmin: false };
const admin: Principal = { userId: 'admin-id', email: 'admin@example.com', isAdmin: true };
const system: Principal = { userId: 'system', email: 'system@system.invokeai', isAdmin: true };

const table: Array<[string, Principal | null, string, boolean, Access]> = [
  ['owner writes their library', alice, 'library/alice-id', true, 'read-write'],
  ['another user is shut out of a library', bob, 'library/alice-id', true, 'none'],
  ['an admin writes anyone’s library', admin, 'library/alice-id', true, 'read-write'],
  ['every user reads public', alice, 'public', true, 'read-only'],
  ['an admin only reads public too', admin, 'public', true, 'read-only'],
  ['nobody without a principal', null, 'library/alice-id', true, 'none'],
  ['nobody without a principal reads public', null, 'public', true, 'none'],
  ['unknown document name', admin, 'secrets', true, 'none'],
  ['library name with a path in it', admin, 'library/../alice-id', true, 'none'],
  ['empty library id', admin, 'library/', true, 'none'],
  ['single-user: the system library is writable', system, 'library/system', false, 'read-write'],
  ['single-user: public is read-only', system, 'public', false, 'read-only'],
  ['single-user: no other library exists', system, 'library/alice-id', false, 'none'],
  ['multiuser: the system library is not a login’s own', alice, 'library/system', true, 'none'],
];

describe('accessFor', () => {
  it.each(table)('%s', (_name, principal, document, multiuser, expected) => {
    expect(accessFor(principal, document, { multiuser })).toBe(expected);
  });
});
