// Assembles the workflow library on a running sync server: the index and its indexer (a sync
// extension), the default workflows, the publisher of the `public` document, reactions to user changes,
// and the service the /api/v1/workflows routes serve (registered with every route in
// server/http/routes.ts). Start order matters: the index first catches up with the store, then the
// defaults are synced, then `public` is rebuilt from both, and only then does the server listen. The
// defaults folder is then watched, so edits to it show without a restart.
import * as Y from 'yjs';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { workflowsMap } from '../../shared/workflow/index.js';
import type { Identity } from '../auth/principal.js';
import type { UserStore } from '../auth/users.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { WorkflowIndexStore } from '../storage/index-store.js';
import type { ThumbnailStore } from '../storage/thumbnail-store.js';
import type { VersionStore } from '../storage/version-store.js';
import type { Extension } from '../sync/extension.js';
import { syncDefaults } from './defaults.js';
import { watchDefaults } from './defaults-watcher.js';
import { Indexer } from './indexer.js';
import { LibraryService, type DocumentWriter, type ThumbnailQuota } from './library-service.js';
import { Publisher, type PublishLimits } from './publisher.js';
import { indexedUsersGone, removeStoredLibrary, usersGone } from './user-removal.js';
import { Versioning, VERSIONS_EXTENSION, type Clock, type RetentionRule, type VersionQuota } from './versions.js';

export interface LibrarySync extends DocumentWriter {
  /** Attaches the library's extension (before any document loads). */
  use(extension: Extension): void;
  removeExtension(name: string): boolean;
}

/** The name of the library's extension on the sync server. */
export const LIBRARY_EXTENSION = 'library';

export interface LibraryOptions {
  index: WorkflowIndexStore;
  thumbnails: ThumbnailStore;
  users: UserStore;
  identity: Identity;
  sync: LibrarySync;
  store: DocumentStore;
  multiuser: boolean;
  defaultsDir: string;
  /** Per-user storage quota; thumbnails count toward it. None by default. */
  quota?: ThumbnailQuota & { load(): Promise<void> } & Partial<VersionQuota>;
  /** The version history and trash (versions.ts); none when absent. */
  versions?: {
    store: VersionStore;
    intervalMs: number;
    retention: RetentionRule[];
    trashMs: number;
    clock?: Clock;
    /** How often retention, due auto versions and purges run (versions.ts; 0: only through runDue). */
    maintenanceMs?: number;
  };
  log?: (message: string) => void;
  /** How often the index is checked for libraries of users removed by another process. Default ORPHAN_SWEEP_MS. */
  orphanSweepMs?: number;
  /** What one user may publish into `public` (publisher.ts); DEFAULT_PUBLISH_LIMITS when absent. */
  publishLimits?: PublishLimits;
}

export interface Library {
  index: WorkflowIndexStore;
  indexer: Indexer;
  publisher: Publisher;
  service: LibraryService;
  /** The version history and trash, when configured. */
  versioning: Versioning | null;
  /** Re-reads the defaults folder and republishes what changed. */
  reloadDefaults(): Promise<void>;
  /** Waits for pending publishing, detaches from users and sync. Call before the sync server closes. */
  close(): Promise<void>;
}

/**
 * The sweep for libraries of users removed by another process or node (one indexed query for the users
 * with rows, one batch lookup of their accounts).
 */
export const ORPHAN_SWEEP_MS = 5000;

export async function startLibrary(opts: LibraryOptions): Promise<Library> {
  const log = opts.log ?? ((message: string) => console.warn(`[library] ${message}`));
  const { index, thumbnails } = opts;
  const indexer = new Indexer({ index, store: opts.store, log });
  const publisher = new Publisher({
    index,
    thumbnails,
    docs: opts.sync,
    users: opts.users,
    log,
    ...(opts.publishLimits ? { limits: opts.publishLimits } : {}),
  });
  const quota = opts.quota;
  const versioning = opts.versions
    ? new Versioning({
        versions: opts.versions.store,
        docs: opts.sync,
        index,
        userName: async (userId) => {
          const user = await opts.users.get(userId);
          return user === null ? null : (user.displayName ?? user.email);
        },
        intervalMs: opts.versions.intervalMs,
        retention: opts.versions.retention,
        trashMs: opts.versions.trashMs,
        ...(quota?.assertVersionFits && quota.versionsChanged
          ? { quota: { assertVersionFits: quota.assertVersionFits.bind(quota), versionsChanged: quota.versionsChanged.bind(quota) } }
          : {}),
        ...(opts.versions.clock ? { clock: opts.versions.clock } : {}),
        ...(opts.versions.maintenanceMs !== undefined ? { maintenanceMs: opts.versions.maintenanceMs } : {}),
        log,
      })
    : null;
  const service = new LibraryService({
    index,
    thumbnails,
    docs: opts.sync,
    multiuser: opts.multiuser,
    catchUp: () => indexer.catchUp(),
    thumbnailChanged: (workflowId) => publisher.refresh([workflowId]),
    ...(opts.quota ? { quota: opts.quota } : {}),
    ...(versioning ? { saveMarker: (viewer: { userId: string }) => versioning.serverMarker('save', viewer.userId, 'API') } : {}),
  });

  // The library is one extension of the sync server: the indexer follows every loaded library
  // document and indexes what this node commits.
  opts.sync.use({
    name: LIBRARY_EXTENSION,
    onLoaded: ({ name, doc }) => indexer.onLoaded(name, doc),
    onCommitted: ({ name, doc, seq }) => indexer.onCommitted(name, doc, seq),
  });
  // After the library's: a version's owner check reads the ownership the indexer has just recorded.
  if (versioning) opts.sync.use(versioning.extension);

  try {
    // Libraries whose owner is gone (deleted while this check did not exist, or by hand) go first, so
    // nothing of theirs is indexed, served or published.
    for (const userId of await usersGone({ store: opts.store, index, thumbnails, users: opts.users })) {
      const workflows = await removeStoredLibrary(userId, { store: opts.store, index });
      log(`removed the library of deleted user ${userId} (${workflows} workflow${workflows === 1 ? '' : 's'})`);
    }
    await indexer.reconcile();
    await syncDefaults(index, opts.defaultsDir, log);
    await publisher.rebuild();
    // The quota's thumbnail bytes, read once before any client update is checked.
    await opts.quota?.load();
  } catch (error) {
    opts.sync.removeExtension(LIBRARY_EXTENSION);
    if (versioning) {
      opts.sync.removeExtension(VERSIONS_EXTENSION);
      await versioning.close();
    }
    throw error;
  }
  const stopIndexListener = indexer.onChange((change) => {
    void publisher.refresh(change.workflowIds);
    // A removed row takes its thumbnail with it (WorkflowIndexStore.applyChanges).
    void opts.quota?.thumbnailsChanged(change.userId);
  });

  // A deleted user's library goes with them: emptied (so any open copy shows it), removed from the
  // store, the index and `public` (user-removal.ts). UserStore.remove awaits this, so the API answers
  // once it is done; the change listener below starts the same removal (once per user at a time).
  const removals = new Map<string, Promise<void>>();
  const removeLibrary = (userId: string): Promise<void> => {
    let running = removals.get(userId);
    if (running === undefined) {
      running = (async () => {
        const name = libraryDocument(userId);
        await opts.sync.withDocument(name, (doc: Y.Doc) => {
          const map = workflowsMap(doc);
          doc.transact(() => {
            for (const id of Array.from(map.keys())) map.delete(id);
          });
        });
        await indexer.forgetLibrary(userId);
        await removeStoredLibrary(userId, { store: opts.store, index });
        // The removed user's versions and trash go with their library.
        await versioning?.forgetOwner(userId);
        await publisher.idle();
      })().finally(() => removals.delete(userId));
      removals.set(userId, running);
    }
    return running;
  };
  const stopRemovalHandler = opts.users.onRemoved(removeLibrary);
  // A renamed user gets their owner_name republished.
  const userChanged = async (userId: string) => {
    if (userId === SYSTEM_USER_ID) return;
    if ((await opts.users.get(userId)) !== null) await publisher.refreshOwner(userId);
    else await removeLibrary(userId);
  };
  const stopUserListener = opts.identity.onUserChanged((userId) => {
    void userChanged(userId).catch((error: unknown) => log(`updating the library of user ${userId} failed: ${String(error)}`));
  });
  // A user removed by another process (the CLI beside this server) raises no event here: their library
  // is found by this sweep and removed within ORPHAN_SWEEP_MS.
  let sweeping = false;
  const sweep = setInterval(() => {
    // One sweep at a time: a slow store must not pile them up.
    if (sweeping) return;
    sweeping = true;
    void indexedUsersGone({ index, users: opts.users })
      .then(
        (gone) => {
          for (const userId of gone) {
            if (removals.has(userId)) continue;
            void removeLibrary(userId).then(
              () => log(`removed the library of deleted user ${userId}`),
              (error: unknown) => log(`removing the library of deleted user ${userId} failed: ${String(error)}`),
            );
          }
        },
        (error: unknown) => log(`looking for libraries of deleted users failed: ${String(error)}`),
      )
      .finally(() => (sweeping = false));
  }, opts.orphanSweepMs ?? ORPHAN_SWEEP_MS);
  sweep.unref();

  const reloadDefaults = async () => {
    await publisher.refresh(await syncDefaults(index, opts.defaultsDir, log));
  };
  // Changed files update their default, added files add one, removed files remove it, live.
  const defaultsWatcher = watchDefaults({ dir: opts.defaultsDir, reload: reloadDefaults, log });

  return {
    index,
    indexer,
    publisher,
    service,
    versioning,
    reloadDefaults,
    async close() {
      await defaultsWatcher.close();
      stopUserListener();
      stopRemovalHandler();
      clearInterval(sweep);
      await Promise.allSettled([...removals.values()]);
      opts.sync.removeExtension(LIBRARY_EXTENSION);
      // Pending auto versions are taken from the documents still loaded.
      if (versioning) {
        await versioning.close();
        opts.sync.removeExtension(VERSIONS_EXTENSION);
      }
      // Delayed client-edit reindexes run (and are published), held indexed seqs are written: the
      // next start has nothing to reindex.
      await indexer.flush();
      stopIndexListener();
      // Writes still waiting for their owner's publishing rate budget are written now.
      await publisher.flushWaiting();
      await publisher.idle();
    },
  };
}
