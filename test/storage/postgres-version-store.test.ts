// The VersionStore acceptance suite on a real PostgreSQL (one server for this file, a fresh migrated
// database owned by a non-superuser role per test), plus two nodes adding the same Save at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { PostgresVersionStore } from '../../server/storage/postgres/version-store.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { migratedDatabase as migratedDatabaseOf } from './postgres-fixture.js';
import { version, versionStoreSuite } from './version-store-suite.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

function migratedDatabase(): Promise<string> {
  return migratedDatabaseOf(postgres);
}

versionStoreSuite('PostgresVersionStore on a real PostgreSQL', async () => {
  const pool = new PostgresPool(await migratedDatabase(), { max: 4 });
  return { versions: new PostgresVersionStore(pool), dispose: () => pool.close() };
});

describe('PostgresVersionStore, several nodes on one database', () => {
  it('nodes adding the version of the same Save at once keep one', async () => {
    const url = await migratedDatabase();
    const pools = Array.from({ length: 4 }, () => new PostgresPool(url, { max: 2 }));
    try {
      const results = await Promise.all(
        pools.map((pool, node) => new PostgresVersionStore(pool).add(version('w1', 'alice', 'save:same', '2026-01-01T00:00:00.000Z', `{"node":${node}}`))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.version.version_id)).size).toBe(1);
      expect((await new PostgresVersionStore(pools[0]!).list('alice', 'w1', { offset: 0, limit: 10 })).total).toBe(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });
});
