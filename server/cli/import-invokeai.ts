// `flowshelf import-invokeai <invokeai.db> [--thumbnails DIR] [--dry-run]`: moves an InvokeAI
// database's accounts and workflow_library (reference §3, §4) into Flowshelf.
//
// - Accounts: every InvokeAI user but `system` is created as it was there: email, display name, admin
//   and active flags, creation time and the passlib bcrypt password hash, so everyone logs in with the
//   password they had (verified with bcrypt once, then rehashed to scrypt: server/auth/users.ts). A
//   hash we cannot verify (not bcrypt, cost out of range, empty) gives an account without a password,
//   which nobody can log in to until an administrator sets one. InvokeAI's `system` user is never
//   created as an account: its workflows go to Flowshelf's own `system` library, which cannot log in
//   either. An email Flowshelf already has keeps the Flowshelf account as it is (password, flags, name:
//   it may have been set up and used here already); only its workflows come along. The dry run says so.
// - Columns are read with PRAGMA table_xinfo (category/name/description/tags are VIRTUAL generated
//   columns, invisible to table_info); category is taken from the JSON itself. user_id and is_public
//   may be missing (databases before migration 28): rows then belong to `system`, and system rows are
//   public, as InvokeAI's migration 28 makes them.
// - Default-category rows are skipped (Flowshelf has its own defaults). Rows already in the target
//   library (same id) are skipped, so running it twice imports nothing twice.
// - Thumbnails (--thumbnails, InvokeAI's workflow_thumbnails folder: `<workflow_id>.webp`) go through
//   what a REST upload goes through: the upload size limit, the format check and bounded decoding to
//   a 256px webp, the owner's storage quota (--user-quota-mb / FLOWSHELF_USER_QUOTA_MB, as the
//   server); a file refused is skipped with one line naming it, its workflow still comes.
// - Documents are written through the DocumentStore; the next server start indexes and publishes them.
//   It refuses to run while a server holds the data folder (on PostgreSQL, --database-url: while a node
//   runs on the database). --dry-run prints the same lines and
//   changes nothing (the target database is opened read-only and not migrated).
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Y from 'yjs';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createEntry, setEntryOpenedAt, setEntryThumbnail, validateWorkflow, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { emailProblem, normalizeEmail } from '../auth/emails.js';
import { foreignHashProblem } from '../auth/passwords.js';
import { UserStore } from '../auth/users.js';
import { databaseFile, DEFAULT_USER_QUOTA_MB } from '../config.js';
import { hasColumn, tableExists } from '../db/schema-check.js';
import { HttpError } from '../http/errors.js';
import { thumbnailWebp } from '../http/thumbnail-image.js';
import { DEFAULT_ID_PREFIX } from '../library/defaults.js';
import { changeStoredLibrary, readStoredLibrary } from '../library/offline.js';
import { UserQuota } from '../storage/quota.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { CliError, openCliStore, parseCommandArgs, storeConfig, storeOptions, UsageError, type CliCommand, type CliIO } from './common.js';
import { withOfflineStore } from './library-common.js';

const USAGE = 'flowshelf import-invokeai <invokeai.db> [--thumbnails DIR] [--dry-run] [--user-quota-mb N] [--data-dir D | --database-url URL]';

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
  user_id: string;
  email: string;
  display_name: string | null;
  /** passlib bcrypt ('$2b$12$...'); '' for no password (InvokeAI's system user). */
  password_hash: string;
  is_admin: boolean;
  is_active: boolean;
  created_at: string | null;
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
    // Oldest first, so accounts are created in InvokeAI's order (migration 27 has every column; the
    // fallbacks only keep a hand-made table readable).
    const users = new Map<string, InvokeAIUser>();
    if (tableExists(db, 'users')) {
      const ucol = (name: string, fallback: string) => (hasColumn(db, 'users', name) ? name : `${fallback} AS ${name}`);
      const raw = db
        .prepare(
          `SELECT user_id, email, ${ucol('display_name', 'NULL')}, ${ucol('password_hash', "''")}, ${ucol('is_admin', '0')},
             ${ucol('is_active', '1')}, ${ucol('created_at', 'NULL')} FROM users ORDER BY created_at, email`,
        )
        .all() as (Omit<InvokeAIUser, 'is_admin' | 'is_active'> & { is_admin: number; is_active: number })[];
      for (const u of raw) {
        users.set(u.user_id, { ...u, password_hash: u.password_hash ?? '', is_admin: u.is_admin === 1, is_active: u.is_active === 1 });
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
  thumbnail: ThumbnailCheck;
}

export interface ImportSummary {
  imported: number;
  skipped: number;
  usersCreated: number;
  /** Created users whose InvokeAI password came along (the rest have none until an admin sets one). */
  usersWithPassword: number;
  /** InvokeAI users whose email Flowshelf already had: that account is kept as it is. */
  usersKept: number;
  thumbnailsImported: number;
  thumbnailsMissing: number;
  thumbnailsRefused: number;
}

/** A Flowshelf account that already exists for an email. */
interface ExistingUser {
  userId: string;
}

interface Target {
  existingUser(email: string): ExistingUser | null | Promise<ExistingUser | null>;
  createUser(user: InvokeAIUser, email: string): Promise<string>;
  has(userId: string, workflowId: string): Promise<boolean>;
  write(userId: string, items: Planned[]): Promise<void>;
  /** Stores one prepared thumbnail for its owner (quota checked first) and returns its version. */
  storeThumbnail(userId: string, workflowId: string, webp: Buffer): Promise<string>;
  /** Writes the stored thumbnails' versions into the owner's library entries. */
  recordThumbnails(userId: string, versions: Map<string, string>): Promise<void>;
}

/** The REST thumbnail upload's limit (MAX_THUMBNAIL_FILE_BYTES in server/http/workflow-routes.ts): 32 MiB. */
const MAX_THUMBNAIL_FILE_BYTES = 32 * 1024 * 1024;

export type ThumbnailCheck =
  | { kind: 'none' }
  | { kind: 'missing'; file: string }
  | { kind: 'refused'; file: string; reason: string }
  | { kind: 'ready'; file: string; webp: Buffer };

/**
 * InvokeAI's thumbnail of a user workflow (workflow_thumbnails_disk.py: `<folder>/<id>.webp`), made
 * into what a REST upload would store: at most the upload limit, a raster format, bounded decoding.
 */
export async function checkThumbnail(dir: string | undefined, workflowId: string): Promise<ThumbnailCheck> {
  if (dir === undefined) return { kind: 'none' };
  // An id that is not one plain file name (a crafted row: '../x') names no file in the folder.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(workflowId)) return { kind: 'missing', file: `${workflowId}.webp` };
  const file = join(dir, `${workflowId}.webp`);
  let data: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return { kind: 'refused', file, reason: 'not a regular file' };
      if (stat.size > MAX_THUMBNAIL_FILE_BYTES) return { kind: 'refused', file, reason: `larger than the ${MAX_THUMBNAIL_FILE_BYTES}-byte upload limit` };
      data = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', file };
    return { kind: 'refused', file, reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    return { kind: 'ready', file, webp: await thumbnailWebp(data) };
  } catch (error) {
    if (error instanceof HttpError) return { kind: 'refused', file, reason: error.message };
    throw error;
  }
}

function flagsOf(user: InvokeAIUser): string {
  return `${user.is_admin ? 'administrator' : 'user'}, ${user.is_active ? 'active' : 'inactive'}`;
}

/** Plans and (unless dry-run) performs the import, printing one line per user and workflow and a summary. */
export async function importWorkflows(
  source: InvokeAISource,
  target: Target,
  out: (line: string) => void,
  dryRun: boolean,
  thumbnailsDir?: string,
) {
  const would = dryRun ? 'would ' : '';
  const summary: ImportSummary = {
    imported: 0,
    skipped: 0,
    usersCreated: 0,
    usersWithPassword: 0,
    usersKept: 0,
    thumbnailsImported: 0,
    thumbnailsMissing: 0,
    thumbnailsRefused: 0,
  };
  const skip = (row: InvokeAIWorkflowRow, why: string) => {
    summary.skipped++;
    out(`${would}skip ${row.workflow_id}: ${why}`);
  };

  // Accounts first, every one of them (not only those owning workflows): everyone logs in as before.
  const ownerOf = new Map<string, { ownerId: string; email: string }>();
  const notImported = new Map<string, string>();
  const byEmail = new Map<string, string>();
  // Users this run creates: their libraries are empty, nothing to look up.
  const fresh = new Set<string>();
  for (const user of source.users.values()) {
    if (user.user_id === SYSTEM_USER_ID) {
      out(`${would}skip user ${user.email}: InvokeAI's system user is not an account anyone logs in to; its workflows go to Flowshelf's system library`);
      continue;
    }
    const email = normalizeEmail(user.email);
    const problem = emailProblem(email);
    if (problem !== null) {
      notImported.set(user.user_id, `its email ${problem}`);
      out(`${would}skip user ${user.email}: email ${problem} (their workflows are skipped too)`);
      continue;
    }
    const again = byEmail.get(email);
    if (again !== undefined) {
      ownerOf.set(user.user_id, { ownerId: again, email });
      continue;
    }
    const existing = await target.existingUser(email);
    if (existing?.userId === SYSTEM_USER_ID) {
      notImported.set(user.user_id, "its email is Flowshelf's system user's");
      out(`${would}skip user ${email}: the email of Flowshelf's system user (their workflows are skipped too)`);
      continue;
    }
    if (existing) {
      summary.usersKept++;
      ownerOf.set(user.user_id, { ownerId: existing.userId, email });
      byEmail.set(email, existing.userId);
      out(
        `${would}keep user ${email}: a Flowshelf account already has this email; its password, flags and name stay as they are ` +
          `(InvokeAI's ${flagsOf(user)} account and password are not taken)`,
      );
      continue;
    }
    const hashProblem = foreignHashProblem(user.password_hash);
    const ownerId = dryRun ? `new:${email}` : await target.createUser(user, email);
    ownerOf.set(user.user_id, { ownerId, email });
    byEmail.set(email, ownerId);
    fresh.add(ownerId);
    summary.usersCreated++;
    if (hashProblem === null) summary.usersWithPassword++;
    out(
      `${would}create user ${email} (${flagsOf(user)}) ` +
        (hashProblem === null ? 'with their InvokeAI password' : `without a password: ${hashProblem} (an administrator must set one)`),
    );
  }

  const byOwner = new Map<string, Planned[]>();
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
      const owner = ownerOf.get(row.user_id);
      if (!owner) {
        const why = notImported.get(row.user_id);
        skip(row, why === undefined ? `owner ${row.user_id} is not in the users table` : `owner ${row.user_id} is not imported: ${why}`);
        continue;
      }
      ({ ownerId, email: ownerEmail } = owner);
    }
    if (!fresh.has(ownerId) && (await target.has(ownerId, row.workflow_id))) {
      skip(row, `already in the library of ${ownerEmail}`);
      continue;
    }
    let list = byOwner.get(ownerId);
    if (!list) byOwner.set(ownerId, (list = []));
    list.push({ row, workflow: checked.workflow, ownerEmail, thumbnail: await checkThumbnail(thumbnailsDir, row.workflow_id) });
  }

  for (const [ownerId, items] of byOwner) {
    if (!dryRun) await target.write(ownerId, items);
    const versions = new Map<string, string>();
    for (const { row, workflow, ownerEmail, thumbnail } of items) {
      summary.imported++;
      let note = '';
      if (thumbnail.kind === 'missing') {
        summary.thumbnailsMissing++;
        note = ', no thumbnail';
      } else if (thumbnail.kind === 'ready') {
        let refusal: string | null = null;
        if (!dryRun) {
          try {
            versions.set(row.workflow_id, await target.storeThumbnail(ownerId, row.workflow_id, thumbnail.webp));
          } catch (error) {
            refusal = error instanceof Error ? error.message : String(error);
          }
        }
        if (refusal === null) {
          summary.thumbnailsImported++;
          note = ', with thumbnail';
        } else {
          summary.thumbnailsRefused++;
          note = ', thumbnail refused';
          out(`skip thumbnail ${thumbnail.file}: ${refusal}`);
        }
      } else if (thumbnail.kind === 'refused') {
        summary.thumbnailsRefused++;
        note = ', thumbnail refused';
        out(`${would}skip thumbnail ${thumbnail.file}: ${thumbnail.reason}`);
      }
      out(`${would}import ${row.workflow_id} "${workflow.name}" for ${ownerEmail} (${row.is_public ? 'shared' : 'private'}${note})`);
    }
    if (!dryRun && versions.size > 0) await target.recordThumbnails(ownerId, versions);
  }
  const thumbs =
    thumbnailsDir === undefined
      ? ''
      : `; thumbnails: ${summary.thumbnailsImported} ${dryRun ? 'found' : 'imported'}, ${summary.thumbnailsMissing} missing, ${summary.thumbnailsRefused} refused`;
  out(
    `${dryRun ? 'dry run: ' : ''}${summary.imported} workflow(s) ${dryRun ? 'to import' : 'imported'}, ${summary.skipped} skipped, ` +
      `${summary.usersCreated} user(s) ${dryRun ? 'to create' : 'created'} (${summary.usersWithPassword} with their InvokeAI password), ` +
      `${summary.usersKept} existing user(s) kept${thumbs}`,
  );
  return summary;
}

/**
 * Writes planned workflows into one library, keeping InvokeAI's timestamps and sharing. One
 * transaction, so the library gets one update rather than one per workflow merged afterwards.
 */
function writeEntries(doc: Y.Doc, items: Planned[]): void {
  doc.transact(() => writeEntriesNow(doc, items));
}

function writeEntriesNow(doc: Y.Doc, items: Planned[]): void {
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

/** --user-quota-mb, else FLOWSHELF_USER_QUOTA_MB, else the server's default: the limit the server applies. */
function quotaBytes(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = flag ?? env.FLOWSHELF_USER_QUOTA_MB;
  if (raw === undefined) return DEFAULT_USER_QUOTA_MB * 1024 * 1024;
  const mb = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(mb) || mb > 1024 * 1024) throw new UsageError(`--user-quota-mb must be an integer from 0 to ${1024 * 1024}, got "${raw}"`);
  return mb * 1024 * 1024;
}

async function run(args: string[], io: CliIO): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...storeOptions, 'dry-run': { type: 'boolean' }, thumbnails: { type: 'string' }, 'user-quota-mb': { type: 'string' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('import-invokeai needs exactly one InvokeAI database file');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  const thumbnailsDir = values.thumbnails;
  if (thumbnailsDir !== undefined && !(existsSync(thumbnailsDir) && statSync(thumbnailsDir).isDirectory())) {
    throw new CliError(`--thumbnails ${thumbnailsDir} is not a folder`);
  }
  const dryRun = values['dry-run'] ?? false;
  const limitBytes = quotaBytes(values['user-quota-mb'], io.env);
  const config = storeConfig(values, io.env);
  const dataDir = config.dataDir;
  const source = readInvokeAI(file);

  if (dryRun && config.databaseUrl !== null) {
    // PostgreSQL: the store's own reads (a schema a node has not created yet is created here, as the
    // first node would; nothing else is written).
    const store = await openCliStore(values, io.env, { userEvents: false });
    try {
      const refuse = async (): Promise<never> => {
        throw new Error('a dry run writes nothing');
      };
      await importWorkflows(
        source,
        {
          existingUser: async (email) => {
            const user = await store.users.getByEmail(email);
            return user === null ? null : { userId: user.userId };
          },
          createUser: refuse,
          has: (userId, id) => readStoredLibrary(store.documents, userId, (doc) => workflowsMap(doc).has(id)),
          write: async () => {},
          storeThumbnail: refuse,
          recordThumbnails: refuse,
        },
        io.out,
        true,
        thumbnailsDir,
      );
    } finally {
      await store.close();
    }
    return;
  }

  if (dryRun) {
    // Read-only and unmigrated: a dry run changes nothing, not even the schema.
    const dbFile = databaseFile({ dataDir });
    const db = existsSync(dbFile) ? new Database(dbFile, { readonly: true, fileMustExist: true }) : null;
    try {
      const byEmail = db && tableExists(db, 'users') ? db.prepare('SELECT user_id FROM users WHERE email = ?') : null;
      const store = db && tableExists(db, 'doc_updates') ? new SqliteStore(db) : null;
      const refuse = async (): Promise<never> => {
        throw new Error('a dry run writes nothing');
      };
      await importWorkflows(
        source,
        {
          existingUser: (email) => {
            const id = (byEmail?.get(email) as { user_id: string } | undefined)?.user_id;
            return id === undefined ? null : { userId: id };
          },
          createUser: refuse,
          has: async (userId, id) => (store ? readStoredLibrary(store, userId, (doc) => workflowsMap(doc).has(id)) : false),
          write: async () => {},
          storeThumbnail: refuse,
          recordThumbnails: refuse,
        },
        io.out,
        true,
        thumbnailsDir,
      );
    } finally {
      db?.close();
    }
    return;
  }

  await withOfflineStore(values, io, async (opened) => {
    const users = new UserStore(opened.users);
    const store = opened.documents;
    const thumbnails = opened.thumbnails;
    // The server's own quota, measured on the stored document as the server counts it (snapshot + log).
    // A library does not change between its owner's thumbnails (their versions are written after the
    // last one), so it is measured once per owner, not loaded again for each of hundreds of images.
    const measured = new Map<string, number>();
    const quota = new UserQuota({
      thumbnails,
      limitBytes,
      documentBytes: async (name) => {
        let bytes = measured.get(name);
        if (bytes === undefined) {
          const stored = await store.load(name);
          bytes = (stored.snapshot?.length ?? 0) + stored.updates.reduce((sum, u) => sum + u.length, 0);
          measured.set(name, bytes);
        }
        return bytes;
      },
    });
    const changeLibrary = (userId: string, change: (doc: Y.Doc) => void) => {
      measured.delete(libraryDocument(userId));
      return changeStoredLibrary(store, userId, change);
    };
    await importWorkflows(
      source,
      {
        existingUser: async (email) => {
          const user = await users.getByEmail(email);
          return user === null ? null : { userId: user.userId };
        },
        createUser: async (user, email) =>
          (await users.importAccount({
            email,
            displayName: user.display_name,
            passwordHash: user.password_hash,
            isAdmin: user.is_admin,
            isActive: user.is_active,
            createdAt: invokeTimestamp(user.created_at) ?? undefined,
          })).userId,
        has: (userId, id) => readStoredLibrary(store, userId, (doc) => workflowsMap(doc).has(id)),
        write: (userId, items) => changeLibrary(userId, (doc) => writeEntries(doc, items)),
        // As LibraryService.setThumbnail: quota, then the image, and only then its version in the library.
        storeThumbnail: async (userId, workflowId, webp) => {
          await quota.assertThumbnailFits(userId, workflowId, webp.length);
          const version = randomUUID();
          await thumbnails.put(workflowId, userId, webp, version);
          await quota.thumbnailsChanged(userId);
          return version;
        },
        recordThumbnails: (userId, versions) =>
          changeLibrary(userId, (doc) => {
            for (const [workflowId, version] of versions) setEntryThumbnail(doc, workflowId, version);
          }),
      },
      io.out,
      false,
      thumbnailsDir,
    );
  });
}

export const importInvokeAICommand: CliCommand = {
  summary: "import an InvokeAI database's accounts, workflow library and thumbnails",
  usage: USAGE,
  run,
};
