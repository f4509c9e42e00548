// Child process of the benchmark: runs either the real Flowshelf server (auth + durable SQLite, in
// a temp folder) or the reference relay, so its memory is measured apart from the clients.
// Talks to the parent over IPC: sends {ready, url, tokens}, answers 'stats' with memory figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../server/app.js';
import { parseConfig } from '../server/config.js';
import { PUBLIC_DOCUMENT, SYNC_PATH } from '../shared/protocol.js';
import { startRelay } from './relay.js';

const mode = process.argv[2];
const docs = Number(process.argv[3] ?? '1');
const gc = (globalThis as { gc?: () => void }).gc;

function memory() {
  gc?.();
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const baseline = memory();
  let rooms: () => number;
  let close: () => Promise<void>;
  let ready: { url: string; tokens: string[]; documents: string[] };
  if (mode === 'flowshelf') {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-bench-'));
    const server = await startServer({ ...parseConfig([], {}), host: '127.0.0.1', port: 0, dataDir, multiuser: true });
    const tokens: string[] = [];
    const documents: string[] = [];
    for (let i = 0; i < docs; i++) {
      const user = await server.services.users.create({ email: `bench${i}@example.com`, password: `bench-password-${i}`, displayName: null, isAdmin: false });
      tokens.push((await server.services.tokens.sign(user)).token);
      documents.push(`library/${user.userId}`);
    }
    if (process.env.BENCH_NO_HOOKS) server.services.sync.removeExtension('library');
    // The library loads `public` at start; it would be unloaded (idle) during the run and its memory
    // subtracted from the rooms measured. Held loaded instead, it is part of the baseline.
    await server.services.sync.withDocument(PUBLIC_DOCUMENT, () => undefined);
    let releasePublic = () => {};
    const holdingPublic = server.services.sync.withDocument(PUBLIC_DOCUMENT, () => new Promise<void>((resolve) => (releasePublic = resolve)));
    rooms = () => server.services.sync.stats().rooms - 1;
    close = async () => {
      releasePublic();
      await holdingPublic;
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
    ready = { url: server.url.replace(/^http/, 'ws') + SYNC_PATH, tokens, documents };
  } else if (mode === 'relay') {
    const relay = await startRelay();
    rooms = () => relay.rooms.size;
    close = () => new Promise((resolve) => relay.server.close(() => resolve()));
    ready = { url: relay.url, tokens: [], documents: Array.from({ length: docs }, (_, i) => `library/relay-${i}`) };
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const afterSetup = memory();
  process.on('message', (message: string) => {
    if (message === 'stats') {
      const now = memory();
      process.send!({ stats: { heapUsed: now.heapUsed, rss: now.rss, baselineHeap: afterSetup.heapUsed, startHeap: baseline.heapUsed, rooms: rooms() } });
    } else if (message === 'stop') {
      void close().then(() => process.exit(0));
    }
  });
  process.send!({ ready });
}

void main();
