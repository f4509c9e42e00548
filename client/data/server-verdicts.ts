// What the server decided about the user's own workflows that their library document cannot say:
// - an entry under an id that belongs to another library or to the defaults is quarantined (kept,
//   never published). `public` shows the owner of every published id, so the app can see that much
//   offline (ownershipProblem below), but only the server's ownership records know the ids of other
//   users' private workflows and of workflows deleted since;
// - a shared workflow the publisher keeps out of `public` (too large, over the owner's budget) stays
//   shared in its library; only the owner's REST list says so (`unpublished_reason`).
// So while online the app asks the REST list for the user's own flagged items, keeps the answer in
// memory and merges it into the view built from the documents. Offline it shows what it knows.
import type * as Y from 'yjs';
import type { WorkflowListItemDTO } from '../../shared/api-types.js';
import { publicMap } from '../../shared/workflow/public-doc.js';
import { isPlainObject } from '../../shared/workflow/json.js';

/** The server's word on one of the user's own workflows; only flagged ones are kept. */
export interface ServerVerdict {
  invalidReason: string | null;
  unpublishedReason: string | null;
}

/** Fetches the signed-in user's own user-category list items (GET /workflows/?categories=user). */
export type OwnListing = () => Promise<WorkflowListItemDTO[]>;

/** Shown for an own entry whose id `public` shows under another owner or as a default. */
export const OWNED_ELSEWHERE_TEXT = 'This id belongs to another library: save it as a new workflow';
/** Ids with this prefix belong to the defaults folder (server/library/owners.ts RESERVED_ID_PREFIX). */
export const RESERVED_ID_PREFIX = 'default_';
export const RESERVED_ID_TEXT = `Ids starting with ${RESERVED_ID_PREFIX} belong to the default workflows: save it as a new workflow`;

/**
 * Why an entry of the library of `libraryOwnerId` can never be valid because of its id alone, as far
 * as the `public` document shows; null when nothing local speaks against it.
 */
export function ownershipProblem(id: string, libraryOwnerId: string, publicDoc: Y.Doc | null | undefined): string | null {
  if (id.startsWith(RESERVED_ID_PREFIX)) return RESERVED_ID_TEXT;
  // Only the owner and category are needed, so the entry's workflow is not validated here: this runs
  // for every own item at every render, and only the server writes `public`.
  const published = publicDoc ? publicMap(publicDoc).get(id) : undefined;
  if (!isPlainObject(published)) return null;
  return published['category'] === 'default' || published['user_id'] !== libraryOwnerId ? OWNED_ELSEWHERE_TEXT : null;
}

/** The server's reason for keeping a shared workflow out of `public`, without its "not published:" lead. */
export function withheldText(reason: string): string {
  return `Shared, but not visible to others: ${reason.replace(/^not published:\s*/i, '')}`;
}

/** After a trigger, wait this long so that a burst of document updates costs one request. */
export const REFRESH_DELAY_MS = 500;

/**
 * The server's verdicts on the user's own flagged workflows, refreshed while online. Fires 'change'
 * when they change. Requests are serialized: at most one in flight, and triggers that arrive meanwhile
 * make one more request after it (the server may have indexed a change since it answered).
 */
export class ServerVerdicts extends EventTarget {
  private byId = new Map<string, ServerVerdict>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly userId: string,
    private readonly listOwn: OwnListing | null,
  ) {
    super();
  }

  get(id: string): ServerVerdict | undefined {
    return this.byId.get(id);
  }

  /** Every flagged id with its verdict (a copy). */
  get all(): ReadonlyMap<string, ServerVerdict> {
    return new Map(this.byId);
  }

  /**
   * Takes the server's list as the whole truth about the user's flagged items: items of other users
   * (an administrator's list has them) and unflagged ones are left out, and ids no longer flagged lose
   * their verdict.
   */
  accept(items: readonly WorkflowListItemDTO[]): void {
    const next = new Map<string, ServerVerdict>();
    for (const item of items) {
      if (item.user_id !== this.userId || item.category !== 'user') continue;
      const invalidReason = item.invalid_reason ?? null;
      const unpublishedReason = item.unpublished_reason ?? null;
      if (invalidReason !== null || unpublishedReason !== null) next.set(item.workflow_id, { invalidReason, unpublishedReason });
    }
    const same =
      next.size === this.byId.size &&
      [...next].every(([id, v]) => {
        const old = this.byId.get(id);
        return old !== undefined && old.invalidReason === v.invalidReason && old.unpublishedReason === v.unpublishedReason;
      });
    if (same) return;
    this.byId = next;
    this.dispatchEvent(new Event('change'));
  }

  /** Asks the server again soon (see REFRESH_DELAY_MS); a no-op without a listing or once stopped. */
  schedule(): void {
    if (!this.listOwn || this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  /**
   * One request now (or the one in flight). A failed request (offline, server down, refused token)
   * keeps the last verdicts: they are still the server's last word, and ownership never changes back.
   */
  refresh(): Promise<void> {
    if (!this.listOwn || this.stopped) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    const listOwn = this.listOwn;
    this.inFlight = (async () => {
      try {
        const items = await listOwn();
        if (!this.stopped) this.accept(items);
      } catch {
        // Kept as they were; the next trigger (coming online, a document change) asks again.
      } finally {
        this.inFlight = null;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      }
    })();
    return this.inFlight;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
