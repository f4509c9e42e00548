// A real Flowshelf server for tests: real HTTP on port 0, a temp data folder, and the store of the run's
// back end (test-backend.ts): the SQLite file in that folder, or a fresh PostgreSQL database of its own
// when FLOWSHELF_TEST_BACKEND=postgres.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { startServer, type RunningServer } from '../../server/app.js';
import { parseConfig, type Config } from '../../server/config.js';
import { openBackend, type Backend } from '../../server/storage/backend.js';
import { SYNC_PATH } from '../../shared/protocol.js';
import { createTestDatabase, testBackend, type TestBackend, type TestDatabase } from './test-backend.js';

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>/sync — the base URL a WebsocketProvider takes. */
  wsUrl: string;
  dataDir: string;
  /** Where the server's data lives: the SQLite file in dataDir, or its own PostgreSQL database. */
  backend: TestBackend;
  server: RunningServer;
  /** Stops the server and removes the data folder (unless the caller supplied it) and its PostgreSQL database. */
  close(): Promise<void>;
  /** Stops the server and starts a new one on the same data folder and database (new port). */
  restart(): Promise<TestServer>;
  /**
   * The server's store opened beside it, through the storage ports, as another process would: for a
   * test that reads or writes what is stored, or writes what an older server would have left. On
   * SQLite the folder's server lock is taken, so the server must be stopped (server.close()) first.
   */
  openStore(): Promise<Backend>;
}

export interface TestServerOptions {
  multiuser?: boolean;
  /** Use this folder (kept on close); default: a fresh temp folder removed on close. */
  dataDir?: string;
  config?: Partial<Config>;
  /**
   * The store: default the run's (FLOWSHELF_TEST_BACKEND). 'postgres' creates a database for this
   * server (dropped on close) unless config.databaseUrl names one (kept on close). With a caller's
   * dataDir the database goes with the folder: kept on close, and found again by the next server
   * started on that folder, as the SQLite file would be.
   */
  backend?: TestBackend;
}

/** The PostgreSQL database of each caller-supplied data folder (kept until the process's PostgreSQL stops). */
const folderDatabases = new Map<string, TestDatabase>();

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flowshelf-test-'));
  const config: Config = {
    ...parseConfig([], {}),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    multiuser: opts.multiuser ?? true,
    ...opts.config,
  };
  const backend = config.databaseUrl !== null ? 'postgres' : (opts.backend ?? testBackend);
  let database: TestDatabase | null = null;
  if (backend === 'postgres' && config.databaseUrl === null) {
    let forFolder = ownsDir ? undefined : folderDatabases.get(dataDir);
    if (!forFolder) {
      try {
        forFolder = await createTestDatabase();
      } catch (err) {
        if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
        throw err;
      }
      if (!ownsDir) folderDatabases.set(dataDir, forFolder);
    }
    config.databaseUrl = forFolder.url;
    // Dropped on close only with the temp folder; a caller's folder keeps its database.
    if (ownsDir) database = forFolder;
  }
  return launch(config, backend, { ownsDir, database });
}

/** What closing the last instance removes: the temp folder and the database this helper created. */
interface Owned {
  ownsDir: boolean;
  database: TestDatabase | null;
}

async function removeOwned(config: Config, owned: Owned): Promise<void> {
  if (owned.ownsDir) rmSync(config.dataDir, { recursive: true, force: true });
  await owned.database?.drop();
}

async function launch(config: Config, backend: TestBackend, owned: Owned): Promise<TestServer> {
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (err) {
    await removeOwned(config, owned);
    throw err;
  }
  const ts: TestServer = {
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + SYNC_PATH,
    dataDir: config.dataDir,
    backend,
    server,
    async close() {
      await server.close();
      await removeOwned(config, owned);
    },
    async restart() {
      await server.close();
      // The next instance owns the folder and the database now: closing it removes them.
      return launch({ ...config, port: 0 }, backend, owned);
    },
    openStore() {
      return openBackend(config, { log: () => {} });
    },
  };
  return ts;
}

/**
 * Runs ONE SQL statement on a store, for the few tests that stand in for an operator or another process
 * writing the tables (the statement must read the same on SQLite and PostgreSQL; `?` placeholders).
 * Returns the rows of a query, [] for a write.
 */
export async function storeSql(backend: Backend, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (backend.kind === 'sqlite') {
    const statement = backend.db.prepare(sql);
    if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
    statement.run(...params);
    return [];
  }
  let n = 0;
  return (await backend.pool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
}

/** A document as the server's store holds it (snapshot and updates applied), read through the DocumentStore port. */
export async function storedDocument(ts: Pick<TestServer, 'server'>, name: string): Promise<Y.Doc> {
  const stored = await ts.server.backend.documents.load(name);
  const doc = new Y.Doc();
  for (const update of [stored.snapshot, ...stored.updates]) if (update) Y.applyUpdate(doc, update);
  return doc;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export type Api = <T = any>(method: string, path: string, body?: unknown) => Promise<ApiResponse<T>>;

/** A small fetch wrapper: JSON in, JSON (or text, or null for 204) out, with the bearer token if given. */
export function api(ts: Pick<TestServer, 'url'>, token?: string | null): Api {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(ts.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
}

export interface TestUser {
  userId: string;
  token: string;
  email: string;
  password: string;
}

/** Creates the first administrator through POST /auth/setup and logs in. */
export async function setupAdmin(ts: Pick<TestServer, 'url'>, email = 'admin@example.com', password = 'admin-password-1'): Promise<TestUser> {
  const call = api(ts);
  const setup = await call('POST', '/api/v1/auth/setup', { email, password, display_name: 'Admin' });
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  return login(ts, email, password);
}

/** Creates a user through the admin API and logs in as them. */
export async function createUser(
  ts: Pick<TestServer, 'url'>,
  adminToken: string,
  user: { email: string; password: string; isAdmin?: boolean; displayName?: string },
): Promise<TestUser> {
  const created = await api(ts, adminToken)('POST', '/api/v1/auth/users', {
    email: user.email,
    password: user.password,
    is_admin: user.isAdmin ?? false,
    display_name: user.displayName ?? null,
  });
  if (created.status !== 201) throw new Error(`create user failed: ${created.status} ${JSON.stringify(created.body)}`);
  return login(ts, user.email, user.password);
}

export async function login(ts: Pick<TestServer, 'url'>, email: string, password: string, rememberMe = false): Promise<TestUser> {
  const res = await api(ts)('POST', '/api/v1/auth/login', { email, password, remember_me: rememberMe });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user.user_id, token: res.body.token, email: res.body.user.email, password };
}
