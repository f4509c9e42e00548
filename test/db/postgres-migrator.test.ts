// PostgreSQL's migrator on a real server (test/helpers/services.ts), as an operator runs it: the URL's
// role owns an empty database and is no superuser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import {
  migratePostgres,
  MigrationError,
  postgresMigrationLabel,
  postgresSchemaVersion,
  type PostgresMigration,
} from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';

let postgres: PostgresService;
const latest = postgresMigrations.length;
const pools: PostgresPool[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await postgres?.stop();
});

async function freshPool(): Promise<PostgresPool> {
  const pool = new PostgresPool(await postgres.createDatabase(), { max: 3 });
  pools.push(pool);
  return pool;
}

async function tables(pool: PostgresPool): Promise<string[]> {
  const { rows } = await pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1');
  return rows.map((r) => r.tablename);
}

describe('PostgreSQL migrator', () => {
  it('brings a fresh database owned by a non-superuser role to the newest schema, without extensions', async () => {
    const pool = await freshPool();
    const role = await pool.query<{ rolsuper: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    expect(role.rows[0]).toEqual({ rolsuper: false, rolcreatedb: false });

    const report = await migratePostgres(pool, postgresMigrations);
    expect(report).toEqual({
      from: 0,
      to: postgresMigrations.length,
      applied: [
        '0001-users-and-settings', '0002-document-storage', '0003-workflow-index', '0004-leases', '0005-list-query-indexes',
        ...postgresMigrations.slice(5).map(postgresMigrationLabel),
      ],
    });
    expect(await tables(pool)).toEqual([
      'app_settings', 'doc_heads', 'doc_snapshots', 'doc_updates', 'leases', 'schema_migrations', 'users',
      'workflow_index', 'workflow_index_state', 'workflow_opened', 'workflow_owners', 'workflow_thumbnails',
      'workflow_trash', 'workflow_versions',
    ]);
    const extensions = await pool.query<{ extname: string }>('SELECT extname FROM pg_extension');
    expect(extensions.rows.map((r) => r.extname)).toEqual(['plpgsql']); // built in, in every database
    // The system user, as SQLite's migration 0001 makes it.
    const system = await pool.query("SELECT email, password_hash, is_admin, token_epoch FROM users WHERE user_id = 'system'");
    expect(system.rows).toEqual([{ email: 'system@system.invokeai', password_hash: '', is_admin: false, token_epoch: 0 }]);
    // Emails are unique ignoring ASCII case, as SQLite's COLLATE NOCASE.
    await expect(
      pool.query("INSERT INTO users (user_id, email, created_at, updated_at) VALUES ('u2', 'SYSTEM@system.invokeai', 'x', 'x')"),
    ).rejects.toThrow(/users_email_nocase/);

    // Running again (the next start) applies nothing.
    expect(await migratePostgres(pool, postgresMigrations)).toEqual({ from: latest, to: latest, applied: [] });
  });

  it('three nodes starting at the same moment migrate once, however long the others wait', async () => {
    const url = await postgres.createDatabase();
    const nodes = [0, 1, 2].map(() => {
      // Timeouts far shorter than the migration: neither the migration nor the nodes waiting for it
      // may be cut by them.
      const pool = new PostgresPool(url, { max: 2, statementTimeoutMs: 50, queryTimeoutMs: 100 });
      pools.push(pool);
      return pool;
    });
    // A first migration slow enough that the three runs overlap (pg_sleep holds its transaction).
    let runs = 0;
    const slow: PostgresMigration[] = postgresMigrations.map((m) =>
      m.version !== 1
        ? m
        : {
            ...m,
            async up(tx) {
              runs++;
              await tx.query('SELECT pg_sleep(0.3)');
              await m.up(tx);
            },
          },
    );
    const reports = await Promise.all(nodes.map((pool) => migratePostgres(pool, slow)));
    expect(runs).toBe(1);
    expect(reports.map((r) => r.applied.length).sort()).toEqual([0, 0, latest]);
    expect(reports.filter((r) => r.applied.length === 0).every((r) => r.from === latest)).toBe(true);
    const recorded = await nodes[0]!.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((r) => r.version)).toEqual(postgresMigrations.map((_, i) => i + 1));
    const systemUsers = await nodes[0]!.query("SELECT count(*)::int AS n FROM users WHERE user_id = 'system'");
    expect(systemUsers.rows[0]).toEqual({ n: 1 });
  });

  it('refuses a database written by a newer Flowshelf, with one line, changing nothing', async () => {
    const pool = await freshPool();
    await migratePostgres(pool, postgresMigrations);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from-the-future')");
    const before = await tables(pool);
    const error = await migratePostgres(pool, postgresMigrations).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      `PostgreSQL database is at schema 99 but this Flowshelf only knows up to ${latest}: upgrade Flowshelf (every node) or restore a backup`,
    );
    expect(await tables(pool)).toEqual(before);
    expect(await postgresSchemaVersion(pool)).toBe(99);
  });

  it('a failing migration leaves nothing of itself and keeps the ones before it', async () => {
    const pool = await freshPool();
    const failing: PostgresMigration = {
      version: latest + 1,
      name: 'half-done',
      async up(tx) {
        await tx.query('CREATE TABLE half_done (n integer)');
        await tx.query("UPDATE users SET display_name = 'changed' WHERE user_id = 'system'");
      },
      async verify() {
        throw new Error('half_done is not what was promised');
      },
    };
    const error = await migratePostgres(pool, [...postgresMigrations, failing]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(`PostgreSQL migration ${postgresMigrationLabel(failing)} failed: half_done is not what was promised`);
    expect(await postgresSchemaVersion(pool)).toBe(latest);
    expect(await tables(pool)).not.toContain('half_done');
    const system = await pool.query("SELECT display_name FROM users WHERE user_id = 'system'");
    expect(system.rows[0]).toEqual({ display_name: 'System' });
    // The lock was released: the next run (with the migration fixed) proceeds.
    const fixed: PostgresMigration = { ...failing, async verify() {} };
    expect((await migratePostgres(pool, [...postgresMigrations, fixed])).applied).toEqual([postgresMigrationLabel(failing)]);
  });

  it('refuses a list with a gap or a bad name before touching the database', async () => {
    const pool = await freshPool();
    await expect(migratePostgres(pool, [postgresMigrations[0]!, postgresMigrations[2]!])).rejects.toThrow(/without gaps/);
    await expect(migratePostgres(pool, [{ ...postgresMigrations[0]!, name: 'Bad Name' }])).rejects.toThrow(/kebab-case/);
    expect(await tables(pool)).toEqual([]);
  });
});
