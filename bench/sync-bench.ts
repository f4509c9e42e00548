// `npm run bench`: N stock WebsocketProvider clients over M documents on loopback, against the
// Flowshelf sync server (auth, rights, durable SQLite commit before every forward) and against a
// minimal in-memory relay (bench/relay.ts). Reports edit-to-peer latency, delivered updates per
// second and server memory, with the ratios.
//   node dist/bench/sync-bench.js [--clients 40] [--docs 10] [--seconds 15] [--rate 10] [--workload sync|workflow]
//
// Workloads: `sync` (default) sets one number per client in a map of its own beside the library's
// workflows: the sync core, with nothing for the library layer to do. `workflow` is what the editor
// does: each document holds one workflow (every other one shared, so it is also published to
// `public`), and each client moves one node of it (position.x, and the entry's updated_at, in one
// transaction), so every commit is validated, indexed and, for shared ones, republished.
//
// Both servers run at once (each in its own child process, all clients connected), and the load
// alternates between them in short rounds (relay, flowshelf, flowshelf, relay, ...): on a machine
// shared with other jobs the background load drifts by the second, and measuring one server after
// the other turned that drift into ratios anywhere from 0.8x to 5x. Paired rounds share it.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { parseConfig } from '../server/config.js';
import { createEntry, workflowsMap, type Workflow } from '../shared/workflow/index.js';

// Each stock provider adds a process 'exit' listener; 2 x 40 of them are expected here.
process.setMaxListeners(0);

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '40' },
    docs: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '10' },
    workload: { type: 'string', default: 'sync' },
  },
});
const WORKLOADS = ['sync', 'workflow'] as const;
type Workload = (typeof WORKLOADS)[number];
if (!(WORKLOADS as readonly string[]).includes(values.workload!)) {
  console.error(`sync-bench: --workload must be one of ${WORKLOADS.join(', ')}, got "${values.workload}"`);
  process.exit(2);
}
const workload = values.workload as Workload;
const clients = positive('clients', values.clients);
const docs = positive('docs', values.docs);
const seconds = positive('seconds', values.seconds);
const rate = positive('rate', values.rate);
/** Measured time per round and side; edits start this long before measuring, and arrivals are counted this long after. */
const ROUND_MS = 1000;
const SETTLE_MS = 150;

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`sync-bench: --${name} must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

type Mode = 'relay' | 'flowshelf';
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

/** One server under test with its clients; `active` gates the edits, `round` collects arrivals. */
interface Side {
  mode: Mode;
  child: ChildProcess;
  providers: WebsocketProvider[];
  timers: NodeJS.Timeout[];
  active: boolean;
  /** Latencies of the current round, or null while not measuring. */
  round: number[] | null;
  rounds: number[][];
  sent: number;
  measuredMs: number;
}

function ask<T>(child: ChildProcess, key: string, message?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m[key] as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench server exited (${code}) before answering "${key}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function start(mode: Mode): Promise<Side> {
  const child = fork(fileURLToPath(new URL('./bench-server.js', import.meta.url)), [mode, String(docs)], {
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the Flowshelf server process, written there at exit.
    execArgv: ['--expose-gc', ...(mode === 'flowshelf' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await ask<Ready>(child, 'ready');
  const side: Side = { mode, child, providers: [], timers: [], active: false, round: null, rounds: [], sent: 0, measuredMs: 0 };
  for (let i = 0; i < clients; i++) {
    const d = i % docs;
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(ready.url, ready.documents[d]!, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: mode === 'flowshelf' ? { token: ready.tokens[d]! } : {},
    });
    if (workload === 'sync') observeSyncEdits(side, doc);
    else observeWorkflowEdits(side, doc);
    side.providers.push(provider);
  }
  await Promise.all(side.providers.map((p) => (p.synced ? null : new Promise((resolve) => p.once('sync', resolve)))));
  if (workload === 'workflow') await seedWorkflows(side);
  // Every client edits `rate` times per second while its side is active, staggered so the load is even.
  side.providers.forEach((provider, i) => {
    const edit = workload === 'sync' ? () => syncEdit(provider.doc) : () => workflowEdit(provider.doc, Math.floor(i / docs));
    side.timers.push(
      setTimeout(() => {
        side.timers[i] = setInterval(() => {
          if (!side.active) return;
          edit();
          if (side.round !== null) side.sent++;
        }, 1000 / rate);
      }, (i * 1000) / rate / clients),
    );
  });
  return side;
}

// ---- workload `sync`: one number per client in a map beside the workflows -----------------------

function observeSyncEdits(side: Side, doc: Y.Doc): void {
  const map = doc.getMap<number>('bench');
  map.observe((event, transaction) => {
    if (transaction.local || side.round === null) return;
    const now = performance.now();
    for (const key of event.keysChanged) side.round.push(now - map.get(key)!);
  });
}

function syncEdit(doc: Y.Doc): void {
  doc.getMap<number>('bench').set(String(doc.clientID), performance.now());
}

// ---- workload `workflow`: clients move nodes of a workflow in their library ---------------------

const BENCH_WORKFLOW_ID = 'be0c0000-0000-4000-8000-000000000001';

/** The first default workflow as a user would have saved it (the server's own defaults folder). */
function benchWorkflow(): Workflow {
  const file = join(parseConfig([], {}).defaultsDir, 'CogView4_TextToImage.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Workflow;
  return { ...json, id: BENCH_WORKFLOW_ID, meta: { ...json.meta, category: 'user' } } as Workflow;
}

/** Node positions are integers in the editor; the edit time in microseconds is one, and carries the stamp. */
const stamp = () => Math.round(performance.now() * 1000);

function benchNodes(doc: Y.Doc): Y.Array<Y.Map<unknown>> | null {
  const workflow = workflowsMap(doc).get(BENCH_WORKFLOW_ID)?.get('workflow');
  return workflow instanceof Y.Map ? (workflow.get('nodes') as Y.Array<Y.Map<unknown>>) : null;
}

function observeWorkflowEdits(side: Side, doc: Y.Doc): void {
  workflowsMap(doc).observeDeep((events, transaction) => {
    if (transaction.local || side.round === null) return;
    const now = performance.now();
    for (const event of events) {
      const target = event.target;
      if (target instanceof Y.Map && event.path[event.path.length - 1] === 'position' && (event as Y.YMapEvent<unknown>).keysChanged.has('x')) {
        side.round.push(now - (target.get('x') as number) / 1000);
      }
    }
  });
}

/** The first client of each document creates its workflow (shared in every other document); all wait for it. */
async function seedWorkflows(side: Side): Promise<void> {
  const workflow = benchWorkflow();
  for (let d = 0; d < Math.min(docs, side.providers.length); d++) {
    createEntry(side.providers[d]!.doc, BENCH_WORKFLOW_ID, workflow, { isPublic: d % 2 === 0 });
  }
  const deadline = Date.now() + 30_000;
  while (!side.providers.every((p) => benchNodes(p.doc) !== null)) {
    if (Date.now() > deadline) throw new Error(`${side.mode}: the seeded workflows did not reach every client`);
    await sleep(20);
  }
}

/** What the editor writes when a node is dragged: its position and the entry's updated_at. */
function workflowEdit(doc: Y.Doc, slot: number): void {
  const nodes = benchNodes(doc)!;
  const node = nodes.get(slot % nodes.length);
  const entry = workflowsMap(doc).get(BENCH_WORKFLOW_ID)!;
  doc.transact(() => {
    (node.get('position') as Y.Map<number>).set('x', stamp());
    entry.set('updated_at', new Date().toISOString());
  });
}

async function measureRound(side: Side): Promise<void> {
  side.active = true;
  await sleep(SETTLE_MS);
  const latencies: number[] = [];
  side.round = latencies;
  const started = performance.now();
  await sleep(ROUND_MS);
  side.active = false;
  side.measuredMs += performance.now() - started;
  // Edits sent in the round still count when they arrive just after it.
  await sleep(SETTLE_MS);
  side.round = null;
  side.rounds.push(latencies);
}

async function stop(side: Side): Promise<Stats> {
  for (const t of side.timers) clearInterval(t);
  const stats = await ask<Stats>(side.child, 'stats', 'stats');
  for (const p of side.providers) {
    p.destroy();
    p.doc.destroy();
  }
  side.child.send('stop');
  await new Promise((resolve) => side.child.once('exit', resolve));
  return stats;
}

function summary(side: Side, stats: Stats) {
  const all = side.rounds.flat().sort((a, b) => a - b);
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    sentPerSecond: side.sent / (side.measuredMs / 1000),
    deliveredPerSecond: all.length / (side.measuredMs / 1000),
    heapPerRoomKiB: (stats.heapUsed - stats.baselineHeap) / Math.max(1, stats.rooms) / 1024,
    rssMiB: stats.rss / 1024 / 1024,
  };
}

const loadBefore = loadavg()[0]!;
const relay = await start('relay');
const flowshelf = await start('flowshelf');
// Warm-up: JIT, SQLite page cache, first compactions.
for (const side of [relay, flowshelf]) {
  side.active = true;
  await sleep(1500);
  side.active = false;
}
for (let r = 0; r < seconds; r++) {
  // ABBA order, so neither side always runs right after the other.
  const order = r % 2 === 0 ? [relay, flowshelf] : [flowshelf, relay];
  for (const side of order) await measureRound(side);
}
const loadAfter = loadavg()[0]!;
const relayResult = summary(relay, await stop(relay));
const flowshelfResult = summary(flowshelf, await stop(flowshelf));
const pairedRatios = relay.rounds.map((round, i) => {
  const mine = [...flowshelf.rounds[i]!].sort((a, b) => a - b);
  return percentile(mine, 50) / percentile([...round].sort((a, b) => a - b), 50);
});

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
console.log(`sync-bench: workload ${workload}, ${clients} clients over ${docs} documents per server, ${rate} edits/s per client, ${seconds} rounds of ${ROUND_MS} ms per server${process.env.BENCH_NO_HOOKS ? ', library hooks off' : ''}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, load average ${fmt(loadBefore)} -> ${fmt(loadAfter)}`);
console.log('');
console.log('                          relay    flowshelf    ratio');
const row = (label: string, a: number, b: number, digits = 2) =>
  console.log(`${label.padEnd(24)}${fmt(a, digits).padStart(7)}  ${fmt(b, digits).padStart(11)}  ${fmt(b / a).padStart(7)}x`);
row('edit-to-peer p50 (ms)', relayResult.p50, flowshelfResult.p50);
row('edit-to-peer p99 (ms)', relayResult.p99, flowshelfResult.p99);
row('edits sent /s', relayResult.sentPerSecond, flowshelfResult.sentPerSecond, 0);
row('updates delivered /s', relayResult.deliveredPerSecond, flowshelfResult.deliveredPerSecond, 0);
row('server heap/room (KiB)', relayResult.heapPerRoomKiB, flowshelfResult.heapPerRoomKiB, 1);
row('server RSS (MiB)', relayResult.rssMiB, flowshelfResult.rssMiB, 1);
console.log('');
const pairedMedian = median(pairedRatios);
console.log(`p50 ratio per paired round: median ${fmt(pairedMedian)}x, range ${fmt(Math.min(...pairedRatios))}-${fmt(Math.max(...pairedRatios))}x`);
console.log(`p50 goal (within 1.2x of the relay while durable): ${flowshelfResult.p50 <= relayResult.p50 * 1.2 ? 'met' : 'NOT met'}`);
process.exit(0);
