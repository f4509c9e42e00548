// `flowshelf import-invokeai <invokeai.db> [--dry-run]`: moves the workflow_library of an InvokeAI
// database (reference §4) into per-user Flowshelf libraries.
//
// - Columns are read with PRAGMA table_xinfo (category/name/description/tags are VIRTUAL generated
//   columns, invisible to table_info); category is taken from the JSON itself. user_id and is_public
//   may be missing (databases before migration 28): rows then belong to `system`, and system rows are
//   public, as InvokeAI's migration 28 makes them.
// - Owners are matched by email through InvokeAI's `users` table; `system` becomes our system user.
//   A missing user is created without a password (nobody can log in as them) and without admin
//   rights; an administrator sets a password (PATCH /api/v1/auth/users/{id} {"password"}).
// - Default-category rows are skipped (Flowshelf has its own defaults). Rows already in the target
//   library (same id) are skipped, so running it twice imports nothing twice.
// - Documents are written through the DocumentStore; the next server start indexes and publishes them.
//   It refuses to run while a server holds the data folder. --dry-run prints the same lines and
//   changes nothing (the target database is opened read-only and not migrated).
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type * as Y from 'yjs';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createEntry, setEntryOpenedAt, validateWorkflow, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { normalizeEmail } from '../auth/emails.js';
import { UserStore } from '../auth/users.js';
import { databaseFile } from '../config.js';
import { openDatabase } from '../db/database.js';
import { hasColumn, tableExists } from '../db/schema-check.js';
import { DEFAULT_ID_PREFIX } from '../library/defaults.js';
import { changeStoredLibrary, readStoredLibrary } from '../library/offline.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { CliError, dataDirOption, parseCommandArgs, UsageError, type CliCommand, type CliIO } from './common.js';
import { assertNoServer, dataDirOf } from './library-common.js';

const USAGE = 'flowshelf import-invokeai <invokeai.db> [--dry-run] [--data-dir D]';

export interface InvokeAIWorkflowRow {
  workflow_id: string;
  workflow: string;
  created_at: string | null;
  updated_at: string | null;
  opened_at: string | null;
  user_id: string;
  is_public: boolean;
}

export interface InvokeAIUser {
  email: string;
  display_name: string | null;
}

export interface InvokeAISource {
  rows: InvokeAIWorkflowRow[];
  users: Map<string, InvokeAIUser>;
}

/** Reads an InvokeAI database (read-only) whatever its schema version since workflow_library exists. */
export function readInvokeAI(file: string): InvokeAISource {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CliError(`cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    if (!tableExists(db, 'workflow_library')) throw new CliError(`${file} has no workflow_library table (not an InvokeAI database?)`);
    const col = (name: string, fallback: string) => (hasColumn(db, 'workflow_library', name) ? name : `${fallback} AS ${name}`);
    const hasIsPublic = hasColumn(db, 'workflow_library', 'is_public');
    const raw = db
      .prepare(
        `SELECT workflow_id, workflow, created_at, updated_at, ${col('opened_at', 'NULL')}, ${col('user_id', `'${SYSTEM_USER_ID}'`)},
           ${col('is_public', 'NULL')} FROM workflow_library ORDER BY created_at, workflow_id`,
      )
      .all() as (Omit<InvokeAIWorkflowRow, 'is_public' | 'user_id'> & { is_public: number | null; user_id: string | null })[];
    const rows = raw.map((r) => {
      const userId = r.user_id ?? SYSTEM_USER_ID;
      // Before migration 28 there is no is_public: InvokeAI then makes the legacy (system) rows public.
      const isPublic = hasIsPublic ? r.is_public === 1 : userId === SYSTEM_USER_ID;
      return { ...r, user_id: userId, is_public: isPublic };
    });
    const users = new Map<string, InvokeAIUser>();
    if (tableExists(db, 'users')) {
      for (const u of db.prepare('SELECT user_id, email, display_name FROM users').all() as ({ user_id: string } & InvokeAIUser)[]) {
        users.set(u.user_id, { email: u.email, display_name: u.display_name });
      }
    }
    return { rows, users };
  } finally {
    db.close();
  }
}

/** InvokeAI's '%Y-%m-%d %H:%M:%f' UTC text as ISO-8601; null if absent or unreadable. */
export function invokeTimestamp(value: string | null): string | null {
  if (!value) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:?00)?$/.exec(value.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

interface Planned {
  row: InvokeAIWorkflowRow;
  workflow: Workflow;
  ownerEmail: string;
}

export interface ImportSummary {
  imported: number;
  skipped: number;
  usersCreated: number;
}

interface Target {
  /** Our user id for an email, or null if there is none yet. */
  userIdFor(email: string): string | null;
  createUser(email: string, displayName: string | null): Promise<string>;
  has(userId: string, workflowId: string): Promise<boolean>;
  write(userId: string, items: Planned[]): Promise<void>;
}

/** Plans and (unless dry-run) performs the import, printing one line per workflow and a summary. */
export async function importWorkflows(source: InvokeAISource, target: Target, out: (line: string) => void, dryRun: boolean) {
  const would = dryRun ? 'would ' : '';
  const summary: ImportSummary = { imported: 0, skipped: 0, usersCreated: 0 };
  const skip = (row: InvokeAIWorkflowRow, why: string) => {
    summary.skipped++;
    out(`${would}skip ${row.workflow_id}: ${why}`);
  };
  const byOwner = new Map<string, Planned[]>();
  const created = new Map<string, string>();
  // Users this run creates: their libraries are empty, nothing to look up.
  const fresh = new Set<string>();
  for (const row of source.rows) {
    let json: unknown;
    try {
      json = JSON.parse(row.workflow);
    } catch {
      skip(row, 'workflow is not JSON');
      continue;
    }
    const category = (json as { meta?: { category?: unknown } })?.meta?.category;
    if (category === 'default') {
      skip(row, 'default workflow (Flowshelf ships its own)');
      continue;
    }
    if (row.workflow_id.startsWith(DEFAULT_ID_PREFIX)) {
      skip(row, `ids starting with ${DEFAULT_ID_PREFIX} are reserved for default workflows`);
      continue;
    }
    const checked = validateWorkflow({ ...(json as object), id: row.workflow_id });
    if (!checked.ok) {
      skip(row, `not a valid workflow (${checked.error})`);
      continue;
    }
    let ownerId: string;
    let ownerEmail: string;
    if (row.user_id === SYSTEM_USER_ID) {
      ownerId = SYSTEM_USER_ID;
      ownerEmail = 'system';
    } else {
      const user = source.users.get(row.user_id);
      if (!user) {
        skip(row, `owner ${row.user_id} is not in the users table`);
        continue;
      }
      ownerEmail = normalizeEmail(user.email);
      const known = target.userIdFor(ownerEmail) ?? created.get(ownerEmail);
      if (known) ownerId = known;
      else {
        ownerId = dryRun ? `new:${ownerEmail}` : await target.createUser(ownerEmail, user.display_name);
        created.set(ownerEmail, ownerId);
        fresh.add(ownerId);
        summary.usersCreated++;
        out(`${would}create user ${ownerEmail} without a password (an administrator must set one)`);
      }
    }
    if (!fresh.has(ownerId) && (await target.has(ownerId, row.workflow_id))) {
      skip(row, `already in the library of ${ownerEmail}`);
      continue;
    }
    let list = byOwner.get(ownerId);
    if (!list) byOwner.set(ownerId, (list = []));
    list.push({ row, workflow: checked.workflow, ownerEmail });
  }
  for (const [ownerId, items] of byOwner) {
    if (!dryRun) await target.write(ownerId, items);
    for (const { row, workflow, ownerEmail } of items) {
      summary.imported++;
      out(`${would}import ${row.workflow_id} "${workflow.name}" for ${ownerEmail} (${row.is_public ? 'shared' : 'private'})`);
    }
  }
  out(
    `${dryRun ? 'dry run: ' : ''}${summary.imported} workflow(s) ${dryRun ? 'to import' : 'imported'}, ${summary.skipped} skipped, ` +
      `${summary.usersCreated} user(s) ${dryRun ? 'to create' : 'created'}`,
  );
  return summary;
}

/** Writes planned workflows into one library, keeping InvokeAI's timestamps and sharing. */
function writeEntries(doc: Y.Doc, items: Planned[]): void {
  const now = new Date().toISOString();
  for (const { row, workflow } of items) {
    const createdAt = invokeTimestamp(row.created_at) ?? now;
    createEntry(doc, row.workflow_id, workflow, { isPublic: row.is_public, now: createdAt });
    const updatedAt = invokeTimestamp(row.updated_at);
    const entry = workflowsMap(doc).get(row.workflow_id);
    if (updatedAt && entry) doc.transact(() => entry.set('updated_at', updatedAt));
    const openedAt = invokeTimestamp(row.opened_at);
    if (openedAt) setEntryOpenedAt(doc, row.workflow_id, openedAt);
  }
}

async function run(args: string[], io: CliIO): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, { ...dataDirOption, 'dry-run': { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError('import-invokeai needs exactly one InvokeAI database file');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  const dryRun = values['dry-run'] ?? false;
  const dataDir = dataDirOf(values['data-dir'], io.env);
  const source = readInvokeAI(file);

  if (dryRun) {
    // Read-only and unmigrated: a dry run changes nothing, not even the schema.
    const dbFile = databaseFile({ dataDir });
    const db = existsSync(dbFile) ? new Database(dbFile, { readonly: true, fileMustExist: true }) : null;
    try {
      const byEmail = db && tableExists(db, 'users') ? db.prepare('SELECT user_id FROM users WHERE email = ?') : null;
      const store = db && tableExists(db, 'doc_updates') ? new SqliteStore(db) : null;
      await importWorkflows(
        source,
        {
          userIdFor: (email) => (byEmail?.get(email) as { user_id: string } | undefined)?.user_id ?? null,
          createUser: async () => {
            throw new Error('dry run creates no users');
          },
          has: async (userId, id) => (store ? readStoredLibrary(store, userId, (doc) => workflowsMap(doc).has(id)) : false),
          write: async () => {},
        },
        io.out,
        true,
      );
    } finally {
      db?.close();
    }
    return;
  }

  assertNoServer(dataDir);
  const db = openDatabase(databaseFile({ dataDir }));
  try {
    const users = new UserStore(db);
    const store = new SqliteStore(db);
    await importWorkflows(
      source,
      {
        userIdFor: (email) => users.getByEmail(email)?.userId ?? null,
        createUser: async (email, displayName) => (await users.create({ email, password: null, displayName })).userId,
        has: (userId, id) => readStoredLibrary(store, userId, (doc) => workflowsMap(doc).has(id)),
        write: (userId, items) => changeStoredLibrary(store, userId, (doc) => writeEntries(doc, items)),
      },
      io.out,
      false,
    );
  } finally {
    db.close();
  }
}

export const importInvokeAICommand: CliCommand = {
  summary: "import an InvokeAI database's workflow library into per-user libraries",
  usage: USAGE,
  run,
};
