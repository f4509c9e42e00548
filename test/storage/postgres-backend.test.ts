// openBackend: SQLite in the data folder by default, PostgreSQL with --database-url (migrated on open,
// once however many nodes open it together), with a clear one-line refusal when the database cannot be
// reached or is newer than the code, never showing the URL's password.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { databaseFile } from '../../server/config.js';
import { openBackend } from '../../server/storage/backend.js';
import { freePort, startPostgres, type PostgresService } from '../helpers/services.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

function update(key: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, key);
  return Y.encodeStateAsUpdate(doc);
}

describe('openBackend', () => {
  it('without a database URL: SQLite in the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-backend-'));
    try {
      const backend = await openBackend({ dataDir, databaseUrl: null });
      expect(backend.kind).toBe('sqlite');
      expect(backend.location).toBe(databaseFile({ dataDir }));
      expect(existsSync(databaseFile({ dataDir }))).toBe(true);
      expect((await backend.documents.append([{ name: 'library/a', update: update('k') }])).get('library/a')).toBe(1);
      await backend.close();
      await backend.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with a database URL: PostgreSQL, migrated once by three nodes opening it together, one store for all', async () => {
    const url = await postgres.createDatabase();
    const logs: string[] = [];
    const nodes = await Promise.all([0, 1, 2].map(() => openBackend({ dataDir: '/nonexistent', databaseUrl: url }, { log: (l) => logs.push(l) })));
    try {
      expect(nodes.map((n) => n.kind)).toEqual(['postgres', 'postgres', 'postgres']);
      const applied = nodes.map((n) => (n.kind === 'postgres' ? n.migration.applied.length : -1)).sort();
      expect(applied).toEqual([0, 0, postgresMigrations.length]);
      expect(nodes[0]!.location).not.toContain(new URL(url).password);
      expect(nodes[0]!.location).toContain('***');
      // What one node commits, another loads.
      await nodes[0]!.documents.append([{ name: 'library/a', update: update('from-node-0') }]);
      expect((await nodes[2]!.documents.load('library/a')).lastSeq).toBe(1);
      // Leases are shared too: one node holds it, the others see it taken.
      expect(await nodes[0]!.leases.tryAcquire('reconcile', 'node-0', 60_000)).toBe(true);
      expect(await nodes[1]!.leases.tryAcquire('reconcile', 'node-1', 60_000)).toBe(false);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
    expect(logs).toEqual([]);
  });

  it('refuses to open a database it cannot reach, in one line naming it without the password', async () => {
    const port = await freePort();
    const error = await openBackend({ dataDir: '/nonexistent', databaseUrl: `postgres://flowshelf:hunter2@127.0.0.1:${port}/flowshelf` }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toBe(
      `cannot open PostgreSQL postgres://flowshelf:***@127.0.0.1:${port}/flowshelf: database unavailable: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('refuses a database whose schema is newer than this code, and leaves it as it was', async () => {
    const url = await postgres.createDatabase();
    const first = await openBackend({ dataDir: '/nonexistent', databaseUrl: url });
    if (first.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const newer = postgresMigrations.length + 1;
    await first.pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from-a-newer-flowshelf')", [newer]);
    await first.close();
    await expect(openBackend({ dataDir: '/nonexistent', databaseUrl: url })).rejects.toThrow(
      `PostgreSQL database is at schema ${newer} but this Flowshelf only knows up to ${newer - 1}: upgrade Flowshelf (every node) or restore a backup`,
    );
  });
});
