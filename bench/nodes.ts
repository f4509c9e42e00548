// `npm run bench -- --nodes 3` (issue 8 item 7): Flowshelf across nodes on one PostgreSQL and one
// Redis (started here by the test harness's helpers, on free ports in temp folders), side by side in
// one run with one Flowshelf node on PostgreSQL, one on SQLite (the default) and the in-memory relay.
// Each node is its own child process started with --database-url / --redis-url.
//
// Layout, the same on every side: 10 documents, each with one writer and two readers. Across nodes
// the writer is on node A and the readers on nodes B and C (so every measured edit crossed nodes:
// committed in PostgreSQL by A, carried by Redis, forwarded by B or C); on one node all three are on
// it. Latency: edit → reader, at 10 edits/s per writer. Throughput: updates delivered per second and
// the server processes' CPU per delivered update (all nodes summed) at 50 edits/s per writer.
import { startPostgres, startRedis } from '../test/helpers/services.js';
import { EditingLoad, ROUND_MS } from './editing.js';
import { connect, fmt, latencyTable, load, pairedRounds, percentile, sorted, startSide, table, type Client, type Side } from './harness.js';

const DOCS = 10;

/** Several node processes as one side: clients say which node they connect to; CPU is summed. */
function group(label: string, nodes: Side[]): Side {
  return {
    kind: 'flowshelf',
    label,
    ready: nodes[0]!.ready,
    stats: () => nodes[0]!.stats(),
    cpu: async () => (await Promise.all(nodes.map((n) => n.cpu()))).reduce((a, b) => a + b, 0),
    settle: async () => void (await Promise.all(nodes.map((n) => n.settle()))),
    // Each node is stopped on its own (they are in the run's list of sides as they start).
    stop: async () => {},
  };
}

/** One writer and two readers per document; `nodes` gives each position's node (writer, reader, reader). */
async function layout(side: Side, nodes: Side[]): Promise<EditingLoad> {
  const writers: Client[] = [];
  const all: Client[] = [];
  for (let d = 0; d < DOCS; d++) {
    const name = side.ready.documents[d]!;
    const token = side.ready.tokens[d];
    const positions = [0, 1, 2].map((p) => connect(side, name, token, nodes[p % nodes.length]!.ready.url));
    writers.push(positions[0]!);
    all.push(...positions);
  }
  await Promise.all(all.map((c) => c.synced));
  return new EditingLoad(side, side.label, all, writers, 'sync');
}

export async function nodesBench(nodeCount: number, rounds: number): Promise<void> {
  const started = performance.now();
  console.log('');
  console.log(`## --nodes ${nodeCount}: edit → peer across Flowshelf nodes (PostgreSQL + Redis) vs one node vs the in-memory relay`);
  console.log(`load average at start: ${fmt(load())}`);
  const postgres = await startPostgres();
  const redis = await startRedis();
  const sides: Side[] = [];
  const loads: EditingLoad[] = [];
  try {
    const singleDb = await postgres.createDatabase();
    const clusterDb = await postgres.createDatabase();

    const relay = await startSide('relay', { users: DOCS }, 'relay');
    sides.push(relay);
    loads.push(await layout(relay, [relay]));

    const sqlite = await startSide('flowshelf', { users: DOCS }, '1 node, SQLite');
    sides.push(sqlite);
    loads.push(await layout(sqlite, [sqlite]));

    const single = await startSide('flowshelf', { users: DOCS, flags: ['--database-url', singleDb] }, '1 node, PostgreSQL');
    sides.push(single);
    loads.push(await layout(single, [single]));

    // Node A creates the accounts; the others share its database, so A's tokens hold on every node.
    const flags = ['--database-url', clusterDb, '--redis-url', redis.url];
    const nodes: Side[] = [];
    for (let n = 0; n < nodeCount; n++) {
      const node = await startSide('flowshelf', { users: n === 0 ? DOCS : 0, flags }, `node ${String.fromCharCode(65 + n)}`);
      nodes.push(node);
      sides.push(node);
    }
    const cluster = group(`${nodeCount} nodes, PostgreSQL + Redis (A → B, C)`, nodes);
    loads.push(await layout(cluster, nodes));

    for (const l of loads) l.setRate(10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const l of loads) await l.warmUp();
    const latency = await pairedRounds(loads, rounds, (l) => l.round());
    console.log('');
    console.log(`edit → peer, ${DOCS} writers at 10 edits/s, 2 readers each, load average ${fmt(load())}:`);
    const summary = latencyTable(latency, loads);
    const one = summary.get(loads[2]!)!;
    const across = summary.get(loads[3]!)!;
    console.log(`across nodes p50 / one node (PostgreSQL) p50: ${fmt(across.p50 / one.p50)}x; / one node (SQLite): ${fmt(across.p50 / summary.get(loads[1]!)!.p50)}x (goal: within 2x)`);

    // Throughput: the writers at 50 edits/s each.
    for (const l of loads) l.setRate(50);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const acc = new Map(loads.map((l) => [l, { sent: 0, delivered: 0, cpu: 0, samples: [] as number[] }]));
    const throughputRounds = Math.max(2, Math.round(rounds / 3));
    await pairedRounds(loads, throughputRounds, async (l) => {
      const cpuBefore = await l.side.cpu();
      const sentBefore = l.sent;
      const samples = await l.round();
      const a = acc.get(l)!;
      a.cpu += (await l.side.cpu()) - cpuBefore;
      a.sent += l.sent - sentBefore;
      a.delivered += samples.length;
      a.samples.push(...samples);
      return samples;
    });
    console.log('');
    console.log(`throughput, ${DOCS} writers at 50 edits/s, load average ${fmt(load())}:`);
    const seconds = (throughputRounds * ROUND_MS) / 1000;
    const relayCpu = acc.get(loads[0]!)!.cpu / Math.max(1, acc.get(loads[0]!)!.delivered);
    table(
      ['server', 'edits sent/s', 'updates delivered/s', 'server CPU µs/update', 'CPU vs relay', 'p50 (ms)', 'p99 (ms)'],
      loads.map((l) => {
        const a = acc.get(l)!;
        const all = sorted(a.samples);
        const perUpdate = a.cpu / Math.max(1, a.delivered);
        return [l.label, fmt(a.sent / seconds, 0), fmt(a.delivered / seconds, 0), fmt(perUpdate, 1), `${fmt(perUpdate / relayCpu)}x`, percentile(all, 50), percentile(all, 99)];
      }),
    );
  } finally {
    for (const l of loads) l.close();
    for (const s of sides.reverse()) await s.stop();
    await redis.stop();
    await postgres.stop();
  }
  console.log(`load average at end: ${fmt(load())}; took ${fmt((performance.now() - started) / 1000, 1)} s`);
}
