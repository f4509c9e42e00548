// A SyncServer on its own (no library layer, no HTTP API) over a real SQLite file, listening on a
// real port: for the sync core's own behaviour (fan-out, idle unload, store failure, backpressure)
// with options the full app does not expose. Single-user mode, so `library/system` needs no token.
// Documents live in that SQLite file unless a DocumentStore is given (`store`: e.g. PostgreSQL shared
// by several nodes); a Fanout is passed as `fanout`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseIdentity } from '../../server/auth/identity.js';
import { TokenService } from '../../server/auth/tokens.js';
import { UserStore } from '../../server/auth/users.js';
import { openDatabase, type Database } from '../../server/db/database.js';
import type { DocumentStore } from '../../server/storage/document-store.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { SqliteSettingsStore, SqliteUserRepository } from '../../server/storage/sqlite/user-store.js';
import { SyncServer, type SyncServerOptions } from '../../server/sync/sync-server.js';
import { SYNC_PATH } from '../../shared/protocol.js';

export interface SyncNode {
  /** ws://127.0.0.1:<port>/sync, the base URL a WebsocketProvider takes. */
  wsUrl: string;
  sync: SyncServer;
  db: Database;
  /** The store the server writes through (the SqliteStore unless `wrapStore` replaced it). */
  store: DocumentStore;
  /** Messages the server logged (it logs failures; tests may assert on them). */
  logs: string[];
  close(): Promise<void>;
}

export interface SyncNodeOptions extends Partial<Omit<SyncServerOptions, 'store' | 'identity' | 'multiuser' | 'log'>> {
  /** Wraps the real SqliteStore, e.g. in an asynchronous adapter. */
  wrapStore?: (store: SqliteStore) => DocumentStore;
  /** The documents' store instead of the SQLite file (not closed by the node: its owner closes it). */
  store?: DocumentStore;
}

export async function startSyncNode(file: string, opts: SyncNodeOptions = {}): Promise<SyncNode> {
  const { wrapStore, store: givenStore, ...serverOptions } = opts;
  const db = openDatabase(file);
  const identity = new DatabaseIdentity(
    false,
    new UserStore(new SqliteUserRepository(db)),
    await TokenService.fromSettings(new SqliteSettingsStore(db)),
  );
  const sqlite = new SqliteStore(db);
  const store = givenStore ?? (wrapStore ? wrapStore(sqlite) : sqlite);
  const logs: string[] = [];
  const sync = new SyncServer({ ...serverOptions, store, identity, multiuser: false, log: (message) => logs.push(message) });
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => sync.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    wsUrl: `ws://127.0.0.1:${port}${SYNC_PATH}`,
    sync,
    db,
    store,
    logs,
    close() {
      closing ??= (async () => {
        await sync.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        db.close();
      })();
      return closing;
    },
  };
}

/**
 * An asynchronous DocumentStore over the real SqliteStore: every call settles on a later turn and
 * there is no appendSync, as with a store behind a network. Drives the sync server's batching path.
 */
export function asAsyncStore(inner: SqliteStore): DocumentStore {
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

/** Rows stored for `doc` (updates after the snapshot), read straight from the database file. */
export function storedUpdateCount(db: Database, doc: string): number {
  return (db.prepare('SELECT count(*) AS n FROM doc_updates WHERE doc = ?').get(doc) as { n: number }).n;
}
