// Where accounts and server settings are stored: rows only. Every rule about who may exist (valid
// emails, the password rule, the untouchable `system` user, "there is always an active administrator
// once there was one") lives in server/auth/users.ts `UserStore`, which says through the options below
// which condition a write needs; a repository only makes that condition and the write one atomic step,
// so two nodes (or the CLI beside a server) can never both pass a check and then both write.
// Every backend must pass the acceptance suite in test/storage/user-store-suite.ts.

/** One row of `users` as stored, password hash included (never leaves the server). */
export interface StoredUser {
  userId: string;
  /** Stored as given (UserStore lower-cases it); unique case-insensitively. */
  email: string;
  displayName: string | null;
  /** '' = no password: nobody can log in as this user. */
  passwordHash: string;
  isAdmin: boolean;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  /** Revocation epoch: incremented by every change of `passwordHash` through `update`. */
  tokenEpoch: number;
}

export interface UserFieldChanges {
  displayName?: string | null;
  isAdmin?: boolean;
  isActive?: boolean;
  /** A new hash: also increments `tokenEpoch`, in the same write (signs out older sessions). */
  passwordHash?: string;
  updatedAt: string;
}

export interface KeepAdminOption {
  /**
   * Refuse the write ('last_active_admin', nothing changed) when it would take the number of active
   * administrators (the `system` user not counted) from one or more to zero.
   */
  keepAnActiveAdmin?: boolean;
}

export type InsertResult = 'inserted' | 'duplicate_email' | 'active_admin_exists';
export type UpdateResult = { ok: true; user: StoredUser } | { ok: false; reason: 'not_found' | 'last_active_admin' };
export type DeleteResult = 'deleted' | 'not_found' | 'last_active_admin';

export interface UserRepository {
  get(userId: string): Promise<StoredUser | null>;
  /** The rows of these ids that exist (one round trip, for the sync server's periodic recheck). */
  getMany(userIds: readonly string[]): Promise<Map<string, StoredUser>>;
  /** The row whose email equals `email` case-insensitively. */
  getByEmail(email: string): Promise<StoredUser | null>;
  /** Every row, `system` included, oldest first (ties by email). */
  list(): Promise<StoredUser[]>;
  /** Active administrators, the `system` user not counted. */
  countActiveAdmins(): Promise<number>;
  /**
   * Inserts `user` unless its email is taken ('duplicate_email') or, with `onlyIfNoActiveAdmin`, an
   * active administrator exists ('active_admin_exists'); check and insert are one atomic step.
   */
  insert(user: StoredUser, options?: { onlyIfNoActiveAdmin?: boolean }): Promise<InsertResult>;
  /** Changes the fields that are present, and returns the row as it is now. */
  update(userId: string, changes: UserFieldChanges, options?: KeepAdminOption): Promise<UpdateResult>;
  delete(userId: string, options?: KeepAdminOption): Promise<DeleteResult>;
  /**
   * Replaces the hash only if it is still `expectedHash` (a password set meanwhile wins); not a password
   * change: no epoch bump, no updated_at. True if replaced.
   */
  replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean>;
  /** Bookkeeping: the time of the user's last login. */
  recordLogin(userId: string, at: string): Promise<void>;
}

/** Server settings (`app_settings`): small text values such as the token signing secret. */
export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /**
   * The stored value of `key`; if there is none, stores `make()` unless another writer got there first
   * (several nodes starting at once), and returns whichever value was stored: every caller agrees.
   */
  getOrCreate(key: string, make: () => string): Promise<string>;
}
