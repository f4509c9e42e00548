// Writing library documents straight through the DocumentStore, for commands that run while no server
// does (the server holds the data folder's pid file; see server-lock.ts). The change is appended as one
// Yjs update, exactly as a client's edit would be stored, so the next server start indexes and
// publishes it (indexer.reconcile) and every device merges it on its next sync.
import * as Y from 'yjs';
import { libraryDocument } from '../../shared/protocol.js';
import type { DocumentStore } from '../storage/document-store.js';
import { loadStoredDoc } from './indexer.js';

/**
 * Loads `library/<userId>`, lets `change` edit it, and appends what changed. Resolves to change's
 * result; nothing is appended when `change` changed nothing (or when `dryRun` is set).
 */
export async function changeStoredLibrary<T>(
  store: DocumentStore,
  userId: string,
  change: (doc: Y.Doc) => T,
  opts: { dryRun?: boolean } = {},
): Promise<T> {
  const name = libraryDocument(userId);
  const doc = await loadStoredDoc(store, name);
  // Collected from the update event rather than diffed by state vector: a deletion does not change
  // the state vector.
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  try {
    const result = change(doc);
    if (!opts.dryRun && updates.length > 0) await store.append([{ name, update: Y.mergeUpdates(updates) }]);
    return result;
  } finally {
    doc.destroy();
  }
}

/** Reads `library/<userId>` from the store (the caller must not keep the doc: it is destroyed after `read`). */
export async function readStoredLibrary<T>(store: DocumentStore, userId: string, read: (doc: Y.Doc) => T): Promise<T> {
  const doc = await loadStoredDoc(store, libraryDocument(userId));
  try {
    return read(doc);
  } finally {
    doc.destroy();
  }
}
