// Accounts in the `users` table. Every rule about who may exist is enforced here, in one place, so the
// HTTP API and the CLI cannot disagree: unique lower-cased emails, the untouchable `system` user, and
// "there is always an active administrator once there was one", and the password rule.
//
// A user may have no password (password_hash ''): the `system` user, and users imported from InvokeAI
// without a hash we can verify. Nobody can log in as them (login answers exactly as for a wrong password, so an
// import's emails cannot be probed) until an administrator sets one.
import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { emailProblem, normalizeEmail } from './emails.js';
import { decoyHash, foreignHashProblem, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.js';
import { storageErrorOf } from '../storage/storage-errors.js';

export interface User {
  userId: string;
  email: string;
  displayName: string | null;
  isAdmin: boolean;
  isActive: boolean;
  /** False until a password is set (users created by an import start without one). */
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  /** Bumped by every password change: tokens issued under an older epoch are refused (tokens.ts). */
  tokenEpoch: number;
}

export interface NewUser {
  email: string;
  /** null: no password, nobody can log in as this user until an administrator sets one. */
  password: string | null;
  displayName?: string | null;
  isAdmin?: boolean;
}

export interface UserChanges {
  displayName?: string | null;
  password?: string;
  isAdmin?: boolean;
  isActive?: boolean;
}

export type UserErrorCode = 'invalid' | 'duplicate' | 'not_found' | 'last_admin' | 'system_user' | 'admin_exists';

/** A refused change; `message` is fit to show the user (the HTTP layer maps `code` to a status). */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface UserRow {
  user_id: string;
  email: string;
  display_name: string | null;
  password_hash: string;
  is_admin: number;
  is_active: number;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
  token_epoch: number;
}

/** Blank names are no name. */
function cleanName(name: string | null | undefined): string | null {
  const trimmed = name?.trim();
  return trimmed ? trimmed : null;
}

/** The password itself, or a UserError naming the rule it breaks (so the CLI and the API agree). */
function checkedPassword(password: string): string {
  const problem = passwordProblem(password);
  if (problem) throw new UserError('invalid', `Password ${problem}`);
  return password;
}

function toUser(row: UserRow): User {
  return {
    userId: row.user_id,
    email: row.email,
    displayName: row.display_name,
    isAdmin: row.is_admin === 1,
    isActive: row.is_active === 1,
    hasPassword: row.password_hash !== '',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
    tokenEpoch: row.token_epoch,
  };
}

export class UserStore {
  private readonly listeners = new Set<(userId: string) => void>();
  private readonly removalHandlers = new Set<(userId: string) => Promise<void>>();

  constructor(private readonly db: Database) {}

  /** Called with a user id after that user was updated, deactivated, deleted or got a new password. */
  onChange(listener: (userId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Registers what else must go when a user is removed (their library: server/library/user-removal.ts);
   * the running server registers its live removal, the CLI the one for stored documents. Returns unregister.
   */
  onRemoved(handler: (userId: string) => Promise<void>): () => void {
    this.removalHandlers.add(handler);
    return () => this.removalHandlers.delete(handler);
  }

  /**
   * The one delete-user operation of the API and the CLI: deletes the account (the same rules as
   * delete: not the system user, not the last administrator), then everything it owned, through every
   * registered handler, awaited. A handler that fails leaves its data to the start-up check for
   * libraries whose owner is gone; the account is gone either way.
   */
  async remove(userId: string): Promise<void> {
    this.delete(userId);
    for (const handler of [...this.removalHandlers]) await handler(userId);
  }

  get(userId: string): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE user_id = ?').get(userId) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  getByEmail(email: string): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE email = ?').get(normalizeEmail(email)) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** Every real account, oldest first; the `system` user is not one. */
  list(): User[] {
    const rows = this.db.prepare('SELECT * FROM users WHERE user_id <> ? ORDER BY created_at, email').all(SYSTEM_USER_ID) as UserRow[];
    return rows.map(toUser);
  }

  countActiveAdmins(): number {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND is_active = 1 AND user_id <> ?')
      .get(SYSTEM_USER_ID) as { n: number };
    return row.n;
  }

  hasAdmin(): boolean {
    return this.countActiveAdmins() > 0;
  }

  /**
   * Creates an account. With `firstAdmin`, refuses (code 'admin_exists') when an active administrator
   * already exists, checked in the same transaction as the insert so two set-ups cannot both win.
   */
  async create(input: NewUser, options: { firstAdmin?: boolean } = {}): Promise<User> {
    const email = this.checkedEmail(input.email);
    const hash = input.password === null ? '' : await hashPassword(checkedPassword(input.password));
    const now = new Date().toISOString();
    const user: User = {
      userId: randomUUID(),
      email,
      displayName: cleanName(input.displayName),
      isAdmin: options.firstAdmin ? true : (input.isAdmin ?? false),
      isActive: true,
      hasPassword: hash !== '',
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      tokenEpoch: 0,
    };
    const duplicate = () => new UserError('duplicate', `User with email ${email} already exists`);
    try {
      this.db.transaction(() => {
        if (options.firstAdmin && this.hasAdmin()) throw new UserError('admin_exists', 'Administrator account already configured');
        if (this.getByEmail(email)) throw duplicate();
        this.db
          .prepare(
            `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
          )
          .run(user.userId, email, user.displayName, hash, user.isAdmin ? 1 : 0, now, now);
      })();
    } catch (err) {
      // Another process (the CLI beside the server) may insert the same email between check and insert.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw duplicate();
      throw err;
    }
    return user;
  }

  /** Applies the changes that are present; refuses to leave the server without an active admin. */
  async update(userId: string, changes: UserChanges): Promise<User> {
    this.requireEditable(userId);
    const hash = changes.password !== undefined ? await hashPassword(checkedPassword(changes.password)) : undefined;
    const updated = this.db.transaction(() => {
      const current = this.get(userId);
      if (!current) throw new UserError('not_found', 'User not found');
      const isAdmin = changes.isAdmin ?? current.isAdmin;
      const isActive = changes.isActive ?? current.isActive;
      const losesAdmin = current.isAdmin && current.isActive && !(isAdmin && isActive);
      if (losesAdmin && this.countActiveAdmins() <= 1) {
        throw new UserError('last_admin', 'Cannot demote or deactivate the last administrator');
      }
      const displayName = changes.displayName !== undefined ? cleanName(changes.displayName) : current.displayName;
      this.db
        .prepare(
          `UPDATE users SET display_name = ?, is_admin = ?, is_active = ?, updated_at = ?,
             password_hash = COALESCE(?, password_hash),
             -- A new password signs out every session issued before it (InvokeAI's revocation epoch).
             token_epoch = token_epoch + (CASE WHEN ? IS NULL THEN 0 ELSE 1 END) WHERE user_id = ?`,
        )
        .run(displayName, isAdmin ? 1 : 0, isActive ? 1 : 0, new Date().toISOString(), hash ?? null, hash ?? null, userId);
      return this.get(userId)!;
    })();
    this.emit(userId);
    return updated;
  }

  delete(userId: string): void {
    this.requireEditable(userId);
    this.db.transaction(() => {
      const current = this.get(userId);
      if (!current) throw new UserError('not_found', 'User not found');
      if (current.isAdmin && current.isActive && this.countActiveAdmins() <= 1) {
        throw new UserError('last_admin', 'Cannot delete the last administrator');
      }
      this.db.prepare('DELETE FROM users WHERE user_id = ?').run(userId);
    })();
    this.emit(userId);
  }

  /**
   * The user whose password this is, inactive or not (the caller decides what inactive means), and
   * records the login. Null for unknown emails, wrong passwords, users without a password and the
   * `system` user; those still cost one hash so response times do not reveal which emails exist.
   */
  async authenticate(email: string, password: string): Promise<User | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE email = ?').get(normalizeEmail(email)) as UserRow | undefined;
    if (!row || row.user_id === SYSTEM_USER_ID || row.password_hash === '') {
      await verifyPassword(password, await decoyHash());
      return null;
    }
    if (!(await verifyPassword(password, row.password_hash))) return null;
    if (needsRehash(row.password_hash)) await this.rehash(row, password);
    const now = new Date().toISOString();
    try {
      this.db.prepare('UPDATE users SET last_login_at = ? WHERE user_id = ?').run(now, row.user_id);
    } catch (error) {
      // The time of the last login is bookkeeping, not the user's data: a full disk must not lock
      // everyone out of reading their libraries. Anything but a storage failure is a bug and throws.
      const storage = storageErrorOf(error);
      if (storage === null) throw error;
      console.warn(`recording the login of user ${row.user_id} failed: ${storage.storeMessage}`);
      return toUser(row);
    }
    return { ...toUser(row), lastLoginAt: now };
  }

  /**
   * Replaces a just-verified hash of another scheme (InvokeAI's bcrypt) with our scrypt of the same
   * password, so the old hash is never used again. Only if the hash is still the one verified: a
   * password set meanwhile wins. Not a password change (no sign-out, no updated_at). A store that
   * refuses the write (full disk) leaves the old hash for the next login; the login itself goes on.
   */
  private async rehash(row: UserRow, password: string): Promise<void> {
    const hash = await hashPassword(password);
    try {
      this.db.prepare('UPDATE users SET password_hash = ? WHERE user_id = ? AND password_hash = ?').run(hash, row.user_id, row.password_hash);
    } catch (error) {
      const storage = storageErrorOf(error);
      if (storage === null) throw error;
      console.warn(`replacing the imported password hash of user ${row.user_id} failed: ${storage.storeMessage}`);
    }
  }

  /**
   * Creates an account moved in from InvokeAI (server/cli/import-invokeai.ts) as it was there: flags,
   * name, creation time and password hash (passlib bcrypt, verified until the first login rehashes
   * it). A hash that cannot be verified here becomes no password. Same email rule as create; never
   * the `system` user.
   */
  importAccount(input: { email: string; displayName: string | null; passwordHash: string; isAdmin: boolean; isActive: boolean; createdAt?: string }): User {
    const email = this.checkedEmail(input.email);
    const hash = foreignHashProblem(input.passwordHash) === null ? input.passwordHash : '';
    const now = new Date().toISOString();
    const userId = randomUUID();
    try {
      this.db.transaction(() => {
        if (this.getByEmail(email)) throw new UserError('duplicate', `User with email ${email} already exists`);
        this.db
          .prepare(
            `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(userId, email, cleanName(input.displayName), hash, input.isAdmin ? 1 : 0, input.isActive ? 1 : 0, input.createdAt ?? now, now);
      })();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UserError('duplicate', `User with email ${email} already exists`);
      throw err;
    }
    return this.get(userId)!;
  }

  /** True when `password` is this user's current password. */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const row = this.db.prepare('SELECT password_hash FROM users WHERE user_id = ?').get(userId) as { password_hash: string } | undefined;
    return row !== undefined && (await verifyPassword(password, row.password_hash));
  }

  private checkedEmail(raw: string): string {
    const problem = emailProblem(raw);
    if (problem) throw new UserError('invalid', `Email ${problem}`);
    return normalizeEmail(raw);
  }

  private requireEditable(userId: string): void {
    if (userId === SYSTEM_USER_ID) throw new UserError('system_user', 'The system user cannot be changed');
  }

  private emit(userId: string): void {
    for (const listener of [...this.listeners]) {
      // A listener that throws (e.g. a socket already gone) must not undo or hide a committed change.
      try {
        listener(userId);
      } catch (err) {
        console.error('user change listener failed:', err instanceof Error ? err.message : err);
      }
    }
  }
}
