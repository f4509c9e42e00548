// `npm run bench`: N stock WebsocketProvider clients over M documents on loopback, against the
// Flowshelf sync server (auth, rights, durable SQLite commit before every forward) and, in the
// same run, against a minimal in-memory relay (bench/relay.ts). Reports edit-to-peer latency,
// delivered updates per second and server heap per room, with the ratios.
//   node dist/bench/sync-bench.js [--clients 40] [--docs 10] [--seconds 15] [--rate 10]
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

// Each stock provider adds a process 'exit' listener; 40 of them are expected here.
process.setMaxListeners(0);

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '40' },
    docs: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '10' },
  },
});
const clients = positive('clients', values.clients);
const docs = positive('docs', values.docs);
const seconds = positive('seconds', values.seconds);
const rate = positive('rate', values.rate);

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`sync-bench: --${name} must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

interface Ready {
  url: string;
  tokens: string[];
  documents: string[];
}
interface Stats {
  heapUsed: number;
  rss: number;
  baselineHeap: number;
  rooms: number;
}
interface Result {
  p50: number;
  p99: number;
  deliveredPerSecond: number;
  sentPerSecond: number;
  heapPerRoomKiB: number;
  rssMiB: number;
}

function ask<T>(child: ChildProcess, key: string, message?: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', onMessage);
        resolve(m[key] as T);
      }
    };
    child.on('message', onMessage);
    if (message) child.send(message);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(mode: 'flowshelf' | 'relay'): Promise<Result> {
  const child = fork(fileURLToPath(new URL('./bench-server.js', import.meta.url)), [mode, String(docs)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await ask<Ready>(child, 'ready');
  const providers: WebsocketProvider[] = [];
  const latencies: number[] = [];
  let measuring = false;
  let sent = 0;
  for (let i = 0; i < clients; i++) {
    const d = i % docs;
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(ready.url, ready.documents[d]!, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: mode === 'flowshelf' ? { token: ready.tokens[d]! } : {},
    });
    const map = doc.getMap<number>('bench');
    map.observe((event, transaction) => {
      if (transaction.local || !measuring) return;
      const now = performance.now();
      for (const key of event.keysChanged) latencies.push(now - map.get(key)!);
    });
    providers.push(provider);
  }
  await Promise.all(providers.map((p) => (p.synced ? null : new Promise((resolve) => p.once('sync', resolve)))));

  // Every client edits `rate` times per second, staggered so the load is even.
  const edit = (i: number) => {
    const doc = providers[i]!.doc;
    doc.getMap<number>('bench').set(String(doc.clientID), performance.now());
    if (measuring) sent++;
  };
  const timers = providers.map((_, i) =>
    setTimeout(() => {
      timers[i] = setInterval(() => edit(i), 1000 / rate) as unknown as NodeJS.Timeout;
    }, (i * 1000) / rate / clients),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000)); // warm-up
  measuring = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  for (const t of timers) clearInterval(t);
  const stats = await ask<Stats>(child, 'stats', 'stats');
  for (const p of providers) {
    p.destroy();
    p.doc.destroy();
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    deliveredPerSecond: latencies.length / elapsed,
    sentPerSecond: sent / elapsed,
    heapPerRoomKiB: (stats.heapUsed - stats.baselineHeap) / Math.max(1, stats.rooms) / 1024,
    rssMiB: stats.rss / 1024 / 1024,
  };
}

const relay = await run('relay');
const flowshelf = await run('flowshelf');
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
console.log(`sync-bench: ${clients} clients over ${docs} documents, ${rate} edits/s per client, ${seconds} s measured`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
console.log('');
console.log('                          relay    flowshelf    ratio');
const row = (label: string, a: number, b: number, digits = 2) =>
  console.log(`${label.padEnd(24)}${fmt(a, digits).padStart(7)}  ${fmt(b, digits).padStart(11)}  ${fmt(b / a).padStart(7)}x`);
row('edit-to-peer p50 (ms)', relay.p50, flowshelf.p50);
row('edit-to-peer p99 (ms)', relay.p99, flowshelf.p99);
row('edits sent /s', relay.sentPerSecond, flowshelf.sentPerSecond, 0);
row('updates delivered /s', relay.deliveredPerSecond, flowshelf.deliveredPerSecond, 0);
row('server heap/room (KiB)', relay.heapPerRoomKiB, flowshelf.heapPerRoomKiB, 1);
row('server RSS (MiB)', relay.rssMiB, flowshelf.rssMiB, 1);
console.log('');
console.log(`p50 goal (within 1.2x of the relay while durable): ${flowshelf.p50 <= relay.p50 * 1.2 ? 'met' : 'NOT met'}`);
process.exit(0);
