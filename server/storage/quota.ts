// Per-user storage quotas, so that one user cannot fill the disk for everyone. What counts for a
// user: the stored bytes of their library document (snapshot plus update log, as the store holds
// them), the bytes of their thumbnail images and of their workflows' versions (version-store.ts: a
// version over the quota is not kept; the change itself is never refused for it). The limit is the same for every user,
// administrators and the single-user mode's `system` library included (`--user-quota-mb`, 0 = none).
// The `public` document is written by the server only and has no quota.
import * as Y from 'yjs';
import { libraryDocument, parseDocumentName } from '../../shared/protocol.js';
import { QuotaExceededError } from './storage-errors.js';
import type { ThumbnailStore } from './thumbnail-store.js';
import type { VersionStore } from './version-store.js';

export interface QuotaLimit {
  limitBytes: number;
  /** Bytes the document's owner holds outside the document (thumbnails, versions). */
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
  thumbnails: ThumbnailStore;
  /** Version history bytes count too (absent: no versions kept). */
  versions?: Pick<VersionStore, 'bytesOf' | 'bytesByOwner'>;
  /** 0 = unlimited. */
  limitBytes: number;
  /** Stored bytes of a document (the sync server's count, loading the document if needed). */
  documentBytes(name: string): Promise<number>;
}

/**
 * The quota of library documents. The check before a client update is applied is synchronous (it runs
 * in the room, on every update), so each user's thumbnail bytes are remembered: all of them read once
 * at start (load), and read again whenever a thumbnail of the user is stored or removed through this
 * server (thumbnailsChanged: the service, the importer, the library when index rows, and so their
 * images, go). A check that would refuse (`fresh`) also starts a re-read, so a count made stale by
 * another node is right for the next check; a thumbnail upload, being async, always reads afresh.
 */
export class UserQuota implements DocumentQuota {
  readonly limitBytes: number;
  private readonly thumbnailBytesOf = new Map<string, number>();
  /** The latest re-read per user: a slower earlier one must not overwrite its result. */
  private readonly reads = new Map<string, Promise<void>>();
  /** Each user's version bytes, remembered like thumbnail bytes (read at load and after each change). */
  private readonly versionBytesOf = new Map<string, number>();
  private readonly versionReads = new Map<string, Promise<void>>();

  constructor(private readonly opts: UserQuotaOptions) {
    this.limitBytes = opts.limitBytes;
  }

  /** Reads every user's thumbnail bytes (before the first check; again after a lost connection). */
  async load(): Promise<void> {
    if (this.limitBytes === 0) return;
    const all = await this.opts.thumbnails.bytesByOwner();
    this.thumbnailBytesOf.clear();
    for (const [userId, bytes] of all) this.thumbnailBytesOf.set(userId, bytes);
    if (this.opts.versions) {
      const versions = await this.opts.versions.bytesByOwner();
      this.versionBytesOf.clear();
      for (const [userId, bytes] of versions) this.versionBytesOf.set(userId, bytes);
    }
  }

  limitFor(name: string, fresh: boolean): QuotaLimit | null {
    if (this.limitBytes === 0) return null;
    const parsed = parseDocumentName(name);
    if (parsed?.kind !== 'library') return null;
    if (fresh) {
      void this.thumbnailsChanged(parsed.userId);
      void this.versionsChanged(parsed.userId);
    }
    return { limitBytes: this.limitBytes, otherBytes: this.thumbnailBytes(parsed.userId) + (this.versionBytesOf.get(parsed.userId) ?? 0) };
  }

  /** The remembered thumbnail bytes of `userId` (0 for a user without images). */
  thumbnailBytes(userId: string): number {
    return this.thumbnailBytesOf.get(userId) ?? 0;
  }

  /**
   * Refuses (before it is stored) a thumbnail that would take `userId` past the quota; a replaced
   * image of the same workflow no longer counts. Reads the stored bytes now, not the remembered ones.
   */
  async assertThumbnailFits(userId: string, workflowId: string, imageBytes: number): Promise<void> {
    if (this.limitBytes === 0) return;
    const documentBytes = await this.opts.documentBytes(libraryDocument(userId));
    const replaced = await this.opts.thumbnails.imageBytes(workflowId, userId);
    const check = {
      limit: {
        limitBytes: this.limitBytes,
        otherBytes: (await this.opts.thumbnails.bytesOf(userId)) - replaced + ((await this.opts.versions?.bytesOf(userId)) ?? 0),
      },
      storedBytes: documentBytes,
      addedBytes: imageBytes,
    };
    if (!fits(check)) throw exceeded(check);
  }

  /**
   * Refuses a version of `bytes` that would take `userId` past the quota (read now: the document, the
   * thumbnails, the versions). The caller does not keep it and says so in the log.
   */
  async assertVersionFits(userId: string, bytes: number): Promise<void> {
    if (this.limitBytes === 0) return;
    const check = {
      limit: {
        limitBytes: this.limitBytes,
        otherBytes: (await this.opts.thumbnails.bytesOf(userId)) + ((await this.opts.versions?.bytesOf(userId)) ?? 0),
      },
      storedBytes: await this.opts.documentBytes(libraryDocument(userId)),
      addedBytes: bytes,
    };
    if (!fits(check)) throw exceeded(check);
  }

  /** Versions of `userId` were added or removed: their bytes are read again (resolves when read). */
  versionsChanged(userId: string): Promise<void> {
    const versions = this.opts.versions;
    if (this.limitBytes === 0 || !versions) return Promise.resolve();
    const read: Promise<void> = versions.bytesOf(userId).then(
      (bytes) => {
        if (this.versionReads.get(userId) === read) this.versionBytesOf.set(userId, bytes);
      },
      () => undefined,
    );
    this.versionReads.set(userId, read);
    void read.then(() => {
      if (this.versionReads.get(userId) === read) this.versionReads.delete(userId);
    });
    return read;
  }

  /** A thumbnail of `userId` was stored or removed: their bytes are read again (resolves when read). */
  thumbnailsChanged(userId: string): Promise<void> {
    if (this.limitBytes === 0) return Promise.resolve();
    const read: Promise<void> = this.opts.thumbnails.bytesOf(userId).then(
      (bytes) => {
        if (this.reads.get(userId) === read) this.thumbnailBytesOf.set(userId, bytes);
      },
      // The remembered count stays; the next change or refusal reads again.
      () => undefined,
    );
    this.reads.set(userId, read);
    void read.then(() => {
      if (this.reads.get(userId) === read) this.reads.delete(userId);
    });
    return read;
  }
}
