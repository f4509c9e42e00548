// What every CLI command shares: argument parsing with one-line errors, and opening the same
// database the server uses (--data-dir / FLOWSHELF_DATA_DIR, or --database-url for PostgreSQL), on
// SQLite safely beside a running server (WAL).
import type { Database } from 'better-sqlite3';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { randomUUID } from 'node:crypto';
import { RedisUserEvents, type UserEvents } from '../cluster/user-events.js';
import { ConfigError, databaseFile, describeParseError, parseConfig, resolveDataDir, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { MAINTENANCE_LEASE } from '../library/library.js';
import { openBackend, type Backend } from '../storage/backend.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { WorkflowIndexStore } from '../storage/index-store.js';
import { InProcessLeaseStore, type LeaseStore } from '../storage/lease-store.js';
import { SqliteIndexStore } from '../storage/sqlite/index-store.js';
import { SqliteThumbnailStore } from '../storage/sqlite/thumbnail-store.js';
import { SqliteUserRepository } from '../storage/sqlite/user-store.js';
import { SqliteVersionStore } from '../storage/sqlite/version-store.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import type { ThumbnailStore } from '../storage/thumbnail-store.js';
import type { UserRepository } from '../storage/user-store.js';
import type { VersionStore } from '../storage/version-store.js';

/** Wrong use of the command: exit code 2 and the usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not do its job (no such user, last admin, ...): exit code 1 unless told (a refusal: 2). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export interface CliCommand {
  /** One line for `flowshelf help`. */
  summary: string;
  usage: string;
  /** Resolves when done; throws UsageError / CliError (or anything else) on failure. */
  run(args: string[], io: CliIO): Promise<void>;
}

export interface CliIO {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
}

export const dataDirOption = { 'data-dir': { type: 'string' } } as const;

export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
}

/** Opens (and migrates) the server's database. */
export function openCliDatabase(dataDirFlag: string | undefined, env: NodeJS.ProcessEnv): Database {
  let dataDir: string;
  try {
    dataDir = resolveDataDir(dataDirFlag, env);
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
  return openDatabase(databaseFile({ dataDir }));
}

/** Where a command finds the store: the server's own flags (also read from the FLOWSHELF_ variables). */
export const storeOptions = {
  ...dataDirOption,
  'database-url': { type: 'string' },
  'redis-url': { type: 'string' },
} as const;

export interface StoreFlags {
  'data-dir'?: string;
  'database-url'?: string;
  'redis-url'?: string;
}

/**
 * The store a command works on, through the same ports as the server: the SQLite file of the data
 * folder (opened beside a running server, as before: WAL), or the PostgreSQL database of
 * --database-url. `userEvents` is Redis's channel of user changes when --redis-url is given, so a user
 * changed here is cut on every node at once; without it the nodes' periodic recheck catches it.
 */
export interface CliStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly dataDir: string;
  /** The SQLite file, or the PostgreSQL URL with its password hidden (for messages). */
  readonly location: string;
  readonly documents: DocumentStore;
  readonly index: WorkflowIndexStore;
  readonly thumbnails: ThumbnailStore;
  readonly versions: VersionStore;
  readonly users: UserRepository;
  readonly leases: LeaseStore;
  readonly userEvents: UserEvents | null;
  close(): Promise<void>;
}

/** --data-dir, --database-url and --redis-url parsed exactly as the server parses them (server/config.ts). */
export function storeConfig(flags: StoreFlags, env: NodeJS.ProcessEnv): Pick<Config, 'dataDir' | 'databaseUrl' | 'redisUrl'> {
  const argv: string[] = [];
  for (const name of ['data-dir', 'database-url', 'redis-url'] as const) {
    const value = flags[name];
    if (value !== undefined) argv.push(`--${name}`, value);
  }
  // Only the store's variables: the CLI must not fail on a server-only variable it does not use.
  const storeEnv: NodeJS.ProcessEnv = {};
  for (const key of ['FLOWSHELF_DATA_DIR', 'FLOWSHELF_DATABASE_URL', 'FLOWSHELF_REDIS_URL']) if (env[key] !== undefined) storeEnv[key] = env[key];
  try {
    const { dataDir, databaseUrl, redisUrl } = parseConfig(argv, storeEnv);
    return { dataDir, databaseUrl, redisUrl };
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
}

/** `userEvents: false` for commands that change no account (no Redis connection then). */
export async function openCliStore(flags: StoreFlags, env: NodeJS.ProcessEnv, options: { userEvents?: boolean } = {}): Promise<CliStore> {
  const config = storeConfig(flags, env);
  if (config.databaseUrl === null) {
    // Not openBackend: that takes the folder's server lock, and account commands run beside a server.
    const db = openDatabase(databaseFile(config));
    return {
      kind: 'sqlite',
      dataDir: config.dataDir,
      location: databaseFile(config),
      documents: new SqliteStore(db),
      index: new SqliteIndexStore(db),
      thumbnails: new SqliteThumbnailStore(db),
      versions: new SqliteVersionStore(db),
      users: new SqliteUserRepository(db),
      leases: new InProcessLeaseStore(),
      userEvents: null,
      async close() {
        db.close();
      },
    };
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let backend: Backend;
  try {
    backend = await openBackend(config, { log, postgres: { log } });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  let userEvents: UserEvents | null = null;
  if (config.redisUrl !== null && options.userEvents !== false) {
    try {
      userEvents = await RedisUserEvents.connect({ url: config.redisUrl, log, connectTimeoutMs: 10_000 });
    } catch (err) {
      await backend.close();
      throw new CliError(`cannot reach Redis (--redis-url): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const events = userEvents;
  return {
    kind: 'postgres',
    dataDir: config.dataDir,
    location: backend.location,
    documents: backend.documents,
    index: backend.index,
    thumbnails: backend.thumbnails,
    versions: backend.versions,
    users: backend.users,
    leases: backend.leases,
    userEvents: events,
    async close() {
      try {
        await events?.close();
      } finally {
        await backend.close();
      }
    },
  };
}

/**
 * On PostgreSQL, whether any node is running: every live node takes the library's maintenance lease
 * in turn (server/library/library.ts), so a lease this command can take means none holds it. When
 * granted, the command holds it while it works (no node's sweep or reconcile runs meanwhile) and
 * must call the returned release. Null: a node is running.
 */
export async function holdMaintenanceLease(store: CliStore, ttlMs = 60_000): Promise<(() => Promise<void>) | null> {
  const holder = `cli-${randomUUID()}`;
  if (!(await store.leases.tryAcquire(MAINTENANCE_LEASE, holder, ttlMs))) return null;
  return () => store.leases.release(MAINTENANCE_LEASE, holder);
}
