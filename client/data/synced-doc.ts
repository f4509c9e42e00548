// One document kept in three places: memory (Y.Doc), this browser (IndexedDB) and the server
// (WebsocketProvider). IndexedDB is loaded before the socket opens, so the first sync step sends
// the server only what it lacks, and the UI shows the cached library at once, also offline.
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';
import { CloseCode, PUBLIC_DOCUMENT, SYNC_PATH } from '../../shared/protocol.js';
import { storageProblemOf, type StorageProblem } from './storage-problem.js';

export type SyncStatus =
  /** no socket (server unreachable or network cut); edits stay local */
  | 'offline'
  /** socket connecting or open but the first sync round is not done */
  | 'syncing'
  | 'online'
  /** closed with 4401: waiting for a new token */
  | 'unauthorized'
  /** closed with 4403: this user may no longer open the document */
  | 'forbidden'
  /** closed with 4429: the library is over its storage quota; edits stay here until space is freed */
  | 'over-quota';

/** IndexedDB name: user and document both in it, so two users of one browser never share a cache. */
export function databaseName(userId: string, documentName: string): string {
  return `flowshelf/${userId}/${documentName}`;
}

export function databasePrefix(userId: string): string {
  return `flowshelf/${userId}/`;
}

export function syncUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${SYNC_PATH}`;
}

export interface SyncedDocOptions {
  userId: string;
  documentName: string;
  /** null in single-user mode (the server needs no token there) */
  token: string | null;
  url?: string;
}

/**
 * Fires 'change' when status or pending count change.
 *
 * Pending changes: y-websocket has no acknowledgement, so "on the server" can only be known at a
 * sync round. We count local transactions (origin neither the provider nor IndexedDB) made while
 * the provider is not synced, and reset the count when it reports synced: at that moment the server
 * has answered our state vector with sync step 1 and we have sent it everything it lacked. While
 * connected and synced, a local update is sent as it happens, so it is not counted. The count is
 * kept in localStorage beside the IndexedDB cache so that a reload while offline keeps it.
 */
export class SyncedDoc extends EventTarget {
  readonly doc = new Y.Doc();
  readonly name: string;
  readonly dbName: string;
  status: SyncStatus = 'offline';
  pending = 0;
  /** Why the server last refused to store this device's changes; cleared once it has them all. */
  storageProblem: StorageProblem | null = null;
  private persistence: IndexeddbPersistence;
  private provider: WebsocketProvider | null = null;
  private destroyed = false;
  private readonly url: string;
  private token: string | null;
  /** The token the socket opened with (the provider reads its params at each connect). */
  private tokenInUse: string | null = null;
  /** resolves once the IndexedDB copy is loaded into the doc */
  readonly loaded: Promise<void>;
  /**
   * Who else has this document open (presence.ts). Never set on `public`: its readers would see each
   * other; there the local state stays null, so the provider sends none.
   */
  readonly awareness: Awareness;

  constructor(opts: SyncedDocOptions) {
    super();
    this.name = opts.documentName;
    this.dbName = databaseName(opts.userId, opts.documentName);
    this.url = opts.url ?? syncUrl();
    this.token = opts.token;
    this.pending = Number(localStorage.getItem(this.pendingKey)) || 0;
    this.persistence = this.openPersistence();
    this.doc.on('update', this.onUpdate);
    this.loaded = this.persistence.whenSynced.then(() => undefined);
    this.awareness = new Awareness(this.doc);
    if (this.name === PUBLIC_DOCUMENT) this.awareness.setLocalState(null);
  }

  /** True for a change that came from the server (another device, another tab, the server itself). */
  isRemote(origin: unknown): boolean {
    return origin !== null && origin === this.provider;
  }

  private get pendingKey(): string {
    return `${this.dbName}#pending`;
  }

  private openPersistence(): IndexeddbPersistence {
    const p = new IndexeddbPersistence(this.dbName, this.doc);
    // The browser may close a database under us (storage pressure, "clear site data"); y-indexeddb
    // then silently stops storing. Reopen it: the new instance writes the whole doc state back.
    void p.whenSynced.then(() => {
      const db = (p as unknown as { db: IDBDatabase | null }).db;
      if (db) {
        db.onclose = () => {
          if (this.destroyed || p !== this.persistence) return;
          void p.destroy();
          this.persistence = this.openPersistence();
        };
      }
    });
    return p;
  }

  private onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this.provider || origin === this.persistence) return;
    // Over the quota the socket stays closed; a local deletion is how space is freed, so it is sent
    // at once (the server applies the deletions even while it refuses new content).
    if (this.status === 'over-quota' && deletes(update)) this.provider?.connect();
    if (this.status === 'online') return;
    this.setPending(this.pending + 1);
  };

  private setPending(n: number): void {
    if (n === this.pending) return;
    this.pending = n;
    if (n === 0) localStorage.removeItem(this.pendingKey);
    else localStorage.setItem(this.pendingKey, String(n));
    this.changed();
  }

  private setStatus(s: SyncStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Loads IndexedDB, then connects. Safe to call once. */
  async connect(): Promise<void> {
    await this.loaded;
    if (this.destroyed || this.provider) return;
    const provider = new WebsocketProvider(this.url, this.name, this.doc, {
      params: this.token ? { token: this.token } : {},
      // Another tab of the same user syncs through the server; a BroadcastChannel would also
      // hand a read-only document's local writes to tabs that might forward them.
      disableBc: true,
      maxBackoffTime: 5000,
      awareness: this.awareness,
    });
    this.provider = provider;
    // 'connecting' is emitted on every retry, also while the server is unreachable, and a failed
    // attempt emits no 'disconnected': only an open socket counts as syncing, every close as offline.
    provider.on('status', ({ status }) => {
      if (status === 'connecting') this.tokenInUse = this.token;
      if (status === 'connected') this.setStatus('syncing');
    });
    provider.on('connection-close', (event) => {
      const problem = event ? storageProblemOf(event.code, event.reason) : null;
      if (problem !== null) {
        this.storageProblem = problem;
        this.changed();
      }
      if (this.status !== 'unauthorized' && this.status !== 'forbidden') this.setStatus('offline');
    });
    provider.on('sync', (synced: boolean) => {
      if (synced) {
        this.storageProblem = null;
        this.setStatus('online');
        this.setPending(0);
      }
    });
    provider.on('closed', ({ code }) => {
      // The socket's token was refused, but the session has slid on to a newer one since this socket
      // opened (X-Refreshed-Token, or the fresh token of a password change): carry on with that one.
      if (code === CloseCode.Unauthorized && this.token !== null && this.token !== this.tokenInUse) {
        this.reconnectWithToken(this.token);
        return;
      }
      if (code === CloseCode.Unauthorized) this.setStatus('unauthorized');
      else if (code === CloseCode.Forbidden) this.setStatus('forbidden');
      else if (code === CloseCode.QuotaExceeded) this.setStatus('over-quota');
      else this.setStatus('offline');
      this.dispatchEvent(new CustomEvent('closed', { detail: { code } }));
    });
  }

  /**
   * The browser says the network is gone: drop the socket now rather than wait for y-websocket's
   * 30 s silence watchdog, so the status (and the pending count) are right while offline.
   */
  goOffline(): void {
    if (!this.provider || this.status === 'unauthorized' || this.status === 'forbidden') return;
    this.provider.disconnect();
    this.setStatus('offline');
  }

  /** The network is back: reconnect at once instead of waiting for the backoff timer. */
  goOnline(): void {
    if (!this.provider || this.status === 'unauthorized' || this.status === 'forbidden') return;
    this.provider.connect();
  }

  /**
   * The session has a new token. An open socket keeps the one it opened with (reconnecting every
   * socket on each sliding refresh would resync every document after every REST write); the new one
   * is used at the next connect, and at once by a socket that was refused (4401).
   */
  useToken(token: string | null): void {
    if (this.status === 'unauthorized') {
      this.reconnectWithToken(token);
      return;
    }
    this.token = token;
    if (this.provider) this.provider.params = token ? { token } : {};
  }

  /** A new token after a 4401: the provider reads params on each connect. */
  reconnectWithToken(token: string | null): void {
    this.token = token;
    if (!this.provider) return;
    this.provider.params = token ? { token } : {};
    this.provider.disconnect();
    this.setStatus('syncing');
    this.provider.connect();
  }

  /**
   * Resolves once the document has been synced with the server (now or later), or after `ms`
   * without that (offline): callers then act on what this device has.
   */
  whenOnline(ms = 10_000): Promise<boolean> {
    if (this.status === 'online') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.removeEventListener('change', onChange);
        resolve(ok);
      };
      const onChange = () => this.status === 'online' && done(true);
      const timer = setTimeout(() => done(false), ms);
      this.addEventListener('change', onChange);
    });
  }

  /** True when the server has accepted everything made here (see the class comment). */
  get inSync(): boolean {
    return this.status === 'online' && this.pending === 0;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.doc.off('update', this.onUpdate);
    this.provider?.destroy();
    this.provider = null;
    this.awareness.destroy();
    await this.persistence.destroy();
    this.doc.destroy();
  }
}

/** True when a local update deletes something (its delete set is not empty). */
function deletes(update: Uint8Array): boolean {
  try {
    return Y.decodeUpdate(update).ds.clients.size > 0;
  } catch {
    return false;
  }
}
