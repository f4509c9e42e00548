// Leases (issue 8): work that must have one writer across nodes (the periodic index reconcile, a
// start-time rebuild) is done by whoever holds its lease. A lease expires unless its holder renews it,
// so the work moves to another node when its node dies. Holders are node ids.
//
// PostgreSQL keeps leases in a table, timed by the database's clock (postgres/lease-store.ts); one
// node on SQLite needs no table: InProcessLeaseStore below keeps them in memory with the same rules.

export interface LeaseStore {
  /**
   * Takes `name` for `holder` for `ttlMs` when it is free, expired, or already the holder's (then it is
   * extended). Resolves true when `holder` holds it now.
   */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease `holder` still holds (not expired); false when it does not hold it any more. */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it; nothing otherwise. */
  release(name: string, holder: string): Promise<void>;
}

/** Leases of one process (one node on SQLite): the same rules, in memory, timed by this process's clock. */
export class InProcessLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { holder: string; expiresAt: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(name);
    if (current !== undefined && current.holder !== holder && current.expiresAt > this.now()) return false;
    this.leases.set(name, { holder, expiresAt: this.now() + ttlMs });
    return true;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(name);
    if (current === undefined || current.holder !== holder || current.expiresAt <= this.now()) return false;
    current.expiresAt = this.now() + ttlMs;
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
}
