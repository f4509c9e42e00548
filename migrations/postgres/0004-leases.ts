// Leases: work that must have one writer across nodes (the index reconcile, a start-time rebuild) is
// held by a lease that expires when its node stops renewing it (a node that died). expires_at is
// compared with the DATABASE's clock (now()), never a node's, so nodes with skewed clocks agree.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresColumns } from '../../server/storage/postgres/migrator.js';

export const leases: PostgresMigration = {
  version: 4,
  name: 'leases',
  async up(tx) {
    await tx.query(`
      CREATE TABLE leases (
        name       text COLLATE "C" NOT NULL PRIMARY KEY,
        holder     text COLLATE "C" NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `);
  },
  async verify(tx) {
    await requirePostgresColumns(tx, 'leases', ['name', 'holder', 'expires_at']);
  },
};
