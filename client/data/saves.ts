// This device's Saves, kept until the server has them (HISTORY design, "Saves").
// Yjs keeps one value per field, so a Save made offline may never reach the server as it was: another
// device's concurrent value can win the merge. Each Save is therefore recorded here, in IndexedDB
// (store `saves`, one database per library), with the workflow exactly as saved, and uploaded to
// `POST /api/v1/workflows/i/{id}/versions` once the library itself is in sync (so the server knows the
// workflow first). The upload is idempotent on save_id: a record is deleted only after a 2xx, so a
// reload, a crash or a lost answer at any moment only means the same upload is sent again.
import * as idb from 'lib0/indexeddb';
import { databasePrefix } from './synced-doc.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { ApiError, type Api } from './api.js';

export interface SaveRecord {
  save_id: string;
  workflow_id: string;
  /** the workflow as this device saved it */
  workflow: JsonObject;
  device: string;
  label: string;
  /** ISO-8601 UTC */
  at: string;
}

/** What an upload came to: done (2xx), retry later (offline, 5xx, 401, 404, 408, 429), or refused for good. */
export type UploadOutcome = 'done' | 'retry' | 'refused';

export type SaveUploader = (save: SaveRecord) => Promise<UploadOutcome>;

const STORE = 'saves';

/** Retries back off from 2 s to 5 min; a change of the library's status or the network retries at once. */
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 300_000;

/** Fires 'change' when the number of Saves waiting changes. */
export class SaveOutbox extends EventTarget {
  private db: Promise<IDBDatabase> | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  private retryMs = FIRST_RETRY_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly writes = new Set<Promise<void>>();
  /** Saves not yet accepted by the server, as last counted */
  waiting = 0;

  constructor(
    userId: string,
    private readonly documentName: string,
    private readonly upload: SaveUploader | null,
    /** true when the library has reached the server (uploads wait for it) */
    private readonly ready: () => boolean,
    readonly dbName = `${databasePrefix(userId)}${documentName}#saves`,
  ) {
    super();
    void this.count().then(() => this.flush());
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= idb.openDB(this.dbName, (db) => idb.createStores(db, [[STORE, { keyPath: 'save_id' }]]));
    return this.db;
  }

  private async store(access: 'readonly' | 'readwrite'): Promise<IDBObjectStore> {
    const [store] = idb.transact(await this.open(), [STORE], access);
    return store!;
  }

  /** Records a Save (resolves once it is in IndexedDB) and starts uploading it. */
  record(save: SaveRecord): Promise<void> {
    const writing = (async () => {
      await idb.put(await this.store('readwrite'), save as unknown as string);
      await this.count();
      void this.flush();
    })();
    // close() waits for it: a Save made just before signing out is still written.
    this.writes.add(writing);
    void writing.finally(() => this.writes.delete(writing)).catch(() => {});
    return writing;
  }

  /** Every Save still waiting, oldest first. */
  async all(): Promise<SaveRecord[]> {
    const saves = (await idb.getAll(await this.store('readonly'))) as SaveRecord[];
    return saves.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** The latest waiting Save of one workflow, if any. */
  async latest(workflowId: string): Promise<SaveRecord | null> {
    const mine = (await this.all()).filter((s) => s.workflow_id === workflowId);
    return mine.at(-1) ?? null;
  }

  private async count(): Promise<void> {
    const n = await idb.count(await this.store('readonly'));
    if (n !== this.waiting) {
      this.waiting = n;
      this.dispatchEvent(new Event('change'));
    }
  }

  /**
   * Uploads what is waiting, one at a time in Save order; one run at a time (a call during a run
   * makes it go round once more). Resolves when the run is over.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.run().finally(() => {
      this.flushing = null;
      if (this.again && !this.closed) {
        this.again = false;
        void this.flush();
      }
    });
    return this.flushing;
  }

  private async run(): Promise<void> {
    if (!this.upload || this.closed || !this.ready()) return;
    clearTimeout(this.timer);
    let retry = false;
    for (const save of await this.all()) {
      if (this.closed) return;
      let outcome: UploadOutcome;
      try {
        outcome = await this.upload(save);
      } catch {
        outcome = 'retry';
      }
      if (outcome === 'retry') {
        retry = true;
        break;
      }
      if (outcome === 'refused') console.warn(`Save ${save.save_id} of ${save.workflow_id} was refused by the server; dropped`);
      await idb.del(await this.store('readwrite'), save.save_id);
    }
    await this.count();
    if (retry && !this.closed) {
      this.timer = setTimeout(() => void this.flush(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    } else this.retryMs = FIRST_RETRY_MS;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.writes]);
    await this.flushing;
    if (this.db) (await this.db).close();
  }
}

/** Uploads through the REST API; which answers mean "later" and which "never" (see UploadOutcome). */
export function apiUploader(api: Api): SaveUploader {
  return async (save) => {
    try {
      await api.uploadSave(save.workflow_id, {
        save_id: save.save_id,
        workflow: save.workflow,
        device: save.device,
        label: save.label,
        saved_at: save.at,
      });
      return 'done';
    } catch (err) {
      if (err instanceof ApiError) {
        // 404: the server may not have indexed the workflow yet (or it is in the trash); 401: a new
        // token is coming; 408/429/5xx: the server is busy. Any other 4xx will never be accepted.
        const later = err.status >= 500 || [401, 404, 408, 429].includes(err.status);
        return later ? 'retry' : 'refused';
      }
      return 'retry';
    }
  };
}
