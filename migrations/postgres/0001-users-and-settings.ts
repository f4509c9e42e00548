// Accounts and server settings: what SQLite reaches after migrations/0001 and 0005 (token_epoch).
// Timestamps stay ISO-8601 text, as the code writes and compares them. Text that the code orders by
// or compares is COLLATE "C" (byte order, as SQLite's BINARY), whatever the database's own collation.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresColumns, requirePostgresIndexes } from '../../server/storage/postgres/migrator.js';

export const usersAndSettings: PostgresMigration = {
  version: 1,
  name: 'users-and-settings',
  async up(tx) {
    await tx.query(`
      CREATE TABLE users (
        user_id text COLLATE "C" NOT NULL PRIMARY KEY,
        email text COLLATE "C" NOT NULL,
        display_name text,
        password_hash text NOT NULL DEFAULT '',
        is_admin boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        last_login_at text COLLATE "C",
        -- Bumped by a password change: tokens issued with an older epoch are refused (SQLite 0005).
        token_epoch integer NOT NULL DEFAULT 0
      );
      -- SQLite's email column is COLLATE NOCASE (ASCII case ignored): here a unique index on lower()
      -- of the "C" collation, which folds ASCII letters only, as NOCASE does. Look users up by
      -- lower(email) = lower($1) so that this index serves the lookup.
      CREATE UNIQUE INDEX users_email_nocase ON users (lower(email));
      CREATE TABLE app_settings (
        key text COLLATE "C" NOT NULL PRIMARY KEY,
        value text NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL
      );
    `);
    // The owner of default workflows and of the single-user library. An empty password hash never
    // verifies, and authentication refuses this id outright, so nobody can log in as it.
    const now = new Date().toISOString();
    await tx.query(
      `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at)
       VALUES ('system', 'system@system.invokeai', 'System', '', false, true, $1, $1)`,
      [now],
    );
  },
  async verify(tx) {
    await requirePostgresColumns(tx, 'users', [
      'user_id', 'email', 'display_name', 'password_hash', 'is_admin', 'is_active', 'created_at', 'updated_at', 'last_login_at', 'token_epoch',
    ]);
    await requirePostgresColumns(tx, 'app_settings', ['key', 'value', 'created_at', 'updated_at']);
    await requirePostgresIndexes(tx, ['users_email_nocase']);
    const { rows } = await tx.query<{ password_hash: string; is_admin: boolean }>("SELECT password_hash, is_admin FROM users WHERE user_id = 'system'");
    const system = rows[0];
    if (!system) throw new Error('system user row is missing');
    if (system.password_hash !== '' || system.is_admin) throw new Error('system user must have no password and no admin right');
  },
};
