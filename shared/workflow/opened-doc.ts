// Per-user "opened" records of workflows that are NOT in the user's own library (defaults, other users'
// shared workflows, and for administrators other users' workflows), kept in the user's own library
// document `library/<user_id>` (contract §4): doc.getMap('opened') maps a workflow id to the ISO-8601
// UTC time it was last opened. Own workflows keep theirs in their entry's `opened_at` instead.
//
// Written by the app when it opens such a workflow (so Recently Opened works offline and on every
// device of the user) and by the server for REST `PUT /i/{id}/opened_at`; the server's indexer feeds it
// into its per-user opens table, so REST `opened_at` / `has_been_opened` agree with the app.
//
// Any device of the user can write anything here, so reading keeps only well-formed times. Entries of
// workflows that no longer exist are harmless (no view lists an id it cannot find) and are kept: a
// default that comes back keeps its time.
import type * as Y from 'yjs';
import { isIsoUtc } from './library-doc.js';

export const LIBRARY_OPENED_KEY = 'opened';

export function openedMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(LIBRARY_OPENED_KEY);
}

/** When this workflow was last opened, or null (absent or malformed). */
export function readOpened(doc: Y.Doc, id: string): string | null {
  const value = openedMap(doc).get(id);
  return isIsoUtc(value) ? value : null;
}

/** Every well-formed record. */
export function readAllOpened(doc: Y.Doc): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, value] of openedMap(doc).entries()) if (isIsoUtc(value)) out.set(id, value);
  return out;
}

/**
 * Records an open at `at`. Only moves forward: an older time (a late REST call, a device with a slow
 * clock) never hides a newer open. Returns whether it wrote. Throws RangeError for a malformed time.
 */
export function recordOpened(doc: Y.Doc, id: string, at: string, origin?: unknown): boolean {
  if (!isIsoUtc(at)) throw new RangeError(`Not an ISO-8601 UTC timestamp: ${at}`);
  const known = readOpened(doc, id);
  // Compared as times: ISO strings with different fraction lengths do not sort as text.
  if (known !== null && Date.parse(known) >= Date.parse(at)) return false;
  doc.transact(() => openedMap(doc).set(id, at), origin);
  return true;
}
