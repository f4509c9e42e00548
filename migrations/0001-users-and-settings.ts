// Accounts and server settings (reference §3, InvokeAI migration 27, without its unused tables).
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const usersAndSettings: Migration = {
  version: 1,
  name: 'users-and-settings',
  up(db) {
    db.exec(`
      CREATE TABLE users (
        user_id TEXT NOT NULL PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT,
        password_hash TEXT NOT NULL DEFAULT '',
        is_admin INTEGER NOT NULL DEFAULT 0,
        is_active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_login_at TEXT
      );
      CREATE TABLE app_settings (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
    // The owner of default workflows and of the single-user library. An empty password hash never
    // verifies, and authentication refuses this id outright, so nobody can log in as it.
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO users (user_id, email, display_name, password_hash, is_admin, is_active, created_at, updated_at)
       VALUES ('system', 'system@system.invokeai', 'System', '', 0, 1, ?, ?)`,
    ).run(now, now);
  },
  verify(db) {
    requireColumns(db, 'users', [
      'user_id', 'email', 'display_name', 'password_hash', 'is_admin', 'is_active', 'created_at', 'updated_at', 'last_login_at',
    ]);
    requireColumns(db, 'app_settings', ['key', 'value', 'created_at', 'updated_at']);
    const system = db.prepare("SELECT email, password_hash, is_admin FROM users WHERE user_id = 'system'").get() as
      | { email: string; password_hash: string; is_admin: number }
      | undefined;
    if (!system) throw new Error('system user row is missing');
    if (system.password_hash !== '' || system.is_admin !== 0) throw new Error('system user must have no password and no admin right');
  },
};
