// The acceptance suite every UserRepository + SettingsStore pair must pass (run per backend:
// sqlite-user-store.test.ts, postgres-user-store.test.ts). It checks what server/auth/users.ts
// `UserStore` relies on: case-insensitive unique emails, conditional writes that are atomic also
// between two nodes (two connections to one database), the token epoch, and one JWT secret for all.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, UserStore } from '../../server/auth/users.js';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { SettingsStore, StoredUser, UserRepository } from '../../server/storage/user-store.js';

export interface UserStoreNode {
  users: UserRepository;
  settings: SettingsStore;
}

export interface UserStoreFixture extends UserStoreNode {
  /** The same database through another connection, as a second node sees it. */
  otherNode(): Promise<UserStoreNode>;
  dispose(): Promise<void>;
}

let clock = Date.parse('2026-01-01T00:00:00.000Z');
/** Distinct, increasing timestamps, so listing order is known. */
function nextTime(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

function row(overrides: Partial<StoredUser> = {}): StoredUser {
  const at = nextTime();
  return {
    userId: randomUUID(),
    email: `${randomUUID().slice(0, 8)}@example.com`,
    displayName: null,
    passwordHash: 'scrypt$stored-hash',
    isAdmin: false,
    isActive: true,
    createdAt: at,
    updatedAt: at,
    lastLoginAt: null,
    tokenEpoch: 0,
    ...overrides,
  };
}

function realUsers(rows: StoredUser[]): StoredUser[] {
  return rows.filter((r) => r.userId !== SYSTEM_USER_ID);
}

export function userStoreSuite(name: string, create: () => Promise<UserStoreFixture>): void {
  describe(`UserRepository and SettingsStore acceptance: ${name}`, () => {
    let fixture: UserStoreFixture;
    let users: UserRepository;
    let settings: SettingsStore;
    beforeEach(async () => {
      fixture = await create();
      users = fixture.users;
      settings = fixture.settings;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('holds the system user after migration: no password, no admin right, not counted', async () => {
      expect(await users.get(SYSTEM_USER_ID)).toMatchObject({ userId: SYSTEM_USER_ID, passwordHash: '', isAdmin: false });
      expect(await users.countActiveAdmins()).toBe(0);
    });

    it('stores every field of a row and gives it back as it was', async () => {
      const alice = row({ displayName: 'Alice', isAdmin: true, isActive: false, lastLoginAt: '2026-02-03T04:05:06.789Z', tokenEpoch: 3 });
      expect(await users.insert(alice)).toBe('inserted');
      expect(await users.get(alice.userId)).toEqual(alice);
      expect(await users.get('nobody')).toBeNull();
    });

    it('keeps U+0000 (and U+0001) in emails and display names: stored, found, unique, changed as given', async () => {
      const nul = row({ email: 'n\u0000l@example.com', displayName: 'Nu\u0000ll \u0001' });
      expect(await users.insert(nul)).toBe('inserted');
      expect(await users.get(nul.userId)).toEqual(nul);
      expect((await users.getByEmail('N\u0000L@example.com'))?.userId).toBe(nul.userId);
      expect(await users.getByEmail('n\u0001l@example.com')).toBeNull();
      expect(await users.insert(row({ email: 'N\u0000l@EXAMPLE.com' }))).toBe('duplicate_email');
      const other = row({ email: 'n\u0001l@example.com' });
      expect(await users.insert(other)).toBe('inserted');
      const changed = await users.update(nul.userId, { displayName: '\u0000', updatedAt: nextTime() });
      expect(changed.ok && changed.user.displayName).toBe('\u0000');
      expect((await users.getMany([nul.userId])).get(nul.userId)?.email).toBe('n\u0000l@example.com');
      expect(realUsers(await users.list()).map((u) => u.email)).toEqual(['n\u0000l@example.com', 'n\u0001l@example.com']);
    });

    it('finds a user by email whatever its case, and refuses a second account for it in any case', async () => {
      const alice = row({ email: 'alice@example.com' });
      await users.insert(alice);
      expect((await users.getByEmail('Alice@Example.COM'))?.userId).toBe(alice.userId);
      expect(await users.insert(row({ email: 'ALICE@example.com' }))).toBe('duplicate_email');
      expect(realUsers(await users.list())).toEqual([alice]);
      expect(await users.getByEmail('bob@example.com')).toBeNull();
    });

    it('lets exactly one of two nodes create an account for one email at the same time', async () => {
      const other = await fixture.otherNode();
      const results = await Promise.all([
        users.insert(row({ email: 'carol@example.com' })),
        other.users.insert(row({ email: 'Carol@example.com' })),
      ]);
      expect(results.sort()).toEqual(['duplicate_email', 'inserted']);
      expect(realUsers(await other.users.list())).toHaveLength(1);
    });

    it('lets exactly one of two first-administrator set-ups win, on two nodes at once', async () => {
      const other = await fixture.otherNode();
      const results = await Promise.all([
        users.insert(row({ isAdmin: true }), { onlyIfNoActiveAdmin: true }),
        other.users.insert(row({ isAdmin: true }), { onlyIfNoActiveAdmin: true }),
      ]);
      expect(results.sort()).toEqual(['active_admin_exists', 'inserted']);
      expect(await users.countActiveAdmins()).toBe(1);
      // An inactive administrator does not count: set-up is open again.
      const [admin] = realUsers(await users.list());
      await users.update(admin!.userId, { isActive: false, updatedAt: nextTime() });
      expect(await users.insert(row({ isAdmin: true }), { onlyIfNoActiveAdmin: true })).toBe('inserted');
    });

    it('lists every user oldest first, ties by email', async () => {
      const at = nextTime();
      const b = row({ email: 'b@example.com', createdAt: at });
      const a = row({ email: 'a@example.com', createdAt: at });
      const first = row({ email: 'z@example.com', createdAt: '2025-01-01T00:00:00.000Z' });
      for (const user of [b, a, first]) await users.insert(user);
      expect(realUsers(await users.list()).map((u) => u.email)).toEqual(['z@example.com', 'a@example.com', 'b@example.com']);
    });

    it('counts active administrators only', async () => {
      await users.insert(row({ isAdmin: true }));
      await users.insert(row({ isAdmin: true, isActive: false }));
      await users.insert(row());
      expect(await users.countActiveAdmins()).toBe(1);
    });

    it('looks many users up at once, leaving out unknown ids', async () => {
      const known = [row(), row(), row()];
      for (const user of known) await users.insert(user);
      expect(await users.getMany([])).toEqual(new Map());
      const ids = [...known.map((u) => u.userId), 'nobody', known[0]!.userId];
      for (let i = 0; i < 1200; i++) ids.push(`missing-${i}`);
      const found = await users.getMany(ids);
      expect([...found.keys()].sort()).toEqual(known.map((u) => u.userId).sort());
      expect(found.get(known[1]!.userId)).toEqual(known[1]);
    });

    it('changes only the fields given; a new password hash bumps the token epoch by one, nothing else does', async () => {
      const dave = row({ displayName: 'Dave', tokenEpoch: 2 });
      await users.insert(dave);
      const renamedAt = nextTime();
      const renamed = await users.update(dave.userId, { displayName: null, updatedAt: renamedAt });
      expect(renamed).toEqual({ ok: true, user: { ...dave, displayName: null, updatedAt: renamedAt } });
      const promoted = await users.update(dave.userId, { isAdmin: true, updatedAt: nextTime() });
      expect(promoted.ok && promoted.user).toMatchObject({ isAdmin: true, isActive: true, displayName: null, tokenEpoch: 2 });
      const changed = await users.update(dave.userId, { passwordHash: 'scrypt$new', updatedAt: nextTime() });
      expect(changed.ok && changed.user).toMatchObject({ passwordHash: 'scrypt$new', tokenEpoch: 3, isAdmin: true });
      expect(await users.update('nobody', { isAdmin: true, updatedAt: nextTime() })).toEqual({ ok: false, reason: 'not_found' });
    });

    it('never takes the server from one active administrator to none, and changes nothing when it refuses', async () => {
      const admin = row({ isAdmin: true });
      await users.insert(admin);
      const keep = { keepAnActiveAdmin: true };
      expect(await users.update(admin.userId, { isAdmin: false, updatedAt: nextTime() }, keep)).toEqual({ ok: false, reason: 'last_active_admin' });
      expect(await users.update(admin.userId, { isActive: false, updatedAt: nextTime() }, keep)).toEqual({ ok: false, reason: 'last_active_admin' });
      expect(await users.delete(admin.userId, keep)).toBe('last_active_admin');
      expect(await users.get(admin.userId)).toEqual(admin);
      // Without the option the repository applies the write: the rule is the caller's.
      const plain = row();
      await users.insert(plain);
      expect((await users.update(plain.userId, { isActive: false, updatedAt: nextTime() }, keep)).ok).toBe(true);
      expect(await users.delete(plain.userId, keep)).toBe('deleted');
    });

    it('lets only one of two nodes demote or delete one of the last two administrators at once', async () => {
      const other = await fixture.otherNode();
      const keep = { keepAnActiveAdmin: true };
      const a = row({ isAdmin: true });
      const b = row({ isAdmin: true });
      await users.insert(a);
      await users.insert(b);
      const demotions = await Promise.all([
        users.update(a.userId, { isAdmin: false, updatedAt: nextTime() }, keep),
        other.users.update(b.userId, { isAdmin: false, updatedAt: nextTime() }, keep),
      ]);
      expect(demotions.filter((r) => r.ok)).toHaveLength(1);
      expect(await users.countActiveAdmins()).toBe(1);
      const c = row({ isAdmin: true });
      await users.insert(c);
      const [remaining] = realUsers(await users.list()).filter((u) => u.isAdmin && u.userId !== c.userId);
      const deletions = await Promise.all([users.delete(remaining!.userId, keep), other.users.delete(c.userId, keep)]);
      expect(deletions.sort()).toEqual(['deleted', 'last_active_admin']);
      expect(await other.users.countActiveAdmins()).toBe(1);
    });

    it('deletes a user; deleting an unknown one says so', async () => {
      const erin = row({ email: 'erin@example.com' });
      await users.insert(erin);
      expect(await users.delete(erin.userId)).toBe('deleted');
      expect(await users.get(erin.userId)).toBeNull();
      expect(await users.getByEmail('erin@example.com')).toBeNull();
      expect(await users.delete(erin.userId)).toBe('not_found');
      // The email is free again.
      expect(await users.insert(row({ email: 'erin@example.com' }))).toBe('inserted');
    });

    it('replaces a password hash only while it is the expected one, without bumping the epoch', async () => {
      const frank = row({ passwordHash: '$2b$12$imported', tokenEpoch: 1 });
      await users.insert(frank);
      expect(await users.replacePasswordHash(frank.userId, 'something-else', 'scrypt$x')).toBe(false);
      expect(await users.replacePasswordHash(frank.userId, '$2b$12$imported', 'scrypt$rehashed')).toBe(true);
      expect(await users.get(frank.userId)).toEqual({ ...frank, passwordHash: 'scrypt$rehashed' });
    });

    it('records the time of the last login', async () => {
      const gina = row();
      await users.insert(gina);
      await users.recordLogin(gina.userId, '2026-05-06T07:08:09.000Z');
      expect(await users.get(gina.userId)).toEqual({ ...gina, lastLoginAt: '2026-05-06T07:08:09.000Z' });
    });

    it('keeps settings: unknown is null, set overwrites', async () => {
      expect(await settings.get('jwt_secret')).toBeNull();
      await settings.set('greeting', 'hello');
      await settings.set('greeting', 'hello again');
      expect(await settings.get('greeting')).toBe('hello again');
      expect(await (await fixture.otherNode()).settings.get('greeting')).toBe('hello again');
    });

    it('gives every caller of getOrCreate the same value, also two nodes starting at once', async () => {
      const other = await fixture.otherNode();
      let made = 0;
      const make = (value: string) => () => {
        made++;
        return value;
      };
      const values = await Promise.all([
        settings.getOrCreate('jwt_secret', make('one')),
        other.settings.getOrCreate('jwt_secret', make('two')),
        settings.getOrCreate('jwt_secret', make('three')),
      ]);
      expect(new Set(values).size).toBe(1);
      expect(['one', 'two', 'three']).toContain(values[0]);
      expect(await other.settings.get('jwt_secret')).toBe(values[0]);
      // Once stored, a value is never made again.
      made = 0;
      expect(await settings.getOrCreate('jwt_secret', make('four'))).toBe(values[0]);
      expect(made).toBe(0);
      await settings.set('other', 'set before');
      expect(await other.settings.getOrCreate('other', make('five'))).toBe('set before');
    });

    describe('UserStore over it', () => {
      it('keeps emails unique whatever their case and answers lookups in any case', async () => {
        const store = new UserStore(users);
        const alice = await store.create({ email: 'Alice@Example.com', password: 'alice-password-1' });
        expect(alice.email).toBe('alice@example.com');
        await expect(store.create({ email: 'ALICE@example.com', password: 'alice-password-2' })).rejects.toMatchObject({ code: 'duplicate' });
        expect((await store.getByEmail('aLiCe@example.com'))?.userId).toBe(alice.userId);
        expect(await store.list()).toHaveLength(1);
      });

      it('refuses to demote, deactivate or delete the last administrator; a password change bumps the epoch', async () => {
        const store = new UserStore(users);
        const admin = await store.create({ email: 'root@example.com', password: 'root-password-1' }, { firstAdmin: true });
        await expect(store.create({ email: 'root2@example.com', password: 'root-password-1' }, { firstAdmin: true })).rejects.toMatchObject({
          code: 'admin_exists',
        });
        for (const change of [{ isAdmin: false }, { isActive: false }]) {
          await expect(store.update(admin.userId, change)).rejects.toBeInstanceOf(UserError);
        }
        await expect(store.delete(admin.userId)).rejects.toMatchObject({ code: 'last_admin' });
        const changed = await store.update(admin.userId, { password: 'root-password-2' });
        expect(changed.tokenEpoch).toBe(admin.tokenEpoch + 1);
        expect(await store.authenticate('ROOT@example.com', 'root-password-2')).toMatchObject({ userId: admin.userId });
        expect(await store.authenticate('root@example.com', 'root-password-1')).toBeNull();
      });
    });
  });
}
