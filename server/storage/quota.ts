// Per-user storage quotas, so that one user cannot fill the disk for everyone. What counts for a
// user: the stored bytes of their library document (snapshot plus update log, as the store holds
// them) and the bytes of their thumbnail images. The limit is the same for every user,
// administrators and the single-user mode's `system` library included (`--user-quota-mb`, 0 = none).
// The `public` document is written by the server only and has no quota.
import type { Database, Statement } from 'better-sqlite3';
import * as Y from 'yjs';
import { libraryDocument, parseDocumentName } from '../../shared/protocol.js';
import { QuotaExceededError } from './storage-errors.js';

export interface QuotaLimit {
  limitBytes: number;
  /** Bytes the document's owner holds outside the document (thumbnails). */
  otherBytes: number;
}

/** What the sync server asks before a change that adds content to a document is stored. */
export interface DocumentQuota {
  /**
   * The limit for `name` and its owner's other bytes, or null when the document has no quota.
   * `fresh` asks for other bytes read now rather than remembered (before a refusal).
   */
  limitFor(name: string, fresh: boolean): QuotaLimit | null;
}

/**
 * True when the update carries new content (structs). An update with deletions only is always
 * accepted: it is how a user over the quota frees space (compaction then drops what it deleted).
 * Undecodable updates count as content; applying them refuses them anyway.
 */
export function addsContent(update: Uint8Array): boolean {
  try {
    return Y.decodeUpdate(update).structs.length > 0;
  } catch {
    return true;
  }
}

/**
 * True when the update deletes something (its delete set is not empty). Such an update may free as
 * much as it adds (a value replaced, workflows deleted on a device while its new content was
 * refused), so it is measured once applied rather than refused up front.
 */
export function deletes(update: Uint8Array): boolean {
  try {
    return Y.decodeUpdate(update).ds.clients.size > 0;
  } catch {
    return false;
  }
}

export interface QuotaCheck {
  limit: QuotaLimit | null;
  /** Bytes the store holds for the document now. */
  storedBytes: number;
  /** Bytes the update will add to the store (0 when it is already in storedBytes' doc). */
  addedBytes: number;
}

export function fits(check: QuotaCheck): boolean {
  return check.limit === null || check.storedBytes + check.limit.otherBytes + check.addedBytes <= check.limit.limitBytes;
}

export function exceeded(check: QuotaCheck & { limit: QuotaLimit }): QuotaExceededError {
  return new QuotaExceededError(check.storedBytes + check.limit.otherBytes + check.addedBytes, check.limit.limitBytes);
}

export interface UserQuotaOptions {
  db: Database;
  /** 0 = unlimited. */
  limitBytes: number;
  /** Stored bytes of a document (the sync server's count, loading the document if needed). */
  documentBytes(name: string): Promise<number>;
}

/**
 * The quota of library documents, with each user's thumbnail bytes remembered between checks (a
 * check runs on every client update): refreshed when a thumbnail is stored through the service,
 * and re-read before any refusal, so a stale count can delay nothing but never refuse wrongly.
 */
export class UserQuota implements DocumentQuota {
  readonly limitBytes: number;
  private readonly thumbnailBytesStmt: Statement<[string], { bytes: number | null }>;
  private readonly thumbnailOfStmt: Statement<[string, string], { bytes: number }>;
  private readonly thumbnailCache = new Map<string, number>();

  constructor(private readonly opts: UserQuotaOptions) {
    this.limitBytes = opts.limitBytes;
    // Thumbnails are keyed by their owner (migration 0004); length() of a blob reads no image data.
    this.thumbnailBytesStmt = opts.db.prepare('SELECT sum(length(image)) AS bytes FROM workflow_thumbnails WHERE user_id = ?');
    this.thumbnailOfStmt = opts.db.prepare('SELECT length(image) AS bytes FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
  }

  limitFor(name: string, fresh: boolean): QuotaLimit | null {
    if (this.limitBytes === 0) return null;
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return null;
    return { limitBytes: this.limitBytes, otherBytes: this.thumbnailBytes(parsed.userId, fresh) };
  }

  thumbnailBytes(userId: string, fresh: boolean): number {
    const known = fresh ? undefined : this.thumbnailCache.get(userId);
    if (known !== undefined) return known;
    const bytes = this.thumbnailBytesStmt.get(userId)?.bytes ?? 0;
    this.thumbnailCache.set(userId, bytes);
    return bytes;
  }

  /**
   * Refuses (before it is stored) a thumbnail that would take `userId` past the quota; a replaced
   * image of the same workflow no longer counts.
   */
  async assertThumbnailFits(userId: string, workflowId: string, imageBytes: number): Promise<void> {
    if (this.limitBytes === 0) return;
    const documentBytes = await this.opts.documentBytes(libraryDocument(userId));
    const replaced = this.thumbnailOfStmt.get(workflowId, userId)?.bytes ?? 0;
    const check = {
      limit: { limitBytes: this.limitBytes, otherBytes: this.thumbnailBytes(userId, true) - replaced },
      storedBytes: documentBytes,
      addedBytes: imageBytes,
    };
    if (!fits(check)) throw exceeded(check);
  }

  /** A thumbnail of `userId` was stored or removed: the next check reads their bytes again. */
  thumbnailsChanged(userId: string): void {
    this.thumbnailCache.delete(userId);
  }
}
