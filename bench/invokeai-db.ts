// An InvokeAI database as InvokeAI's migrations leave it (workflow_library with its generated columns
// and indexes, users), filled with user workflows cycling through InvokeAI's default workflows, and
// the default workflows themselves as InvokeAI syncs them at start. Used by the import benchmark and
// by P6 (the same rows queried by InvokeAI's SQL and, imported, by Flowshelf's REST API).
import bcrypt from 'bcryptjs';
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../server/config.js';

export const BENCH_PASSWORD = 'Bench-Pass-1';

/** InvokeAI's default workflows, as the server ships them. */
export function defaultWorkflows(): (Record<string, unknown> & { id: string; name: string; meta: Record<string, unknown> })[] {
  const dir = join(projectRoot(), 'server', 'library', 'default-workflows');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown> & { id: string; name: string; meta: Record<string, unknown> });
}

export interface InvokeaiFill {
  users: number;
  workflows: number;
  /** How many workflows are shared, spread evenly. */
  shared: number;
  /** Add InvokeAI's default workflows (category default, owner system) too. */
  defaults?: boolean;
}

/** Creates the database at `file`; returns the ids of the user workflows. User `u-0` is an administrator. */
export function buildInvokeaiDatabase(file: string, fill: InvokeaiFill): string[] {
  const db = new Database(file);
  // Migrations 2, 17, 18, 27, 28 of InvokeAI, as far as these tables go (reference §4).
  db.exec(`
    CREATE TABLE workflow_library (
      workflow_id TEXT NOT NULL PRIMARY KEY, workflow TEXT NOT NULL,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      category TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.meta.category')) VIRTUAL NOT NULL,
      name TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.name')) VIRTUAL NOT NULL,
      description TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.description')) VIRTUAL NOT NULL);
    CREATE INDEX idx_workflow_library_created_at ON workflow_library(created_at);
    CREATE INDEX idx_workflow_library_updated_at ON workflow_library(updated_at);
    CREATE INDEX idx_workflow_library_category ON workflow_library(category);
    CREATE INDEX idx_workflow_library_name ON workflow_library(name);
    CREATE INDEX idx_workflow_library_description ON workflow_library(description);
    CREATE TRIGGER tg_workflow_library_updated_at AFTER UPDATE ON workflow_library FOR EACH ROW BEGIN
      UPDATE workflow_library SET updated_at = STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW') WHERE workflow_id = old.workflow_id; END;
    ALTER TABLE workflow_library ADD COLUMN tags TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.tags')) VIRTUAL;
    ALTER TABLE workflow_library ADD COLUMN opened_at DATETIME;
    CREATE INDEX idx_workflow_library_opened_at ON workflow_library(opened_at);
    CREATE TABLE users (user_id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT, password_hash TEXT NOT NULL,
      is_admin BOOLEAN NOT NULL DEFAULT FALSE, is_active BOOLEAN NOT NULL DEFAULT TRUE,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')), last_login_at DATETIME);
    INSERT INTO users (user_id, email, display_name, password_hash) VALUES ('system', 'system@system.invokeai', 'System', '');
    ALTER TABLE workflow_library ADD COLUMN user_id TEXT DEFAULT 'system';
    CREATE INDEX idx_workflow_library_user_id ON workflow_library(user_id);
    ALTER TABLE workflow_library ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
    CREATE INDEX idx_workflow_library_is_public ON workflow_library(is_public);
  `);
  const bases = defaultWorkflows();
  // One real bcrypt hash (cost 4) for everyone: the import copies hashes; a login verifies it.
  const hash = bcrypt.hashSync(BENCH_PASSWORD, 4);
  const addUser = db.prepare('INSERT INTO users (user_id, email, display_name, password_hash, is_admin) VALUES (?, ?, ?, ?, ?)');
  const addWorkflow = db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public) VALUES (?, ?, ?, ?)');
  const ids: string[] = [];
  const every = fill.shared > 0 ? Math.round(fill.workflows / fill.shared) : 0;
  db.transaction(() => {
    for (let u = 0; u < fill.users; u++) addUser.run(`u-${u}`, `user${u}@example.com`, `User ${u}`, hash, u === 0 ? 1 : 0);
    for (let w = 0; w < fill.workflows; w++) {
      const id = `44444444-0000-4000-8000-${String(w).padStart(12, '0')}`;
      ids.push(id);
      const base = bases[w % bases.length]!;
      const json = { ...base, id, name: `${String(base.name)} #${w}`, meta: { ...base.meta, category: 'user' } };
      addWorkflow.run(id, JSON.stringify(json), `u-${w % fill.users}`, every > 0 && w % every === 0 ? 1 : 0);
    }
    // InvokeAI's start-up sync inserts the defaults with the column defaults (owner system, not public).
    if (fill.defaults) for (const base of bases) db.prepare('INSERT INTO workflow_library (workflow_id, workflow) VALUES (?, ?)').run(base.id, JSON.stringify(base));
  })();
  db.close();
  return ids;
}
