// PostgresLeaseStore on a real PostgreSQL: the lease acceptance suite with two nodes (two pools), and
// many nodes racing for one lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { PostgresLeaseStore } from '../../server/storage/postgres/lease-store.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { leaseStoreSuite } from './lease-store-suite.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

async function nodes(count: number): Promise<{ stores: PostgresLeaseStore[]; close(): Promise<void> }> {
  const url = await postgres.createDatabase();
  const pools = Array.from({ length: count }, () => new PostgresPool(url, { max: 2 }));
  await migratePostgres(pools[0]!, postgresMigrations);
  return { stores: pools.map((pool) => new PostgresLeaseStore(pool)), close: async () => void (await Promise.all(pools.map((p) => p.close()))) };
}

leaseStoreSuite('PostgresLeaseStore', async () => {
  const { stores, close } = await nodes(2);
  return { nodes: [stores[0]!, stores[1]!], dispose: close };
});

describe('PostgresLeaseStore', () => {
  it('eight nodes asking at the same moment: exactly one gets the lease', async () => {
    const { stores, close } = await nodes(8);
    try {
      const won = await Promise.all(stores.map((store, i) => store.tryAcquire('reconcile', `node-${i}`, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    } finally {
      await close();
    }
  });
});
