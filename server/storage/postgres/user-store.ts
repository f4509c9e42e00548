// The user and settings ports over PostgreSQL (`users`, `app_settings` of migrations/postgres). Several
// nodes write the same rows, so every check-then-write is one transaction that first takes a
// transaction-scoped advisory lock: writers of accounts wait for each other (account changes are rare;
// readers never wait), which makes "the last active administrator stays" and "one first administrator"
// hold across nodes under read committed. Unique emails are the database's own unique index on
// lower(email); settings use INSERT ... ON CONFLICT DO NOTHING, so one value wins. Emails and display
// names are stored with U+0000 escaped (./nul-text.ts: text refuses it, SQLite keeps it), which keeps
// lower(email) equality and the email order.
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
import { escapeNul, unescapeNul } from './nul-text.js';
import type { PostgresPool, Queryable } from './pool.js';

interface UserRow {
  user_id: string;
  email: string;
  display_name: string | null;
  password_hash: string;
  is_admin: boolean;
  is_active: boolean;
  created_at: string | Date;
  updated_at: string | Date;
  last_login_at: string | Date | null;
  token_epoch: number | string;
}

/** Timestamps are ISO strings in the port whatever the column type. */
function iso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}

function toStored(row: UserRow): StoredUser {
  return {
    userId: row.user_id,
    email: unescapeNul(row.email),
    displayName: unescapeNul(row.display_name),
    passwordHash: row.password_hash,
    isAdmin: row.is_admin,
    isActive: row.is_active,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : iso(row.last_login_at),
    tokenEpoch: Number(row.token_epoch),
  };
}

const COLUMNS = 'user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at, last_login_at, token_epoch';

/**
 * The advisory lock account writers take (its two keys spell "Flow" and "user"); per database, released
 * at the end of the transaction. Needs no extension and no privilege.
 */
const USERS_LOCK = 'SELECT pg_advisory_xact_lock(1181511543, 1970496882)';

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

export class PostgresUserRepository implements UserRepository {
  constructor(private readonly pool: PostgresPool) {}

  async get(userId: string): Promise<StoredUser | null> {
    return getUser(this.pool, userId);
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, StoredUser>> {
    const found = new Map<string, StoredUser>();
    if (userIds.length === 0) return found;
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = ANY($1::text[])`, [[...new Set(userIds)]]);
    for (const row of rows) found.set(row.user_id, toStored(row));
    return found;
  }

  async getByEmail(email: string): Promise<StoredUser | null> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [escapeNul(email)]);
    return rows[0] ? toStored(rows[0]) : null;
  }

  async list(): Promise<StoredUser[]> {
    // COLLATE "C": the same order as SQLite's byte-wise comparison, whatever the database's locale.
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY created_at, email COLLATE "C"`);
    return rows.map(toStored);
  }

  async countActiveAdmins(): Promise<number> {
    return countActiveAdmins(this.pool);
  }

  async insert(user: StoredUser, options: { onlyIfNoActiveAdmin?: boolean } = {}): Promise<InsertResult> {
    try {
      return await this.locked<InsertResult>(async (tx) => {
        if (options.onlyIfNoActiveAdmin && (await countActiveAdmins(tx)) > 0) return 'active_admin_exists';
        const taken = await tx.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [escapeNul(user.email)]);
        if (taken.rowCount !== 0) return 'duplicate_email';
        await tx.query(`INSERT INTO users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
          user.userId,
          escapeNul(user.email),
          escapeNul(user.displayName),
          user.passwordHash,
          user.isAdmin,
          user.isActive,
          user.createdAt,
          user.updatedAt,
          user.lastLoginAt,
          user.tokenEpoch,
        ]);
        return 'inserted';
      });
    } catch (error) {
      // Written beside this code without the lock (an older tool): the unique index still decides.
      if (isUniqueViolation(error)) return 'duplicate_email';
      throw error;
    }
  }

  async update(userId: string, changes: UserFieldChanges, options: KeepAdminOption = {}): Promise<UpdateResult> {
    return this.locked<UpdateResult>(async (tx) => {
      const current = await getUser(tx, userId);
      if (!current) return { ok: false, reason: 'not_found' };
      const staysActiveAdmin = (changes.isAdmin ?? current.isAdmin) && (changes.isActive ?? current.isActive);
      if (options.keepAnActiveAdmin && current.isAdmin && current.isActive && !staysActiveAdmin && (await this.isLastActiveAdmin(tx, current))) {
        return { ok: false, reason: 'last_active_admin' };
      }
      const { rows } = await tx.query<UserRow>(
        `UPDATE users SET
           display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
           is_admin = COALESCE($4, is_admin),
           is_active = COALESCE($5, is_active),
           updated_at = $6,
           password_hash = COALESCE($7, password_hash),
           token_epoch = token_epoch + (CASE WHEN $7::text IS NULL THEN 0 ELSE 1 END)
         WHERE user_id = $1 RETURNING ${COLUMNS}`,
        [
          userId,
          changes.displayName !== undefined,
          escapeNul(changes.displayName ?? null),
          changes.isAdmin ?? null,
          changes.isActive ?? null,
          changes.updatedAt,
          changes.passwordHash ?? null,
        ],
      );
      return { ok: true, user: toStored(rows[0]!) };
    });
  }

  async delete(userId: string, options: KeepAdminOption = {}): Promise<DeleteResult> {
    return this.locked<DeleteResult>(async (tx) => {
      const current = await getUser(tx, userId);
      if (!current) return 'not_found';
      if (options.keepAnActiveAdmin && current.isAdmin && current.isActive && (await this.isLastActiveAdmin(tx, current))) {
        return 'last_active_admin';
      }
      await tx.query('DELETE FROM users WHERE user_id = $1', [userId]);
      return 'deleted';
    });
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE users SET password_hash = $1 WHERE user_id = $2 AND password_hash = $3', [
      newHash,
      userId,
      expectedHash,
    ]);
    return rowCount !== 0;
  }

  async recordLogin(userId: string, at: string): Promise<void> {
    await this.pool.query('UPDATE users SET last_login_at = $1 WHERE user_id = $2', [at, userId]);
  }

  /**
   * True if `user` (an active administrator) is the only one: the write would leave none. Read under
   * the writers' lock, so no other node changes administrators between this check and the write.
   */
  private async isLastActiveAdmin(tx: Queryable, user: StoredUser): Promise<boolean> {
    return user.userId !== SYSTEM_USER_ID && (await countActiveAdmins(tx)) <= 1;
  }

  /** `body` in one transaction holding the account writers' lock (released at commit or rollback). */
  private locked<T>(body: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pool.transaction(async (tx) => {
      await tx.query(USERS_LOCK);
      return body(tx);
    });
  }
}

async function getUser(db: Queryable, userId: string): Promise<StoredUser | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = $1`, [userId]);
  return rows[0] ? toStored(rows[0]) : null;
}

async function countActiveAdmins(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM users WHERE is_admin AND is_active AND user_id <> $1', [SYSTEM_USER_ID]);
  return Number(rows[0]?.n ?? 0);
}

export class PostgresSettingsStore implements SettingsStore {
  constructor(private readonly pool: PostgresPool) {}

  async get(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM app_settings WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    const now = new Date().toISOString();
    await this.pool.query(
      `INSERT INTO app_settings (key, value, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [key, value, now],
    );
  }

  async getOrCreate(key: string, make: () => string): Promise<string> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    const now = new Date().toISOString();
    // Two nodes inserting at once: the unique key lets one row in and the other insert does nothing
    // (it waits for the first to commit); both then read the one value.
    const inserted = await this.pool.query<{ value: string }>(
      `INSERT INTO app_settings (key, value, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (key) DO NOTHING RETURNING value`,
      [key, make(), now],
    );
    return inserted.rows[0]?.value ?? (await this.get(key))!;
  }
}
