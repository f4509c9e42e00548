// Accounts in the `users` table. Every rule about who may exist is enforced here, in one place, so the
// HTTP API and the CLI cannot disagree: unique lower-cased emails, the untouchable `system` user, and
// "there is always an active administrator once there was one", and the password rule.
//
// A user may have no password (password_hash ''): the `system` user, and users imported from InvokeAI
// without a hash we can verify. Nobody can log in as them (login answers exactly as for a wrong password, so an
// import's emails cannot be probed) until an administrator sets one.
import { randomUUID } from 'node:crypto';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { emailProblem, normalizeEmail } from './emails.js';
import { decoyHash, foreignHashProblem, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.js';
import { storageErrorOf } from '../storage/storage-errors.js';
import type { InsertResult, StoredUser, UserRepository } from '../storage/user-store.js';

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

function toUser(row: StoredUser): User {
  return {
    userId: row.userId,
    email: row.email,
    displayName: row.displayName,
    isAdmin: row.isAdmin,
    isActive: row.isActive,
    hasPassword: row.passwordHash !== '',
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastLoginAt: row.lastLoginAt,
    tokenEpoch: row.tokenEpoch,
  };
}

export class UserStore {
  private readonly listeners = new Set<(userId: string) => void>();
  private readonly removalHandlers = new Set<(userId: string) => Promise<void>>();

  constructor(private readonly repository: UserRepository) {}

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
    await this.delete(userId);
    for (const handler of [...this.removalHandlers]) await handler(userId);
  }

  async get(userId: string): Promise<User | null> {
    const row = await this.repository.get(userId);
    return row ? toUser(row) : null;
  }

  /** The users of these ids that exist, in one lookup (the sync server's recheck of every socket). */
  async getMany(userIds: readonly string[]): Promise<Map<string, User>> {
    const rows = await this.repository.getMany(userIds);
    return new Map([...rows].map(([userId, row]) => [userId, toUser(row)]));
  }

  async getByEmail(email: string): Promise<User | null> {
    const row = await this.repository.getByEmail(normalizeEmail(email));
    return row ? toUser(row) : null;
  }

  /** Every real account, oldest first; the `system` user is not one. */
  async list(): Promise<User[]> {
    return (await this.repository.list()).filter((row) => row.userId !== SYSTEM_USER_ID).map(toUser);
  }

  countActiveAdmins(): Promise<number> {
    return this.repository.countActiveAdmins();
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.countActiveAdmins()) > 0;
  }

  /**
   * Creates an account. With `firstAdmin`, refuses (code 'admin_exists') when an active administrator
   * already exists, checked in the same atomic step as the insert so two set-ups cannot both win.
   */
  async create(input: NewUser, options: { firstAdmin?: boolean } = {}): Promise<User> {
    const email = this.checkedEmail(input.email);
    const hash = input.password === null ? '' : await hashPassword(checkedPassword(input.password));
    const now = new Date().toISOString();
    const row: StoredUser = {
      userId: randomUUID(),
      email,
      displayName: cleanName(input.displayName),
      passwordHash: hash,
      isAdmin: options.firstAdmin ? true : (input.isAdmin ?? false),
      isActive: true,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      tokenEpoch: 0,
    };
    this.inserted(await this.repository.insert(row, { onlyIfNoActiveAdmin: options.firstAdmin === true }), email);
    return toUser(row);
  }

  /** Applies the changes that are present; refuses to leave the server without an active admin. */
  async update(userId: string, changes: UserChanges): Promise<User> {
    this.requireEditable(userId);
    const hash = changes.password !== undefined ? await hashPassword(checkedPassword(changes.password)) : undefined;
    const result = await this.repository.update(
      userId,
      {
        ...(changes.displayName !== undefined ? { displayName: cleanName(changes.displayName) } : {}),
        ...(changes.isAdmin !== undefined ? { isAdmin: changes.isAdmin } : {}),
        ...(changes.isActive !== undefined ? { isActive: changes.isActive } : {}),
        // A new password signs out every session issued before it (InvokeAI's revocation epoch).
        ...(hash !== undefined ? { passwordHash: hash } : {}),
        updatedAt: new Date().toISOString(),
      },
      // Demoting or deactivating someone may leave no active administrator: refused atomically.
      { keepAnActiveAdmin: changes.isAdmin === false || changes.isActive === false },
    );
    if (!result.ok) {
      if (result.reason === 'not_found') throw new UserError('not_found', 'User not found');
      throw new UserError('last_admin', 'Cannot demote or deactivate the last administrator');
    }
    this.emit(userId);
    return toUser(result.user);
  }

  async delete(userId: string): Promise<void> {
    this.requireEditable(userId);
    const result = await this.repository.delete(userId, { keepAnActiveAdmin: true });
    if (result === 'not_found') throw new UserError('not_found', 'User not found');
    if (result === 'last_active_admin') throw new UserError('last_admin', 'Cannot delete the last administrator');
    this.emit(userId);
  }

  /**
   * The user whose password this is, inactive or not (the caller decides what inactive means), and
   * records the login. Null for unknown emails, wrong passwords, users without a password and the
   * `system` user; those still cost one hash so response times do not reveal which emails exist.
   */
  async authenticate(email: string, password: string): Promise<User | null> {
    const row = await this.repository.getByEmail(normalizeEmail(email));
    if (!row || row.userId === SYSTEM_USER_ID || row.passwordHash === '') {
      await verifyPassword(password, await decoyHash());
      return null;
    }
    if (!(await verifyPassword(password, row.passwordHash))) return null;
    if (needsRehash(row.passwordHash)) await this.rehash(row, password);
    const now = new Date().toISOString();
    try {
      await this.repository.recordLogin(row.userId, now);
    } catch (error) {
      // The time of the last login is bookkeeping, not the user's data: a full disk must not lock
      // everyone out of reading their libraries. Anything but a storage failure is a bug and throws.
      const storage = storageErrorOf(error);
      if (storage === null) throw error;
      console.warn(`recording the login of user ${row.userId} failed: ${storage.storeMessage}`);
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
  private async rehash(row: StoredUser, password: string): Promise<void> {
    const hash = await hashPassword(password);
    try {
      await this.repository.replacePasswordHash(row.userId, row.passwordHash, hash);
    } catch (error) {
      const storage = storageErrorOf(error);
      if (storage === null) throw error;
      console.warn(`replacing the imported password hash of user ${row.userId} failed: ${storage.storeMessage}`);
    }
  }

  /**
   * Creates an account moved in from InvokeAI (server/cli/import-invokeai.ts) as it was there: flags,
   * name, creation time and password hash (passlib bcrypt, verified until the first login rehashes
   * it). A hash that cannot be verified here becomes no password. Same email rule as create; never
   * the `system` user.
   */
  async importAccount(input: {
    email: string;
    displayName: string | null;
    passwordHash: string;
    isAdmin: boolean;
    isActive: boolean;
    createdAt?: string;
  }): Promise<User> {
    const email = this.checkedEmail(input.email);
    const now = new Date().toISOString();
    const row: StoredUser = {
      userId: randomUUID(),
      email,
      displayName: cleanName(input.displayName),
      passwordHash: foreignHashProblem(input.passwordHash) === null ? input.passwordHash : '',
      isAdmin: input.isAdmin,
      isActive: input.isActive,
      createdAt: input.createdAt ?? now,
      updatedAt: now,
      lastLoginAt: null,
      tokenEpoch: 0,
    };
    this.inserted(await this.repository.insert(row), email);
    return toUser(row);
  }

  /** True when `password` is this user's current password. */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const row = await this.repository.get(userId);
    return row !== null && (await verifyPassword(password, row.passwordHash));
  }

  /** An insert's refusal as the UserError the API and the CLI show. */
  private inserted(result: InsertResult, email: string): void {
    if (result === 'duplicate_email') throw new UserError('duplicate', `User with email ${email} already exists`);
    if (result === 'active_admin_exists') throw new UserError('admin_exists', 'Administrator account already configured');
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
