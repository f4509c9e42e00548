// Assembles the workflow library on a running sync server: the index and its indexer (a sync
// extension), the default workflows, the publisher of the `public` document, reactions to user changes,
// and the service the /api/v1/workflows routes serve (registered with every route in
// server/http/routes.ts). Start order matters: the index first catches up with the store, then the
// defaults are synced, then `public` is rebuilt from both, and only then does the server listen. The
// defaults folder is then watched, so edits to it show without a restart.
//
// Several nodes may run it over one store (SCALE.md "Multi-node rules"): every write it makes is
// idempotent (index rows carry their document's seq, `public` is written by differences, the defaults
// are the same files on every node), and the periodic work that needs one writer (the reconcile of
// stored against indexed seqs, the sweep for libraries of removed users) runs on the node holding the
// maintenance lease, which moves to another node when its holder dies.
import * as Y from 'yjs';
import { CloseCode, libraryDocument, parseDocumentName, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { workflowsMap } from '../../shared/workflow/index.js';
import type { Identity } from '../auth/principal.js';
import type { UserStore } from '../auth/users.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { WorkflowIndexStore } from '../storage/index-store.js';
import { InProcessLeaseStore, type LeaseStore } from '../storage/lease-store.js';
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
  /** Drops a loaded document without writing it back, closing its sockets (sync-server.ts). */
  dropDocument(name: string, code: number, reason: string): Promise<void>;
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
  /**
   * How often the maintenance lease holder checks the index for libraries of users removed by another
   * process or node, and stored against indexed seqs (the reconcile). Default ORPHAN_SWEEP_MS.
   */
  orphanSweepMs?: number;
  /** Leases shared by the nodes of one store; default: this process only (one node). */
  leases?: LeaseStore;
  /** This node's id as a lease holder (the sync server's node id). */
  nodeId?: string;
  /** False when other nodes write `public` too (publisher.ts); default true (one node). */
  soleWriter?: boolean;
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

/** The lease of the periodic maintenance (sweep and reconcile): one node does it at a time. */
export const MAINTENANCE_LEASE = 'library-maintenance';

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
    ...(opts.soleWriter !== undefined ? { soleWriter: opts.soleWriter } : {}),
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
    ...(versioning
      ? {
          saveMarker: (viewer: { userId: string }) => versioning.serverMarker('save', viewer.userId, 'API'),
          deleting: (viewer: { userId: string }, workflowId: string) => versioning.expectDelete(workflowId, viewer.userId),
        }
      : {}),
  });

  // The library is one extension of the sync server: the indexer follows every loaded library
  // document and indexes what this node commits.
  opts.sync.use({
    name: LIBRARY_EXTENSION,
    onLoaded: ({ name, doc }) => indexer.onLoaded(name, doc),
    onCommitted: ({ name, doc, seq, committedSeq }) => indexer.onCommitted(name, doc, seq, committedSeq),
    // Only acts when another node's update closes a gap below this node's own indexed commits.
    onRemoteUpdate: ({ name, doc, committedSeq }) => indexer.onRemoteUpdate(name, doc, committedSeq),
  });
  // After the library's: a version's owner check reads the ownership the indexer has just recorded.
  if (versioning) opts.sync.use(versioning.extension);

  try {
    // Libraries whose owner is gone (deleted while this check did not exist, or by hand) go first, so
    // nothing of theirs is indexed, served or published.
    for (const userId of await usersGone({ store: opts.store, index, thumbnails, users: opts.users })) {
      const workflows = await removeStoredLibrary(userId, { store: opts.store, index, versions: opts.versions?.store });
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

  // A deleted user's library goes with them. The node whose UserStore.remove ran (the API's DELETE)
  // removes it: emptied (so any open copy shows it), removed from the store, the index and `public`
  // (user-removal.ts); remove() awaits this, so the API answers once it is done. Every node, this one
  // included, is told by the user events (Identity.onUserChanged) and drops its loaded copy of the
  // library WITHOUT writing it back: a compaction on unload would store the document again. A node
  // that dies half-way leaves index rows without an account, which the maintenance sweep finds.
  const removals = new Map<string, Promise<void>>();
  const drops = new Map<string, Promise<void>>();
  const dropLibrary = (userId: string): Promise<void> => {
    let running = drops.get(userId);
    if (running === undefined) {
      running = opts.sync.dropDocument(libraryDocument(userId), CloseCode.Forbidden, 'library removed').finally(() => drops.delete(userId));
      drops.set(userId, running);
    }
    return running;
  };
  const removeLibrary = (userId: string): Promise<void> => {
    let running = removals.get(userId);
    if (running === undefined) {
      running = (async () => {
        // A drop under way finishes first, so the write below loads the document afresh.
        await drops.get(userId);
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
        // Deleted from the store: the copy loaded for the write above must not be compacted back.
        await opts.sync.dropDocument(name, CloseCode.Forbidden, 'library removed');
      })().finally(() => removals.delete(userId));
      removals.set(userId, running);
    }
    return running;
  };
  const stopRemovalHandler = opts.users.onRemoved(removeLibrary);
  // A renamed user gets their owner_name republished; a removed one loses their library here.
  const userChanged = async (userId: string) => {
    if (userId === SYSTEM_USER_ID) return;
    if ((await opts.users.get(userId)) !== null) await publisher.refreshOwner(userId);
    else if (!removals.has(userId)) await dropLibrary(userId);
  };
  const stopUserListener = opts.identity.onUserChanged((userId) => {
    void userChanged(userId).catch((error: unknown) => log(`updating the library of user ${userId} failed: ${String(error)}`));
  });

  // Periodic maintenance, on the node holding the lease (every node on SQLite: there is one):
  // - libraries of users removed by another process (the CLI beside this server) or by a node that
  //   died before it finished: found by their index rows and removed within ORPHAN_SWEEP_MS;
  // - the reconcile: a document whose stored seq the index has not caught up with on two checks in a
  //   row (its committing node died between commit and indexing) is read from the store, reindexed
  //   and so published. The first check leaves the committing node its time to index.
  const nodeId = opts.nodeId ?? 'this-node';
  const leases = opts.leases ?? new InProcessLeaseStore();
  const intervalMs = opts.orphanSweepMs ?? ORPHAN_SWEEP_MS;
  const behind = new Map<string, number>();
  const upToDate = new Map<string, number>();
  const sweepRemovedUsers = async () => {
    for (const userId of await indexedUsersGone({ index, users: opts.users })) {
      if (removals.has(userId)) continue;
      await removeLibrary(userId).then(
        () => log(`removed the library of deleted user ${userId}`),
        (error: unknown) => log(`removing the library of deleted user ${userId} failed: ${String(error)}`),
      );
    }
  };
  const reconcileIndex = async () => {
    const stored = await opts.store.storedSeqs(libraryDocument(''));
    for (const name of [...upToDate.keys()]) if (!stored.has(name)) upToDate.delete(name);
    for (const name of [...behind.keys()]) if (!stored.has(name)) behind.delete(name);
    for (const [name, seq] of stored) {
      if (upToDate.get(name) === seq) continue;
      const parsed = parseDocumentName(name);
      if (parsed?.kind !== 'library' || removals.has(parsed.userId)) continue;
      if ((await indexer.indexedSeq(name)) === seq) {
        upToDate.set(name, seq);
        behind.delete(name);
        continue;
      }
      if (behind.get(name) !== seq) {
        behind.set(name, seq);
        continue;
      }
      const loaded = await opts.store.load(name);
      const doc = new Y.Doc();
      try {
        doc.transact(() => {
          for (const update of loaded.snapshot ? [loaded.snapshot, ...loaded.updates] : loaded.updates) Y.applyUpdate(doc, update);
        });
        await indexer.reindexDocument(parsed.userId, doc, loaded.lastSeq);
        log(`indexed ${name} up to seq ${loaded.lastSeq}, which its committing node had not`);
        behind.delete(name);
      } finally {
        doc.destroy();
      }
    }
  };
  let maintaining = false;
  // One line per outage, not one per round (a store away for a minute would otherwise log every round).
  let maintenanceFailing = false;
  const maintain = async () => {
    if (!(await leases.tryAcquire(MAINTENANCE_LEASE, nodeId, intervalMs * 3))) {
      // Another node does it; what this node learnt may be stale by the time it holds the lease again.
      behind.clear();
      upToDate.clear();
      return;
    }
    await sweepRemovedUsers();
    await reconcileIndex();
  };
  const sweep = setInterval(() => {
    // One round at a time: a slow store must not pile them up.
    if (maintaining) return;
    maintaining = true;
    void maintain()
      .then(
        () => {
          if (maintenanceFailing) log('library maintenance works again');
          maintenanceFailing = false;
        },
        (error: unknown) => {
          if (!maintenanceFailing) log(`library maintenance failed (retried every round, logged again once it works): ${String(error)}`);
          maintenanceFailing = true;
        },
      )
      .finally(() => (maintaining = false));
  }, intervalMs);
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
      await leases.release(MAINTENANCE_LEASE, nodeId).catch(() => undefined);
      await Promise.allSettled([...removals.values(), ...drops.values()]);
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
