// PostgreSQL migration 0007 over a database written by 0006: the rows written before read back as they
// were through the stores (names moved to bytea, U+0001 escaped where the index and users keep text),
// and the name order of the list is unchanged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { PostgresIndexStore } from '../../server/storage/postgres/index-store.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { PostgresUserRepository } from '../../server/storage/postgres/user-store.js';
import { PostgresVersionStore } from '../../server/storage/postgres/version-store.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';

let postgres: PostgresService;
let pool: PostgresPool;
beforeAll(async () => {
  postgres = await startPostgres();
  pool = new PostgresPool(await postgres.createDatabase(), { max: 2 });
});
afterAll(async () => {
  await pool?.close();
  await postgres?.stop();
});

it('rows written under migration 0006 read back unchanged after 0007', async () => {
  const before = postgresMigrations.findIndex((m) => m.version === 7);
  expect(before).toBe(6);
  await migratePostgres(pool, postgresMigrations.slice(0, before));
  const at = '2026-01-01T00:00:00.000Z';
  const names = ['ctrl \u0001\u0001 and \u0001\u0002', 'Zed', 'apple', 'é'.repeat(10)];
  for (const [i, name] of names.entries()) {
    await pool.query(
      `INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at, valid, workflow, doc_seq)
       VALUES ($1, 'alice', 'user', $2, $3, $4, false, $5, $5, true, '{}', 1)`,
      [`w${i}`, name, `about \u0001 ${i}`, i === 0 ? 'x\u0001y' : '', at],
    );
  }
  await pool.query(
    `INSERT INTO users (user_id, email, display_name, created_at, updated_at) VALUES ('alice', 'a\u0001@example.com', 'Al\u0001\u0002ice', $1, $1)`,
    [at],
  );
  await pool.query(
    `INSERT INTO workflow_versions (version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary, workflow)
     VALUES ('v1', 'alice', 'w0', 'save:1', 'save', $1, 'alice', 'Ann é', 'd', 'Laptop \u0001', '{}', '{"a":1}')`,
    [at],
  );
  await pool.query(
    `INSERT INTO workflow_trash (workflow_id, owner_id, name, deleted_at, deleted_by, purge_at, entry) VALUES ('w9', 'alice', 'Gone é', $1, 'alice', $1, '{}')`,
    [at],
  );

  await migratePostgres(pool, postgresMigrations);

  const index = new PostgresIndexStore(pool);
  const viewer = { userId: 'alice', isAdmin: false, multiuser: true };
  const listed = await index.list(viewer, { page: 0, perPage: null, orderBy: 'name', direction: 'ASC', categories: ['user'] });
  expect(listed.items.map((i) => i.name)).toEqual(['apple', 'ctrl \u0001\u0001 and \u0001\u0002', 'Zed', 'é'.repeat(10)]);
  expect(await index.row('w0', 'alice')).toMatchObject({ name: names[0], description: 'about \u0001 0', tags: 'x\u0001y' });
  const user = await new PostgresUserRepository(pool).get('alice');
  expect(user).toMatchObject({ email: 'a\u0001@example.com', displayName: 'Al\u0001\u0002ice' });
  const versions = new PostgresVersionStore(pool);
  expect(await versions.getByKey('alice', 'w0', 'save:1')).toMatchObject({ user_name: 'Ann é', device_label: 'Laptop \u0001', workflow: '{"a":1}' });
  expect((await versions.listTrash('alice'))[0]?.name).toBe('Gone é');
});
