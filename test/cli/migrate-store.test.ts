// `flowshelf migrate-store --to postgres://...`: a SQLite deployment made by a real server (users
// through the API, workflows through REST and through a y-websocket client, a shared one, a
// thumbnail, an opened default) is copied by the built CLI into a fresh PostgreSQL database, and
// everything is there: by SQL, table by table against the SQLite file, and by loading every document
// through PostgresDocumentStore. Refusals: beside a live server (exit 2, target untouched), into a
// non-empty target, and a copy PostgreSQL refuses halfway (all rolled back). The digest comparison the
// CLI verifies with is unit-tested as a pure function.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { createEntry, workflowsMap } from '../../shared/workflow/library-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { databaseFile } from '../../server/config.js';
import {
  canonicalValue,
  documentState,
  firstDifference,
  TableHasher,
  TABLES,
  type TableSpec,
} from '../../server/cli/migrate-store.js';
import { PostgresDocumentStore } from '../../server/storage/postgres/document-store.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { PostgresSettingsStore, PostgresUserRepository } from '../../server/storage/postgres/user-store.js';
import { PostgresIndexStore } from '../../server/storage/postgres/index-store.js';
import { PostgresVersionStore } from '../../server/storage/postgres/version-store.js';
import { TokenService } from '../../server/auth/tokens.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { workflowVersions } from '../../migrations/postgres/0006-workflow-versions.js';
import { workflowVersionsMigration } from '../../migrations/0007-workflow-versions.js';
import { SqliteStore } from '../../server/storage/sqlite-store.js';
import { createWorkflow, userWorkflow } from '../api/fixtures.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';
import { connect, synced } from '../sync/clients.js';
import { ensureBuilt, run } from './built.js';

describe('table digests (what the copy is verified with)', () => {
  const spec: TableSpec = {
    name: 'things',
    key: ['id'],
    columns: [
      { name: 'id', type: 'text' },
      { name: 'flag', type: 'boolean' },
      { name: 'n', type: 'integer' },
      { name: 'blob', type: 'bytes' },
      { name: 'at', type: 'timestamptz' },
      { name: 'note', type: 'text' },
    ],
  };
  const digest = (rows: Record<string, unknown>[], name = 'things') => {
    const hasher = new TableHasher({ ...spec, name });
    for (const row of rows) hasher.add(row);
    return hasher.digest();
  };
  // The same rows as better-sqlite3 returns them and as pg returns them.
  const sqliteRows = [
    { id: 'a', flag: 1, n: 7, blob: Buffer.from([1, 2, 3]), at: '2026-01-02T03:04:05.678Z', note: null },
    { id: 'b', flag: 0, n: 9007199254740991, blob: Buffer.alloc(0), at: '2026-01-02T03:04:05.000Z', note: 'x' },
  ];
  const pgRows = [
    { id: 'a', flag: true, n: '7', blob: Buffer.from([1, 2, 3]), at: new Date('2026-01-02T03:04:05.678Z'), note: null },
    { id: 'b', flag: false, n: '9007199254740991', blob: Buffer.alloc(0), at: new Date('2026-01-02T03:04:05Z'), note: 'x' },
  ];

  it('the same rows hash alike whichever driver returned them', () => {
    expect(firstDifference([digest(sqliteRows)], [digest(pgRows)])).toBeNull();
  });

  it('a flipped boolean, a changed byte, a lost row, a null for an empty string: the table is named', () => {
    const cases: Record<string, unknown>[][] = [
      [{ ...pgRows[0]!, flag: false }, pgRows[1]!],
      [{ ...pgRows[0]!, blob: Buffer.from([1, 2, 4]) }, pgRows[1]!],
      [{ ...pgRows[0]!, note: '' }, pgRows[1]!],
      [pgRows[1]!, pgRows[0]!],
    ];
    for (const rows of cases) {
      expect(firstDifference([digest(sqliteRows)], [digest(rows)])).toBe('things: the copied rows differ from SQLite\'s (checksum mismatch)');
    }
    expect(firstDifference([digest(sqliteRows)], [digest(pgRows.slice(0, 1))])).toBe('things: 1 rows in PostgreSQL, 2 in SQLite');
    expect(firstDifference([digest(sqliteRows), digest([], 'other')], [digest(pgRows)])).toBe('other: not checked in the target');
  });

  it('values are framed: bytes moved from one column to the next change the digest', () => {
    const two: TableSpec = { name: 't', key: ['a'], columns: [{ name: 'a', type: 'text' }, { name: 'b', type: 'text' }] };
    const one = new TableHasher(two);
    one.add({ a: 'ab', b: 'c' });
    const other = new TableHasher(two);
    other.add({ a: 'a', b: 'bc' });
    expect(one.digest().sha256).not.toBe(other.digest().sha256);
  });

  it('a value of the wrong kind is an error naming table and column, not a silent match', () => {
    expect(() => digest([{ ...sqliteRows[0]!, flag: 2 }])).toThrow(/^things\.flag: expected a boolean/);
    expect(() => digest([{ ...sqliteRows[0]!, n: 1.5 }])).toThrow(/^things\.n: expected an integer/);
    expect(canonicalValue('timestamptz', '2026-01-02T03:04:05.678Z')).toBe(canonicalValue('timestamptz', new Date('2026-01-02T03:04:05.678Z')));
  });

  it('documents: the same updates give the same state; a missing update does not', () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    doc.getMap('workflows').set('a', 1);
    doc.getMap('opened').set('b', 'x');
    const full = documentState({ snapshot: null, updates, lastSeq: 2 });
    const same = documentState({ snapshot: Y.encodeStateAsUpdate(doc), updates: [], lastSeq: 2 });
    expect(same.json).toBe(full.json);
    expect(same.stateVector.equals(full.stateVector)).toBe(true);
    const partial = documentState({ snapshot: null, updates: updates.slice(0, 1), lastSeq: 1 });
    expect(partial.json).not.toBe(full.json);
  });
});

describe('flowshelf migrate-store', () => {
  let postgres: PostgresService;
  let dataDir: string;
  let ts: TestServer | null = null;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const made: { restId: string; sharedId: string; socketId: string; defaultId: string } = { restId: '', sharedId: '', socketId: '', defaultId: '' };

  beforeAll(async () => {
    ensureBuilt();
    postgres = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-migrate-'));
    // The source deployment is SQLite whatever back end the run's other suites use.
    ts = await startTestServer({ dataDir, backend: 'sqlite' });
    admin = await setupAdmin(ts);
    alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
    bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
    const asAlice = api(ts, alice.token);
    made.restId = (await createWorkflow(asAlice, 'Through REST')).workflow_id;
    made.sharedId = (await createWorkflow(asAlice, 'Shared one', { shared: true })).workflow_id;
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'x.png');
    const put = await fetch(`${ts.url}/api/v1/workflows/i/${made.sharedId}/thumbnail`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.token}` },
      body: form,
    });
    expect(put.status).toBe(200);
    made.defaultId = (await asAlice('GET', '/api/v1/workflows?categories=default&per_page=1')).body.items[0].workflow_id;
    expect((await asAlice('PUT', `/api/v1/workflows/i/${made.defaultId}/opened_at`)).status).toBe(200);
    // Bob writes from a device, through the sync endpoint.
    const device = connect(ts.wsUrl, `library/${bob.userId}`, bob.token);
    await synced(device);
    made.socketId = 'c0ffee00-0000-4000-8000-00000000b0b0';
    createEntry(device.doc, made.socketId, { ...userWorkflow('From a device'), id: made.socketId } as Workflow, { isPublic: false });
    const asBob = api(ts, bob.token);
    // Indexed once the REST view has it (the indexer runs after the commit).
    for (;;) {
      if ((await asBob('GET', `/api/v1/workflows/i/${made.socketId}`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    device.destroy();
    await ts.close();
    ts = null;
    // A server killed before compacting leaves updates after the snapshot: one such update, so that
    // the log (doc_updates) is moved too, not only snapshots.
    const sqlite = new Database(databaseFile({ dataDir }));
    const late = new Y.Doc();
    late.getMap('opened').set(made.defaultId, '2026-01-01T00:00:00.000Z');
    await new SqliteStore(sqlite).append([{ name: `library/${bob.userId}`, update: Y.encodeStateAsUpdate(late) }]);
    sqlite.close();
  }, 180_000);

  afterAll(async () => {
    await ts?.close();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * A fresh database for a copy. While this tree registers SQLite's version tables (migration 0007)
   * but not yet PostgreSQL's (0006), the server writes versions the target could not hold: the target
   * then gets those tables from that migration's own up(), as the registered migrator will make them.
   */
  async function target(): Promise<string> {
    const url = await postgres.createDatabase();
    if (!postgresMigrations.some((m) => m.name === 'workflow-versions')) {
      const pool = new PostgresPool(url);
      try {
        await migratePostgres(pool, postgresMigrations);
        await pool.transaction((tx) => workflowVersions.up(tx));
      } finally {
        await pool.close();
      }
    }
    return url;
  }

  /** The built CLI's migrate-store of the deployment in `folder` (the source unless given) into `url`. */
  const migrate = (url: string, folder = dataDir) => run('cli.js', ['migrate-store', '--to', url, '--data-dir', folder]);

  /**
   * A copy of the source deployment, its SQLite file edited by `change` first, for `use` (removed after
   * it): each edge case and refusal starts from a copy of its own, so the source stays as the others expect it.
   */
  async function withEditedCopy(prefix: string, change: (db: Database.Database) => void, use: (folder: string) => Promise<void>): Promise<void> {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    try {
      const source = new Database(databaseFile({ dataDir }), { readonly: true });
      await source.backup(databaseFile({ dataDir: folder }));
      source.close();
      const db = new Database(databaseFile({ dataDir: folder }));
      change(db);
      db.close();
      await use(folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  /** The tables of SQLite migration 0007, made here when this tree does not register it yet. */
  function ensureVersionTables(db: Database.Database): void {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'workflow_versions'").get()) workflowVersionsMigration.up(db);
  }

  /** Migrates `folder` into a fresh target, which must succeed without a word on stderr; returns the target's URL. */
  async function migrateCleanly(folder: string): Promise<string> {
    const url = await target();
    const res = await migrate(url, folder);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    return url;
  }

  async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  it('refuses beside a live server with one line and exit 2, touching neither side', async () => {
    const live = await startTestServer({ dataDir, backend: 'sqlite' });
    try {
      const url = await postgres.createDatabase();
      const res = await migrate(url);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^flowshelf migrate-store: another Flowshelf server \(pid \d+\) is running on .*; nothing was copied\n$/);
      expect(res.stdout).toBe('');
      // Not even the schema: the database was never connected to.
      expect(await query(url, "SELECT to_regclass('schema_migrations') AS t")).toEqual([{ t: null }]);
    } finally {
      await live.close();
    }
  });

  it('copies every table, verified, and the documents load from PostgreSQL as from SQLite', async () => {
    const url = await target();
    const password = new URL(url).password;
    expect(password).not.toBe('');
    const res = await migrate(url);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^copied 3 users, \d+ documents, 3 workflows, 1 thumbnails \([\d.]+ (B|KiB|MiB)\) to postgres:\/\/.*\*\*\*.* in [\d.]+ s; verified: \d+ rows in \d+ tables, every document\n/);
    expect(res.stdout).toMatch(/ in (10|12) tables,/);
    expect(res.stdout).not.toContain(password);

    const sqlite = new Database(databaseFile({ dataDir }), { readonly: true });
    try {
      // Every table, row by row (values compared after the same conversions), and the heads.
      for (const spec of TABLES) {
        // A feature's tables whose PostgreSQL migration is not registered yet are skipped, when empty.
        if (spec.optional && (await query(url, 'SELECT to_regclass($1)::text AS t', [spec.name]))[0]!.t === null) {
          const has = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(spec.name);
          if (has) expect(sqlite.prepare(`SELECT count(*) AS n FROM ${spec.name}`).get(), spec.name).toEqual({ n: 0 });
          continue;
        }
        const order = spec.key.join(', ');
        const want = spec.derivedFrom
          ? sqlite.prepare(spec.derivedFrom).all()
          : sqlite.prepare(`SELECT * FROM ${spec.name} ORDER BY ${order}`).all();
        const got = await query(url, `SELECT * FROM ${spec.name} ORDER BY ${spec.key.map((k) => (spec.columns.find((c) => c.name === k)!.type === 'text' ? `${k} COLLATE "C"` : k)).join(', ')}`);
        const norm = (row: Record<string, unknown>) =>
          Object.fromEntries(spec.columns.map((c) => [c.name, canonicalValue(c.type, row[c.name])]));
        expect(got.map(norm), spec.name).toEqual((want as Record<string, unknown>[]).map(norm));
        if (!spec.optional) expect(got.length, spec.name).toBeGreaterThan(0);
      }
      // Types really converted, not text lookalikes.
      const [adminRow] = await query<{ is_admin: unknown; is_active: unknown; token_epoch: unknown }>(url, 'SELECT is_admin, is_active, token_epoch FROM users WHERE user_id = $1', [admin.userId]);
      expect(adminRow).toEqual({ is_admin: true, is_active: true, token_epoch: 0 });
      const secret = sqlite.prepare("SELECT value FROM app_settings WHERE key = 'jwt_secret'").get() as { value: string };
      expect(await query(url, "SELECT value FROM app_settings WHERE key = 'jwt_secret'")).toEqual([{ value: secret.value }]);
      const heads = await query<{ doc: string; last_seq: string }>(url, 'SELECT doc, last_seq FROM doc_heads');
      expect(heads.map((h) => h.doc)).toContain(`library/${bob.userId}`);
      expect(heads.map((h) => h.doc)).toContain(PUBLIC_DOCUMENT);
      expect(await query(url, 'SELECT workflow_id, user_id FROM workflow_opened')).toContainEqual({ workflow_id: made.defaultId, user_id: alice.userId });
      expect(await query(url, 'SELECT workflow_id, user_id, length(image) > 0 AS has FROM workflow_thumbnails')).toEqual([
        { workflow_id: made.sharedId, user_id: alice.userId, has: true },
      ]);

      // Every document through the stores: PostgreSQL's gives what SQLite's gives.
      const pool = new PostgresPool(url);
      const fromPostgres = new PostgresDocumentStore(pool);
      const fromSqlite = new SqliteStore(sqlite);
      try {
        for (const { doc } of heads) {
          const want = documentState(await fromSqlite.load(doc));
          const got = documentState(await fromPostgres.load(doc));
          expect(got.json, doc).toBe(want.json);
          expect(got.stateVector.equals(want.stateVector), doc).toBe(true);
        }
        const workflowIdsIn = async (name: string) => {
          const loaded = new Y.Doc();
          const stored = await fromPostgres.load(name);
          if (stored.snapshot) Y.applyUpdate(loaded, stored.snapshot);
          for (const u of stored.updates) Y.applyUpdate(loaded, u);
          return [...workflowsMap(loaded).keys()];
        };
        expect(await workflowIdsIn(`library/${bob.userId}`)).toEqual([made.socketId]);
        expect((await workflowIdsIn(`library/${alice.userId}`)).sort()).toEqual([made.restId, made.sharedId].sort());
        // Tokens issued by the SQLite server verify with the secret a PostgreSQL node reads.
        const tokens = await TokenService.fromSettings(new PostgresSettingsStore(pool));
        expect(await tokens.verify(alice.token)).toMatchObject({ userId: alice.userId, email: 'alice@example.com', isAdmin: false });
        expect(await tokens.verify(admin.token)).toMatchObject({ userId: admin.userId, isAdmin: true });
        // A new append numbers on after the copied head, as the next commit of a node would.
        const head = Number(heads.find((h) => h.doc === `library/${bob.userId}`)!.last_seq);
        const next = await fromPostgres.append([{ name: `library/${bob.userId}`, update: Y.encodeStateAsUpdate(new Y.Doc()) }]);
        expect(next.get(`library/${bob.userId}`)).toBe(head + 1);
      } finally {
        await fromPostgres.close();
        await pool.close();
      }
    } finally {
      sqlite.close();
    }

    // A second run into the same, now full, database is refused and changes nothing.
    const again = await migrate(url);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^flowshelf migrate-store: the target database is not empty \(3 users, \d+ documents, .*\): migrate into a new, empty database\n$/);
    expect(await query(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 4 }]);
  });

  it('a server started on the migrated database serves the same users (tokens issued before the move work) and workflows', async () => {
    const url = await target();
    expect((await migrate(url)).code).toBe(0);
    const node = await startTestServer({ config: { databaseUrl: url } });
    try {
      const asAlice = api(node, alice.token);
      expect(await asAlice('GET', '/api/v1/auth/me')).toMatchObject({ status: 200, body: { user_id: alice.userId, email: 'alice@example.com' } });
      const users = await api(node, admin.token)('GET', '/api/v1/auth/users');
      expect(users.status).toBe(200);
      expect(users.body.map((u: { email: string }) => u.email).sort()).toEqual(['admin@example.com', 'alice@example.com', 'bob@example.com']);
      const own = await asAlice('GET', '/api/v1/workflows?categories=user');
      expect(own.body.items.map((i: { workflow_id: string }) => i.workflow_id).sort()).toEqual([made.restId, made.sharedId].sort());
      const shared = own.body.items.find((i: { workflow_id: string }) => i.workflow_id === made.sharedId);
      const thumb = await fetch(node.url + shared.thumbnail_url);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      expect((await asAlice('GET', `/api/v1/workflows/i/${made.defaultId}`)).body.opened_at).not.toBeNull();
      const asBob = api(node, bob.token);
      expect((await asBob('GET', `/api/v1/workflows/i/${made.socketId}`)).body).toMatchObject({ name: 'From a device', user_id: bob.userId });
      expect((await asBob('GET', `/api/v1/workflows/i/${made.sharedId}`)).status).toBe(200);
      expect((await asBob('GET', `/api/v1/workflows/i/${made.restId}`)).status).toBe(403);
    } finally {
      await node.close();
    }
  });

  it('a copy PostgreSQL refuses halfway leaves the target without any of it (one transaction)', async () => {
    // A copy of the data folder with one update PostgreSQL's schema refuses (seq 0): every table
    // before doc_updates is inserted first, then the whole copy must roll back.
    await withEditedCopy(
      'flowshelf-migrate-broken-',
      (db) => db.prepare('INSERT INTO doc_updates (doc, seq, data) VALUES (?, 0, ?)').run('library/zzz', Buffer.from([0, 0])),
      async (broken) => {
        const url = await target();
        const res = await migrate(url, broken);
        expect(res.code).toBe(1);
        expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(res.stderr).toContain('doc_updates');
        expect(await query(url, "SELECT count(*)::int AS n FROM users WHERE user_id <> 'system'")).toEqual([{ n: 0 }]);
        expect(await query(url, 'SELECT (SELECT count(*) FROM app_settings)::int AS settings, (SELECT count(*) FROM doc_snapshots)::int AS snapshots')).toEqual([
          { settings: 0, snapshots: 0 },
        ]);
      },
    );
  });

  it('version history and trash are moved, and PostgreSQL numbers new versions past every number SQLite gave out', async () => {
    const withVersionsAndTrash = (db: Database.Database) => {
      ensureVersionTables(db);
      const version = db.prepare(
        `INSERT INTO workflow_versions (version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary, workflow)
         VALUES (?, ?, ?, ?, 'save', ?, ?, 'Alice', NULL, NULL, 'first save', ?)`,
      );
      for (let i = 0; i < 3; i++) version.run(`v-${i}`, alice.userId, made.restId, `save:${i}`, `2026-01-01T00:00:0${i}.000Z`, alice.userId, '{"nodes":[]}');
      db.prepare("DELETE FROM workflow_versions WHERE version_id = 'v-2'").run();
      db.prepare("INSERT INTO workflow_trash VALUES (?, ?, 'Gone', '2026-01-02T00:00:00.000Z', ?, '2026-02-01T00:00:00.000Z', '{}')").run('deadbeef-0000-4000-8000-000000000001', alice.userId, alice.userId);
    };
    await withEditedCopy('flowshelf-migrate-versions-', withVersionsAndTrash, async (folder) => {
      const url = await migrateCleanly(folder);
      const copy = new Database(databaseFile({ dataDir: folder }), { readonly: true });
      const want = copy.prepare('SELECT seq, version_id FROM workflow_versions ORDER BY seq').all();
      const given = (copy.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'workflow_versions'").get() as { seq: number }).seq;
      copy.close();
      expect(want).toContainEqual(expect.objectContaining({ version_id: 'v-1' }));
      expect(await query(url, 'SELECT seq::int, version_id FROM workflow_versions ORDER BY seq')).toEqual(want);
      expect(await query(url, "SELECT workflow_id, convert_from(name, 'UTF8') AS name FROM workflow_trash")).toEqual([{ workflow_id: 'deadbeef-0000-4000-8000-000000000001', name: 'Gone' }]);
      // SQLite gave out `given` (the last one, v-2, deleted): the next version follows it, never a number used before.
      const next = await query<{ seq: number }>(
        url,
        `INSERT INTO workflow_versions (version_id, owner_id, workflow_id, key, kind, created_at, summary, workflow)
         VALUES ('v-new', $1, $2, 'save:new', 'save', '2026-01-03T00:00:00.000Z', 's', '{}') RETURNING seq::int`,
        [alice.userId, made.restId],
      );
      expect(next).toEqual([{ seq: given + 1 }]);
    });
  });

  it('U+0000 and U+0001 in names, labels, emails and index text are moved and read back as SQLite held them', async () => {
    const withControlCharacters = (db: Database.Database) => {
      ensureVersionTables(db);
      db.prepare('UPDATE users SET display_name = ?, email = ? WHERE user_id = ?').run('Al\u0000\u0001\u0002ice', 'al\u0000ice@example.com', alice.userId);
      db.prepare("UPDATE workflow_index SET name = ?, tags = ? WHERE workflow_id = ? AND category = 'user'").run('N\u0000\u0001', 't\u0000, u', made.restId);
      db.prepare(
        `INSERT INTO workflow_versions (version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary, workflow)
         VALUES ('v-nul', ?, ?, 'save:nul', 'save', '2026-01-01T00:00:00.000Z', ?, ?, 'd', ?, '{}', '{}')`,
      ).run(alice.userId, made.restId, alice.userId, 'A\u0000', 'L\u0000');
      db.prepare("INSERT INTO workflow_trash VALUES ('deadbeef-0000-4000-8000-000000000002', ?, ?, '2026-01-02T00:00:00.000Z', ?, '2026-02-01T00:00:00.000Z', '{}')").run(alice.userId, 'G\u0000', alice.userId);
    };
    await withEditedCopy('flowshelf-migrate-nul-', withControlCharacters, async (folder) => {
      const url = await migrateCleanly(folder);
      const pool = new PostgresPool(url, { max: 1 });
      try {
        expect(await new PostgresUserRepository(pool).get(alice.userId)).toMatchObject({ displayName: 'Al\u0000\u0001\u0002ice', email: 'al\u0000ice@example.com' });
        expect(await new PostgresIndexStore(pool).row(made.restId, alice.userId)).toMatchObject({ name: 'N\u0000\u0001', tags: 't\u0000, u' });
        const versions = new PostgresVersionStore(pool);
        expect(await versions.getByKey(alice.userId, made.restId, 'save:nul')).toMatchObject({ user_name: 'A\u0000', device_label: 'L\u0000' });
        expect((await versions.getTrash('deadbeef-0000-4000-8000-000000000002'))?.name).toBe('G\u0000');
      } finally {
        await pool.close();
      }
    });
  });

  it('a table or column it does not know (a newer Flowshelf\'s file) is refused, not left behind', async () => {
    for (const change of ['ALTER TABLE users ADD COLUMN avatar TEXT', 'CREATE TABLE workflow_comments (id TEXT PRIMARY KEY)']) {
      await withEditedCopy('flowshelf-migrate-newer-', (db) => db.exec(change), async (newer) => {
        const url = await postgres.createDatabase();
        const res = await migrate(url, newer);
        expect(res.code, change).toBe(1);
        expect(res.stderr, change).toMatch(/^flowshelf migrate-store: the SQLite (database has a table this version cannot move \(workflow_comments\)|table users has columns this version cannot move \(.*avatar.*\)).*\n$/);
        expect(await query(url, "SELECT to_regclass('users') AS t"), change).toEqual([{ t: null }]);
      });
    }
  });

  it('usage: no target, another scheme, no database in the folder', async () => {
    const none = await run('cli.js', ['migrate-store', '--data-dir', dataDir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs --to/);
    const redis = await run('cli.js', ['migrate-store', '--to', 'redis://secret@localhost/0', '--data-dir', dataDir]);
    expect(redis.code).toBe(2);
    expect(redis.stderr).not.toContain('secret');
    const empty = mkdtempSync(join(tmpdir(), 'flowshelf-migrate-empty-'));
    try {
      const res = await run('cli.js', ['migrate-store', '--to', 'postgres://u:p@127.0.0.1:1/x', '--data-dir', empty]);
      expect(res).toMatchObject({ code: 1, stderr: expect.stringMatching(/^flowshelf migrate-store: no Flowshelf database in /) });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
