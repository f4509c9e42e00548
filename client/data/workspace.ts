// The documents of one signed-in user: their library and the shared `public` document, opened
// together when the user signs in and closed when they sign out. Administrators may open other
// users' libraries too (contract §3), on demand, to edit or delete what those users shared.
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { CloseCode } from '../../shared/protocol.js';
import type { StorageProblem } from './storage-problem.js';
import { SyncedDoc, databasePrefix, type SyncStatus } from './synced-doc.js';
import { ServerVerdicts, type OwnListing } from './server-verdicts.js';
import { publicMap } from '../../shared/workflow/public-doc.js';
import { workflowsMap } from '../../shared/workflow/library-doc.js';
import { SaveOutbox, type SaveUploader } from './saves.js';
import { ConflictWatcher } from './conflicts.js';

export interface WorkspaceStatus {
  status: SyncStatus;
  /** local changes of the user's own library that the server has not seen yet */
  pending: number;
  /** why the server last refused to store the user's library changes (full disk, quota), if it did */
  storageProblem: StorageProblem | null;
}

/** Fires 'change' when any document's status or pending count changes; 'expired' on a 4401. */
export class Workspace extends EventTarget {
  readonly library: SyncedDoc;
  readonly publicDoc: SyncedDoc;
  /** the server's word on the user's own quarantined and withheld workflows (server-verdicts.ts) */
  readonly verdicts: ServerVerdicts;
  private readonly others = new Map<string, SyncedDoc>();
  /** this device's Saves of the own library, until the server has them (saves.ts) */
  readonly saves: SaveOutbox;
  /** notices when another device's change replaced a value this device saved (conflicts.ts) */
  readonly conflicts: ConflictWatcher;

  constructor(
    readonly userId: string,
    private currentToken: string | null,
    private readonly url?: string,
    listOwn: OwnListing | null = null,
    uploadSave: SaveUploader | null = null,
  ) {
    super();
    this.verdicts = new ServerVerdicts(userId, listOwn);
    this.library = this.open(libraryDocument(userId));
    this.publicDoc = this.open(PUBLIC_DOCUMENT);
    this.saves = new SaveOutbox(userId, this.library.name, uploadSave, () => this.library.inSync);
    this.conflicts = new ConflictWatcher(this.library);
    // Saves wait for the library to reach the server (it must know the workflow first).
    this.library.addEventListener('change', () => {
      if (this.library.inSync) void this.saves.flush();
    });
    // The verdicts can change when the library reaches the server, when it changes, and when the
    // publisher adds or removes one of the user's own ids in `public` (others' entries change nothing
    // the server would say about ours, so they cost no request). Only worth asking while online.
    const askIfOnline = (): void => {
      if (this.library.status === 'online') this.verdicts.schedule();
    };
    this.library.addEventListener('change', askIfOnline);
    this.library.doc.on('update', askIfOnline);
    publicMap(this.publicDoc.doc).observe((event) => {
      const own = workflowsMap(this.library.doc);
      for (const id of event.keysChanged) {
        if (own.has(id)) return askIfOnline();
      }
    });
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
  }

  private get all(): SyncedDoc[] {
    return [this.library, this.publicDoc, ...this.others.values()];
  }
  private onOffline = (): void => this.all.forEach((d) => d.goOffline());
  private onOnline = (): void => this.all.forEach((d) => d.goOnline());

  private open(documentName: string): SyncedDoc {
    const synced = new SyncedDoc({ userId: this.userId, documentName, token: this.currentToken, url: this.url });
    synced.addEventListener('change', () => this.dispatchEvent(new Event('change')));
    synced.addEventListener('closed', (e) => {
      if ((e as CustomEvent<{ code: number }>).detail.code === CloseCode.Unauthorized) {
        this.dispatchEvent(new Event('expired'));
      }
    });
    void synced.connect();
    return synced;
  }

  /** Another user's library (administrators only; the server refuses others with 4403). */
  libraryOf(userId: string): SyncedDoc {
    if (userId === this.userId) return this.library;
    let doc = this.others.get(userId);
    if (!doc) {
      doc = this.open(libraryDocument(userId));
      this.others.set(userId, doc);
    }
    return doc;
  }

  get status(): WorkspaceStatus {
    const docs = [this.library, this.publicDoc];
    const statuses = docs.map((d) => d.status);
    let status: SyncStatus = 'online';
    if (statuses.includes('unauthorized')) status = 'unauthorized';
    else if (this.library.status === 'forbidden') status = 'forbidden';
    else if (this.library.status === 'over-quota') status = 'over-quota';
    else if (statuses.includes('offline')) status = 'offline';
    else if (statuses.includes('syncing')) status = 'syncing';
    return { status, pending: this.library.pending, storageProblem: this.library.storageProblem };
  }

  get token(): string | null {
    return this.currentToken;
  }

  /**
   * A new token of the same user (a sign-in after an expiry, a sliding refresh, a password change):
   * refused sockets reconnect with it at once, open ones use it at their next connect.
   */
  setToken(token: string | null): void {
    this.currentToken = token;
    for (const d of this.all) d.useToken(token);
  }

  async destroy(): Promise<void> {
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    this.verdicts.stop();
    this.conflicts.destroy();
    await this.saves.close();
    await Promise.all(this.all.map((d) => d.destroy()));
  }
}

/** Deletes every IndexedDB database this app keeps for one user ("remove this device's copy"). */
export async function deleteDeviceCopy(userId: string): Promise<number> {
  const prefix = databasePrefix(userId);
  const dbs = await indexedDB.databases();
  const names = dbs.map((d) => d.name).filter((n): n is string => !!n && n.startsWith(prefix));
  await Promise.all(
    names.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          // y-indexeddb's clearData() resolves before the deletion is done; wait for onsuccess.
          const req = indexedDB.deleteDatabase(name);
          req.onsuccess = () => resolve();
          req.onerror = () => reject(req.error ?? new Error(`could not delete ${name}`));
          // 'blocked' means an open connection remains; the deletion completes once it closes.
          req.onblocked = () => {};
        }),
    ),
  );
  for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key);
  return names.length;
}
