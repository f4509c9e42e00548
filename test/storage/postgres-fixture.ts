// A fresh PostgreSQL database with the whole schema, for the PostgreSQL store suites.
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import type { PostgresService } from '../helpers/services.js';

/** Creates a database owned by a fresh non-superuser role, migrates it, and returns its URL. */
export async function migratedDatabase(postgres: PostgresService): Promise<string> {
  const url = await postgres.createDatabase();
  const pool = new PostgresPool(url, { max: 1 });
  try {
    await migratePostgres(pool, postgresMigrations);
  } finally {
    await pool.close();
  }
  return url;
}
