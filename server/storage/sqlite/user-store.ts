// The user and settings ports over SQLite (`users` of migrations 0001 and 0005, `app_settings`).
// better-sqlite3 is synchronous: each method does its work at once and returns a settled promise. Every
// check-then-write runs in one IMMEDIATE transaction, which also serializes it against another process
// (the CLI beside the server) writing the same file.
import type { Database } from 'better-sqlite3';
import { SYSTEM_USER_ID } from '../../../shared/protocol.js';
import type {
  DeleteResult,
  InsertResult,
  KeepAdminOption,
  SettingsStore,
  StoredUser,
  UpdateResult,
  UserFieldChanges,
  UserRepository,
} from '../user-store.js';
import { StatementCache } from '../../db/statements.js';

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

function toStored(row: UserRow): StoredUser {
  return {
    userId: row.user_id,
    email: row.email,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    isAdmin: row.is_admin === 1,
    isActive: row.is_active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
    tokenEpoch: row.token_epoch,
  };
}

/** Thrown inside a transaction to roll it back with a result. */
class Refused<T> {
  constructor(readonly result: T) {}
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** SQLite's variable limit is 32766 since 3.32; chunks stay well below it. */
const GET_MANY_CHUNK = 500;

export class SqliteUserRepository implements UserRepository {
  /** Statements built per call, compiled once (server/db/statements.ts). */
  private readonly statements: StatementCache;

  constructor(private readonly db: Database) {
    this.statements = new StatementCache(db);
  }

  async get(userId: string): Promise<StoredUser | null> {
    return this.getNow(userId);
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, StoredUser>> {
    const found = new Map<string, StoredUser>();
    const unique = [...new Set(userIds)];
    for (let i = 0; i < unique.length; i += GET_MANY_CHUNK) {
      const chunk = unique.slice(i, i + GET_MANY_CHUNK);
      const rows = this.statements
        .prepare(`SELECT * FROM users WHERE user_id IN (${chunk.map(() => '?').join(', ')})`)
        .all(...chunk) as UserRow[];
      for (const row of rows) found.set(row.user_id, toStored(row));
    }
    return found;
  }

  async getByEmail(email: string): Promise<StoredUser | null> {
    // The column is COLLATE NOCASE: this comparison, and the unique index, ignore ASCII case.
    const row = this.statements.prepare('SELECT * FROM users WHERE email = ?').get(email) as UserRow | undefined;
    return row ? toStored(row) : null;
  }

  async list(): Promise<StoredUser[]> {
    return (this.statements.prepare('SELECT * FROM users ORDER BY created_at, email').all() as UserRow[]).map(toStored);
  }

  async countActiveAdmins(): Promise<number> {
    return this.countActiveAdminsNow();
  }

  async insert(user: StoredUser, options: { onlyIfNoActiveAdmin?: boolean } = {}): Promise<InsertResult> {
    try {
      return this.db
        .transaction((): InsertResult => {
          if (options.onlyIfNoActiveAdmin && this.countActiveAdminsNow() > 0) return 'active_admin_exists';
          this.statements
            .prepare(
              `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at, last_login_at, token_epoch)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              user.userId,
              user.email,
              user.displayName,
              user.passwordHash,
              user.isAdmin ? 1 : 0,
              user.isActive ? 1 : 0,
              user.createdAt,
              user.updatedAt,
              user.lastLoginAt,
              user.tokenEpoch,
            );
          return 'inserted';
        })
        .immediate();
    } catch (error) {
      if (isUniqueViolation(error)) return 'duplicate_email';
      throw error;
    }
  }

  async update(userId: string, changes: UserFieldChanges, options: KeepAdminOption = {}): Promise<UpdateResult> {
    return this.guarded<UpdateResult>(() => {
      const current = this.getNow(userId);
      if (!current) return new Refused<UpdateResult>({ ok: false, reason: 'not_found' });
      const adminsBefore = options.keepAnActiveAdmin ? this.countActiveAdminsNow() : 0;
      this.statements
        .prepare(
          `UPDATE users SET display_name = ?, is_admin = ?, is_active = ?, updated_at = ?,
             password_hash = COALESCE(?, password_hash),
             token_epoch = token_epoch + (CASE WHEN ? IS NULL THEN 0 ELSE 1 END) WHERE user_id = ?`,
        )
        .run(
          changes.displayName !== undefined ? changes.displayName : current.displayName,
          (changes.isAdmin ?? current.isAdmin) ? 1 : 0,
          (changes.isActive ?? current.isActive) ? 1 : 0,
          changes.updatedAt,
          changes.passwordHash ?? null,
          changes.passwordHash ?? null,
          userId,
        );
      if (this.losesLastAdmin(options, adminsBefore)) return new Refused<UpdateResult>({ ok: false, reason: 'last_active_admin' });
      return { ok: true, user: this.getNow(userId)! };
    });
  }

  async delete(userId: string, options: KeepAdminOption = {}): Promise<DeleteResult> {
    return this.guarded<DeleteResult>(() => {
      const adminsBefore = options.keepAnActiveAdmin ? this.countActiveAdminsNow() : 0;
      const { changes } = this.statements.prepare('DELETE FROM users WHERE user_id = ?').run(userId);
      if (changes === 0) return 'not_found';
      if (this.losesLastAdmin(options, adminsBefore)) return new Refused<DeleteResult>('last_active_admin');
      return 'deleted';
    });
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const { changes } = this.statements
      .prepare('UPDATE users SET password_hash = ? WHERE user_id = ? AND password_hash = ?')
      .run(newHash, userId, expectedHash);
    return changes > 0;
  }

  async recordLogin(userId: string, at: string): Promise<void> {
    this.statements.prepare('UPDATE users SET last_login_at = ? WHERE user_id = ?').run(at, userId);
  }

  private getNow(userId: string): StoredUser | null {
    const row = this.statements.prepare('SELECT * FROM users WHERE user_id = ?').get(userId) as UserRow | undefined;
    return row ? toStored(row) : null;
  }

  private countActiveAdminsNow(): number {
    const row = this.statements
      .prepare('SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND is_active = 1 AND user_id <> ?')
      .get(SYSTEM_USER_ID) as { n: number };
    return row.n;
  }

  private losesLastAdmin(options: KeepAdminOption, adminsBefore: number): boolean {
    return options.keepAnActiveAdmin === true && adminsBefore > 0 && this.countActiveAdminsNow() === 0;
  }

  /** Runs `write` in one IMMEDIATE transaction; a Refused result rolls it back and is returned. */
  private guarded<T>(write: () => T | Refused<T>): T {
    try {
      return this.db
        .transaction((): T => {
          const result = write();
          if (result instanceof Refused) throw result;
          return result;
        })
        .immediate();
    } catch (error) {
      if (error instanceof Refused) return error.result as T;
      throw error;
    }
  }
}

export class SqliteSettingsStore implements SettingsStore {
  /** Statements built per call, compiled once (server/db/statements.ts). */
  private readonly statements: StatementCache;

  constructor(private readonly db: Database) {
    this.statements = new StatementCache(db);
  }

  async get(key: string): Promise<string | null> {
    const row = this.statements.prepare('SELECT value FROM app_settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    const now = new Date().toISOString();
    this.statements
      .prepare(
        `INSERT INTO app_settings (key, value, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value, now, now);
  }

  async getOrCreate(key: string, make: () => string): Promise<string> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    const now = new Date().toISOString();
    // INSERT OR IGNORE: whoever inserts first (another process on the same file) wins; everyone reads
    // the winner back.
    this.statements.prepare('INSERT OR IGNORE INTO app_settings (key, value, created_at, updated_at) VALUES (?, ?, ?, ?)').run(key, make(), now, now);
    return (await this.get(key))!;
  }
}
