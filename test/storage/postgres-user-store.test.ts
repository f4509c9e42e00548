// The user and settings ports on a real PostgreSQL (test/helpers/services.ts), a fresh database per
// test migrated by the PostgreSQL migrator, owned by a role that is no superuser; the other node is a
// second pool on the same database, so "at the same time" is two real connections racing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { PostgresSettingsStore, PostgresUserRepository } from '../../server/storage/postgres/user-store.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { userStoreSuite } from './user-store-suite.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

userStoreSuite('PostgreSQL', async () => {
  const url = await postgres.createDatabase();
  const pools = [new PostgresPool(url, { max: 4 })];
  await migratePostgres(pools[0]!, postgresMigrations);
  const node = (pool: PostgresPool) => ({ users: new PostgresUserRepository(pool), settings: new PostgresSettingsStore(pool) });
  return {
    ...node(pools[0]!),
    async otherNode() {
      const pool = new PostgresPool(url, { max: 4 });
      pools.push(pool);
      return node(pool);
    },
    async dispose() {
      await Promise.all(pools.map((pool) => pool.close()));
    },
  };
});

describe('PostgreSQL account writers on two nodes', () => {
  it('keep the last active administrator when both nodes demote one of the last two at the same moment (held behind a table lock, then released together)', async () => {
    const url = await postgres.createDatabase();
    const pools = [1, 2, 3].map(() => new PostgresPool(url, { max: 2 }));
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    try {
      const [blocker, one, two] = pools as [PostgresPool, PostgresPool, PostgresPool];
      await migratePostgres(blocker, postgresMigrations);
      const nodeOne = new PostgresUserRepository(one);
      const nodeTwo = new PostgresUserRepository(two);
      const admin = (email: string) => ({
        userId: randomUUID(), email, displayName: null, passwordHash: 'x', isAdmin: true, isActive: true,
        createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', lastLoginAt: null, tokenEpoch: 0,
      });
      const a = admin('a@example.com');
      const b = admin('b@example.com');
      await nodeOne.insert(a);
      await nodeOne.insert(b);
      // A third session holds the table, so that both nodes' writes are under way before either can
      // run: they meet at the same moment when it lets go, the worst case for a check-then-write.
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = blocker.transaction(async (tx) => {
        await tx.query('LOCK TABLE users IN SHARE MODE');
        locked();
        await released;
      });
      await isLocked;
      const keep = { keepAnActiveAdmin: true };
      const demotions = Promise.all([
        nodeOne.update(a.userId, { isAdmin: false, updatedAt: '2026-01-02T00:00:00.000Z' }, keep),
        nodeTwo.update(b.userId, { isAdmin: false, updatedAt: '2026-01-02T00:00:00.000Z' }, keep),
      ]);
      await vi.waitFor(
        async () => {
          const { rows } = await blocker.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type IN ('Lock', 'Advisory')",
          );
          expect(Number(rows[0]!.n)).toBe(2);
        },
        { timeout: 10_000, interval: 20 },
      );
      release();
      await holding;
      const results = await demotions;
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'last_active_admin' }]);
      expect(await nodeTwo.countActiveAdmins()).toBe(1);
    } finally {
      release();
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });
});
