// The WorkflowIndexStore and ThumbnailStore acceptance suites on a real PostgreSQL (one server for this
// file, a fresh migrated database owned by a non-superuser role per test), plus what only several
// nodes on one database can show: the same rows written by several pools at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresIndexStore } from '../../server/storage/postgres/index-store.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { PostgresThumbnailStore } from '../../server/storage/postgres/thumbnail-store.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { migratedDatabase as migratedDatabaseOf } from './postgres-fixture.js';
import { indexStoreSuite, row } from './index-store-suite.js';
import { thumbnailStoreSuite } from './thumbnail-store-suite.js';

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

async function postgresFixture() {
  const pool = new PostgresPool(await migratedDatabase(), { max: 4 });
  return {
    index: new PostgresIndexStore(pool),
    thumbnails: new PostgresThumbnailStore(pool),
    dispose: () => pool.close(),
  };
}

indexStoreSuite('PostgresIndexStore on a real PostgreSQL', postgresFixture);
thumbnailStoreSuite('PostgresThumbnailStore on a real PostgreSQL', postgresFixture);

describe('PostgresIndexStore, several nodes on one database', () => {
  it('nodes indexing the same rows at once, in any order, leave the newest and never deadlock', async () => {
    const url = await migratedDatabase();
    const pools = Array.from({ length: 4 }, () => new PostgresPool(url, { max: 2 }));
    try {
      const stores = pools.map((pool) => new PostgresIndexStore(pool));
      const ids = Array.from({ length: 20 }, (_, i) => `w-${String(i).padStart(2, '0')}`);
      // Each node writes every row as of its own seq, in its own order (reversed on odd nodes).
      await Promise.all(
        stores.map((store, node) => {
          const order = node % 2 === 0 ? ids : [...ids].reverse();
          return store.applyChanges({
            upserts: order.map((id) => row(id, 'alice', { name: `node ${node}`, doc_seq: 10 + node })),
            indexedSeqs: [{ document: 'library/alice', seq: 10 + node }],
          });
        }),
      );
      const rows = await Promise.all(ids.map((id) => stores[0]!.row(id, 'alice')));
      expect(rows.map((r) => r?.name)).toEqual(ids.map(() => 'node 3'));
      expect(rows.every((r) => r?.doc_seq === 13)).toBe(true);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });

  it('claims of one id from several nodes at once agree on one owner', async () => {
    const url = await migratedDatabase();
    const pools = Array.from({ length: 4 }, () => new PostgresPool(url, { max: 2 }));
    try {
      const owners = await Promise.all(
        pools.flatMap((pool, node) => [0, 1, 2].map((i) => new PostgresIndexStore(pool).claimOwner('contested', `user-${node}-${i}`, 'user'))),
      );
      expect(new Set(owners.map((o) => o?.userId)).size).toBe(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });
});
