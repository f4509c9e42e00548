// Leases on PostgreSQL (table `leases`, migrations/postgres/0004), shared by every node. Each call is
// one statement, so two nodes asking at once cannot both win: the row's lock orders them and the second
// sees the first's lease. Expiry is decided by the database's clock (now()), never a node's, so nodes
// whose clocks disagree still agree on who holds a lease.
import type { LeaseStore } from '../lease-store.js';
import type { PostgresPool } from './pool.js';

export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly pool: PostgresPool) {}

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO leases AS l (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE l.holder = excluded.holder OR l.expires_at <= now()
       RETURNING 1`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.pool.query(
      `UPDATE leases SET expires_at = now() + $3 * interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND expires_at > now()
       RETURNING 1`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
