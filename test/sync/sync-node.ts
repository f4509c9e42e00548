// A SyncServer on its own (no library layer, no HTTP API) over a real SQLite file, listening on a
// real port: for the sync core's own behaviour (fan-out, idle unload, store failure, backpressure)
// with options the full app does not expose. Single-user mode, so `library/system` needs no token.
// Documents live in that SQLite file, or in a fresh PostgreSQL database of the node's own on a
// PostgreSQL test run (FLOWSHELF_TEST_BACKEND=postgres, test-backend.ts), unless a DocumentStore is
// given (`store`: e.g. PostgreSQL shared by several nodes); a Fanout is passed as `fanout`. Accounts and
// settings stay in the SQLite file (single-user mode: the node's identity only needs the JWT secret).
import type { Duplex } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseIdentity } from '../../server/auth/identity.js';
import { TokenService } from '../../server/auth/tokens.js';
import { UserStore } from '../../server/auth/users.js';
import { openDatabase, type Database } from '../../server/db/database.js';
import type { DocumentStore } from '../../server/storage/document-store.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { PostgresDocumentStore } from '../../server/storage/postgres/document-store.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { createTestDatabase, testBackend, type TestBackend } from '../helpers/test-backend.js';
import { SqliteSettingsStore, SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';
import { SyncServer, type SyncServerOptions } from '../../server/sync/sync-server.js';
import { SYNC_PATH } from '../../shared/protocol.js';

export interface SyncNode {
  /** ws://127.0.0.1:<port>/sync, the base URL a WebsocketProvider takes. */
  wsUrl: string;
  sync: SyncServer;
  db: Database;
  /** Where the documents live unless `store` was given: the SQLite file `db`, or a PostgreSQL database. */
  backend: TestBackend;
  /** The store the server writes through (the backend's store unless `wrapStore` replaced it). */
  store: DocumentStore;
  /** Messages the server logged (it logs failures; tests may assert on them). */
  logs: string[];
  close(): Promise<void>;
}

export interface SyncNodeOptions extends Partial<Omit<SyncServerOptions, 'store' | 'identity' | 'multiuser' | 'log'>> {
  /** Wraps the node's own store (SQLite, or PostgreSQL on a PostgreSQL run), e.g. in an asynchronous adapter. */
  wrapStore?: (store: DocumentStore) => DocumentStore;
  /** The documents' store instead of the node's own (not closed by the node: its owner closes it). */
  store?: DocumentStore;
  /** The node's own store: default the run's back end (FLOWSHELF_TEST_BACKEND). */
  backend?: TestBackend;
  /** Sees each upgraded TCP socket before the sync server takes it (e.g. to count its writes). */
  onUpgrade?: (socket: Duplex) => void;
}

/**
 * A fresh, migrated PostgreSQL database for documents, shared by several nodes: `open()` gives each
 * node its own pool and PostgresDocumentStore on it, as separate processes would have; `dispose`
 * closes them all and drops the database.
 */
export async function sharedPostgresDocuments(): Promise<{ open(): Promise<DocumentStore>; dispose(): Promise<void> }> {
  const database = await createTestDatabase();
  const migrator = new PostgresPool(database.url);
  try {
    await migratePostgres(migrator, postgresMigrations);
  } catch (error) {
    await migrator.close();
    await database.drop();
    throw error;
  }
  await migrator.close();
  const opened: { pool: PostgresPool; store: PostgresDocumentStore }[] = [];
  return {
    async open() {
      const pool = new PostgresPool(database.url);
      const store = new PostgresDocumentStore(pool);
      opened.push({ pool, store });
      return store;
    },
    async dispose() {
      for (const { pool, store } of opened.splice(0)) {
        await store.close();
        await pool.close();
      }
      await database.drop();
    },
  };
}

/** A PostgresDocumentStore on a fresh, migrated database of its own; `dispose` closes it and drops the database. */
async function openPostgresDocuments(): Promise<{ store: DocumentStore; dispose(): Promise<void> }> {
  const shared = await sharedPostgresDocuments();
  return { store: await shared.open(), dispose: () => shared.dispose() };
}

export async function startSyncNode(file: string, opts: SyncNodeOptions = {}): Promise<SyncNode> {
  const { wrapStore, store: givenStore, backend = testBackend, onUpgrade, ...serverOptions } = opts;
  const db = openDatabase(file);
  const identity = new DatabaseIdentity(
    false,
    new UserStore(new SqliteUserRepository(db)),
    await TokenService.fromSettings(new SqliteSettingsStore(db)),
  );
  const own = givenStore ? null : backend === 'postgres' ? await openPostgresDocuments() : { store: new SqliteStore(db), dispose: async () => {} };
  const store = givenStore ?? (wrapStore ? wrapStore(own!.store) : own!.store);
  const logs: string[] = [];
  const sync = new SyncServer({ ...serverOptions, store, identity, multiuser: false, log: (message) => logs.push(message) });
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => {
    onUpgrade?.(socket);
    sync.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    wsUrl: `ws://127.0.0.1:${port}${SYNC_PATH}`,
    sync,
    db,
    backend,
    store,
    logs,
    close() {
      closing ??= (async () => {
        await sync.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await own?.dispose();
        db.close();
      })();
      return closing;
    },
  };
}

/**
 * An asynchronous DocumentStore over a real store: every call settles on a later turn and there is no
 * appendSync, as with a store behind a network. Drives the sync server's batching path (PostgreSQL
 * takes it anyway).
 */
export function asAsyncStore(inner: DocumentStore): DocumentStore {
  const later = <T>(fn: () => Promise<T>): Promise<T> => new Promise((resolve) => setImmediate(resolve)).then(fn);
  return {
    load: (name) => later(() => inner.load(name)),
    loadSince: (name, afterSeq) => later(() => inner.loadSince(name, afterSeq)),
    storedSeqs: (prefix) => later(() => inner.storedSeqs(prefix)),
    append: (batch) => later(() => inner.append(batch)),
    compact: (name, state, uptoSeq) => later(() => inner.compact(name, state, uptoSeq)),
    delete: (name) => later(() => inner.delete(name)),
    close: () => inner.close(),
  };
}

/** Updates stored for `doc` after its snapshot (not folded by a compaction yet), read from the store. */
export async function storedUpdateCount(store: DocumentStore, doc: string): Promise<number> {
  return (await store.loadSince(doc, 0)).updates.length;
}
