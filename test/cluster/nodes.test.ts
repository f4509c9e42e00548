// Several Flowshelf nodes in one process (issue 8, the wiring): each a whole startServer on ONE
// PostgreSQL database and ONE Redis from the test harness, as `--database-url` and `--redis-url` make
// them. What a user does on one node is seen on the others: a share reaches `public` readers on
// another node, a REST write is listed by another node as soon as it is answered, a deleted user is
// cut on every node and their library is gone everywhere (never written back by a node that held it),
// a document whose committing node never indexed it is indexed (and published) by the node holding
// the maintenance lease, and /readyz follows the store and Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startServer, type RunningServer, type StartOptions } from '../../server/app.js';
import { parseConfig, type Config } from '../../server/config.js';
import { LIBRARY_EXTENSION } from '../../server/library/library.js';
import { CloseCode, libraryDocument, PUBLIC_DOCUMENT, SYNC_PATH } from '../../shared/protocol.js';
import { jsonToY, publicMap, workflowsMap } from '../../shared/workflow/index.js';
import { userWorkflow } from '../api/fixtures.js';
import { api, createUser, setupAdmin, type TestUser } from '../helpers/server.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../helpers/services.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';

let postgres: PostgresService;
let redis: RedisService;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  server: RunningServer;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** One node on the given database and this file's Redis, on port 0, with its own (unused) data folder. */
async function startNode(databaseUrl: string, options: StartOptions & { redis?: boolean } = {}): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-node-'));
  const config: Config = {
    ...parseConfig([], {}),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    multiuser: true,
    databaseUrl,
    redisUrl: options.redis === false ? null : redis.url,
  };
  const server = await startServer(config, { maintenanceIntervalMs: 200, ...options });
  let closed = false;
  const node: Node = {
    server,
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + SYNC_PATH,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  cleanups.push(() => node.close());
  return node;
}

function client(node: Node, document: string, user: TestUser): Client {
  const c = connect(node.wsUrl, document, user.token);
  cleanups.push(() => c.destroy());
  return c;
}

/** Two nodes, an administrator, alice and bob (each logged in on both nodes: one JWT secret). */
async function cluster(nodeOptions: [StartOptions, StartOptions] = [{}, {}]) {
  const databaseUrl = await postgres.createDatabase();
  const [a, b] = await Promise.all([startNode(databaseUrl, nodeOptions[0]), startNode(databaseUrl, nodeOptions[1])]);
  const admin = await setupAdmin(a);
  const alice = await createUser(a, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(a, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  // A token issued by one node works on every node.
  expect((await api(b, alice.token)('GET', '/api/v1/auth/me')).status).toBe(200);
  return { databaseUrl, a, b, admin, alice, bob };
}

describe('several nodes on one PostgreSQL and one Redis', { timeout: 60_000 }, () => {
  it('a REST write on node A is listed by node B as soon as A has answered, and a share reaches public readers on B', async () => {
    const { a, b, alice, bob } = await cluster();
    const reader = client(b, PUBLIC_DOCUMENT, bob);
    await synced(reader);

    const created = await api(a, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Made on A') });
    expect(created.status).toBe(200);
    const id: string = created.body.workflow_id;
    // No waiting: A indexed the commit before it answered, and B reads the same index.
    const listed = await api(b, alice.token)('GET', '/api/v1/workflows?categories=user&per_page=100');
    expect(listed.body.items.map((item: { workflow_id: string }) => item.workflow_id)).toEqual([id]);

    expect((await api(a, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true })).status).toBe(200);
    expect((await api(b, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    await waitFor(() => publicMap(reader.doc).has(id), 'the share published on A reaches the public reader on B');

    // Unshared on B (whose publisher never wrote that entry): it leaves `public` for every reader.
    expect((await api(b, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: false })).status).toBe(200);
    const readerOnA = client(a, PUBLIC_DOCUMENT, bob);
    await synced(readerOnA);
    await waitFor(() => !publicMap(reader.doc).has(id) && !publicMap(readerOnA.doc).has(id), 'the unshare made on B leaves public on both nodes');
  });

  it('a user deleted on node A is cut on node B (4403) and their library is gone everywhere, never written back by B', async () => {
    const { a, b, admin, alice, bob } = await cluster();
    const created = await api(a, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('Alice shares') });
    const id: string = created.body.workflow_id;
    await api(a, alice.token)('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true });
    // Alice's library is loaded on B, with edits made there (so B would have something to compact).
    const own = client(b, libraryDocument(alice.userId), alice);
    await synced(own);
    for (let i = 0; i < 5; i++) own.doc.getMap('scratch').set(`k${i}`, i);
    await waitFor(async () => (await b.server.backend.documents.storedSeqs(libraryDocument(alice.userId))).get(libraryDocument(alice.userId))! >= 7, 'the edits on B stored');
    const roomsBefore = b.server.services.sync.stats().rooms;

    expect((await api(a, admin.token)('DELETE', `/api/v1/auth/users/${alice.userId}`)).status).toBe(204);
    await waitFor(() => own.closeCodes.includes(CloseCode.Forbidden), 'alice cut on B with 4403');
    // Gone on B at once for REST (one index), and from `public` (read on B).
    expect((await api(b, bob.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
    const reader = client(b, PUBLIC_DOCUMENT, bob);
    await synced(reader);
    await waitFor(() => !publicMap(reader.doc).has(id), 'alice gone from public on B');
    // B drops its copy of the library: closing B (which compacts every loaded document) stores nothing.
    // (The user event, not the periodic recheck, does this: an idle room would stay loaded for 30 s.)
    await waitFor(() => b.server.services.sync.stats().rooms === roomsBefore - 1, 'alice\'s library dropped on B');
    await b.close();
    expect((await a.server.backend.documents.storedSeqs(libraryDocument(alice.userId))).size).toBe(0);
    expect((await a.server.backend.documents.load(libraryDocument(alice.userId))).snapshot).toBeNull();
  });

  it('a document committed on a node that never indexed it is indexed and published by the node holding the maintenance lease', async () => {
    // A never runs its maintenance (an hour), so B holds the lease; A's indexer is detached, as if A had
    // died between a commit and its indexing.
    const { a, b, alice, bob } = await cluster([{ maintenanceIntervalMs: 3_600_000 }, {}]);
    const reader = client(b, PUBLIC_DOCUMENT, bob);
    await synced(reader);
    const own = client(a, libraryDocument(alice.userId), alice);
    await synced(own);
    expect(a.server.services.sync.removeExtension(LIBRARY_EXTENSION)).toBe(true);

    const id = 'committed-but-never-indexed';
    own.doc.transact(() => {
      const entry = new Y.Map<unknown>();
      entry.set('workflow', jsonToY({ ...userWorkflow('Never indexed by A'), id } as never));
      entry.set('is_public', true);
      entry.set('created_at', '2026-01-01T00:00:00.000Z');
      entry.set('updated_at', '2026-01-01T00:00:00.000Z');
      entry.set('opened_at', null);
      workflowsMap(own.doc).set(id, entry);
    });
    await waitFor(async () => (await a.server.backend.documents.storedSeqs(libraryDocument(alice.userId))).size === 1, 'the edit stored by A');
    expect((await api(a, alice.token)('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);

    await waitFor(async () => (await api(b, alice.token)('GET', `/api/v1/workflows/i/${id}`)).status === 200, 'indexed by B', 20_000);
    await waitFor(() => publicMap(reader.doc).has(id), 'published by B', 20_000);
  });

  it('/readyz answers 200 while the store and Redis do, 503 naming what is missing otherwise; /healthz stays 200', async () => {
    const databaseUrl = await postgres.createDatabase();
    const node = await startNode(databaseUrl);
    const ready = async () => {
      const res = await fetch(`${node.url}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } });

    await redis.restart();
    // Redis restarted empty: the node reconnects by itself and is ready again.
    await waitFor(async () => (await ready()).status === 200, 'ready again after the Redis restart', 10_000);

    await postgres.pause();
    try {
      await waitFor(async () => (await ready()).status === 503, 'not ready without PostgreSQL', 10_000);
      expect(await ready()).toEqual({ status: 503, body: { detail: 'store not answering' } });
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    } finally {
      await postgres.resume();
    }
    await waitFor(async () => (await ready()).status === 200, 'ready again with PostgreSQL back', 10_000);
  });

  it('refuses to start when Redis cannot be reached, in one line without the password', async () => {
    const databaseUrl = await postgres.createDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-node-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config: Config = {
      ...parseConfig([], {}),
      host: '127.0.0.1',
      port: 0,
      dataDir,
      databaseUrl,
      // A port nothing listens on (the harness' Redis port, shifted past the PostgreSQL one).
      redisUrl: `redis://:hunter2@127.0.0.1:1/0`,
    };
    const error = await startServer(config).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message.split('\n')).toHaveLength(1);
    expect(error!.message).toMatch(/Redis/);
  });
});

