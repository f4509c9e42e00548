// What server and client must agree on about the sync endpoint (contract §3). Imports nothing.

/**
 * WebSocket close codes. 4400-4499 are final: y-websocket 3.1+ stops reconnecting on them, so only
 * failures that retrying cannot fix belong there. Temporary failures use 1013.
 */
export const CloseCode = {
  /** A frame that cannot be decoded or applied. */
  BadFrame: 4400,
  /** No, invalid or expired token (also sent on an open socket when its token expires). */
  Unauthorized: 4401,
  /** No right to this document, or the right was withdrawn (user deleted, deactivated or demoted). */
  Forbidden: 4403,
  /** A frame over the size limit. */
  TooLarge: 4413,
  /**
   * The update would take the user's stored bytes past their storage quota; it was not applied.
   * Final (4429, as HTTP 429 / RESOURCE_EXHAUSTED): resending cannot help until the user deletes
   * something. The reason reads `storage quota exceeded: <used> of <limit> bytes`. (Not 4507: the
   * stock client treats 4500-4599 as "try again later" and would resend the update forever.)
   */
  QuotaExceeded: 4429,
  /** Server busy or shutting down: try again. */
  TryAgain: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** y-websocket message types (first varUint of every frame). */
export const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3 } as const;

/** Path prefix of the sync endpoint: ws://HOST:PORT/sync/<document>?token=<jwt>. */
export const SYNC_PATH = '/sync';

/** Default limit for one incoming frame (contract §3: configurable, default 8 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** The owner of default workflows and, in single-user mode, of the one library. */
export const SYSTEM_USER_ID = 'system';

/** The read-only document the server publishes every shared and default workflow into. */
export const PUBLIC_DOCUMENT = 'public';

const LIBRARY_PREFIX = 'library/';

export function libraryDocument(userId: string): string {
  return LIBRARY_PREFIX + userId;
}

export type DocumentName = { kind: 'library'; userId: string } | { kind: 'public' };

/** Parses a document name; null for anything that is not a document Flowshelf serves. */
export function parseDocumentName(name: string): DocumentName | null {
  if (name === PUBLIC_DOCUMENT) return { kind: 'public' };
  if (name.startsWith(LIBRARY_PREFIX)) {
    const userId = name.slice(LIBRARY_PREFIX.length);
    // User ids are uuids or 'system'; refuse anything that could smuggle a path or another prefix.
    if (/^[A-Za-z0-9_-]{1,64}$/.test(userId)) return { kind: 'library', userId };
  }
  return null;
}
