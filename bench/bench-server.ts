// Child process of the benchmark: one server under test, so that its memory and CPU are measured
// apart from the clients (and from the other servers). Modes:
//   relay       the in-memory y-protocols relay (bench/relay.ts)
//   flowshelf   the real Flowshelf server (multiuser, auth, durable commit before forward) in a temp
//               data folder; extra flags (e.g. --database-url, --redis-url) are passed to parseConfig
//   hocuspocus  @hocuspocus/server with its SQLite extension (a temp file), default settings
// argv: <mode> <options as JSON: { users, flags, dataDir }>
// IPC: sends { ready: { url, tokens, documents, adminToken } }; answers { id, cmd } with { id, result }:
// `stats` (memory after a GC, CPU time used so far, rooms loaded), `stop`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as HocuspocusServer } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { startServer } from '../server/app.js';
import { parseConfig } from '../server/config.js';
import { PUBLIC_DOCUMENT, SYNC_PATH } from '../shared/protocol.js';
import { startRelay } from './relay.js';

export type ServerKind = 'relay' | 'flowshelf' | 'hocuspocus';

export interface ServerOptions {
  /** Regular users to create (Flowshelf): their library documents are the side's documents. */
  users: number;
  /** Extra Flowshelf flags (after the bench's own limits, so they win). */
  flags?: string[];
  /** An existing data folder (P6: one the import filled); default a fresh temp folder, removed at stop. */
  dataDir?: string;
}

export interface ServerReady {
  /** What a stock y-websocket client (or Hocuspocus provider) is given as its server URL. */
  url: string;
  /** HTTP base URL (Flowshelf only). */
  httpUrl: string | null;
  /** One per user: a token for it and its library document (relay/Hocuspocus: names alike, no tokens). */
  tokens: string[];
  documents: string[];
  /** An administrator's token (Flowshelf): may open any library; reads `public`. */
  adminToken: string | null;
}

export interface ServerStats {
  heapUsed: number;
  rss: number;
  /** User + system CPU time of the server process since it started, in microseconds. */
  cpuMicros: number;
  rooms: number;
}

/** Limits that would refuse the bench's hundreds of sockets from one address. */
const BENCH_LIMITS = [
  '--max-sockets-per-user', '1000000',
  '--max-sockets-per-ip', '1000000',
  '--max-pending-sockets', '1000000',
  '--max-connections-per-ip', '1000000',
  '--user-quota-mb', '4096',
  '--max-published-kb-per-user', '1048576',
  '--publish-rate-kb-per-second', '1048576',
];

const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerKind;
  const options = JSON.parse(process.argv[3] ?? '{"users":1}') as ServerOptions;
  let rooms: () => number;
  let close: () => Promise<void>;
  /** Stores now what the server would store later by itself (after seeding, before rounds). */
  let settle: () => Promise<void> = async () => {};
  let ready: ServerReady;
  const fakeNames = Array.from({ length: options.users }, (_, i) => `library/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  if (mode === 'flowshelf') {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flowshelf-bench-'));
    const config = parseConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...BENCH_LIMITS, ...(options.flags ?? [])], {});
    const server = await startServer({ ...config, multiuser: true });
    const tokens: string[] = [];
    const documents: string[] = [];
    const stamp = `${process.pid}-${Date.now()}`;
    let adminToken: string | null = null;
    if (options.users > 0) {
      const admin = await server.services.users.create({ email: `bench-admin-${stamp}@example.com`, password: 'bench-password-admin', displayName: null, isAdmin: true });
      adminToken = (await server.services.tokens.sign(admin)).token;
    }
    for (let i = 0; i < options.users; i++) {
      const user = await server.services.users.create({ email: `bench${i}-${stamp}@example.com`, password: `bench-password-${i}`, displayName: `Bench ${i}`, isAdmin: false });
      tokens.push((await server.services.tokens.sign(user)).token);
      documents.push(`library/${user.userId}`);
    }
    if (process.env.BENCH_NO_HOOKS) server.services.sync.removeExtension('library');
    // The library loads `public` at start; unloaded while idle, its memory would be subtracted from the
    // rooms measured. Held loaded, it is part of the baseline.
    await server.services.sync.withDocument(PUBLIC_DOCUMENT, () => undefined);
    let releasePublic = () => {};
    const holdingPublic = server.services.sync.withDocument(PUBLIC_DOCUMENT, () => new Promise<void>((resolve) => (releasePublic = resolve)));
    rooms = () => server.services.sync.stats().rooms - 1;
    settle = async () => {
      const sync = server.services.sync;
      for (const name of documents) {
        sync.compactSoon(name);
        // Acquiring a document waits for the compaction queued in its chain.
        await sync.documentBytes(name);
      }
    };
    close = async () => {
      releasePublic();
      await holdingPublic;
      await server.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    };
    ready = { url: server.url.replace(/^http/, 'ws') + SYNC_PATH, httpUrl: server.url, tokens, documents, adminToken };
  } else if (mode === 'relay') {
    const relay = await startRelay();
    rooms = () => relay.rooms.size;
    close = () => new Promise((resolve) => relay.server.close(() => resolve()));
    ready = { url: relay.url, httpUrl: null, tokens: [], documents: fakeNames, adminToken: null };
  } else if (mode === 'hocuspocus') {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-bench-hocuspocus-'));
    const server = new HocuspocusServer({ port: 0, address: '127.0.0.1', quiet: true, extensions: [new SQLite({ database: join(dir, 'db.sqlite') })] });
    await server.listen();
    const port = (server.httpServer.address() as { port: number }).port;
    rooms = () => server.hocuspocus.getDocumentsCount();
    settle = async () => {
      server.hocuspocus.flushPendingStores();
    };
    close = async () => {
      await server.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
    ready = { url: `ws://127.0.0.1:${port}`, httpUrl: null, tokens: [], documents: fakeNames, adminToken: null };
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  process.on('message', (message: { id: number; cmd: string }) => {
    if (message.cmd === 'stats') {
      gc?.();
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      const stats: ServerStats = { heapUsed: memory.heapUsed, rss: memory.rss, cpuMicros: cpu.user + cpu.system, rooms: rooms() };
      process.send!({ id: message.id, result: stats });
    } else if (message.cmd === 'cpu') {
      // Without the GC of `stats`: read around a round, its CPU time must be the round's alone.
      const cpu = process.cpuUsage();
      process.send!({ id: message.id, result: cpu.user + cpu.system });
    } else if (message.cmd === 'settle') {
      void settle().then(() => process.send!({ id: message.id, result: true }));
    } else if (message.cmd === 'stop') {
      void close().then(() => {
        process.send!({ id: message.id, result: true });
        process.exit(0);
      });
    }
  });
  // The bench was killed or crashed: no server of it outlives it.
  process.once('disconnect', () => void close().finally(() => process.exit(0)));
  process.send!({ ready });
}

main().catch((err: unknown) => {
  console.error(`bench-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
