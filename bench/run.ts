// `npm run bench`: every workload of issue 10 (P1-P7) side by side with the in-memory relay and
// Hocuspocus (SQLite extension), in paired rounds, with ratios and the load average; or
// `npm run bench -- P2 P6` for a subset, `npm run bench -- --nodes 3` for Flowshelf across nodes on
// PostgreSQL and Redis (issue 8 item 7). Flags: --quick (fewer rounds, for a check of the harness).
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fmt } from './harness.js';
import { p1, p2, p3, p4, p5, p7 } from './workloads.js';
import { p6 } from './p6.js';
import { nodesBench } from './nodes.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { nodes: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const WORKLOADS = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'] as const;
const wanted = positionals.map((p) => p.toUpperCase());
for (const w of wanted) {
  if (!(WORKLOADS as readonly string[]).includes(w)) {
    console.error(`bench: unknown workload "${w}" (one of ${WORKLOADS.join(', ')})`);
    process.exit(2);
  }
}
const nodes = values.nodes === undefined ? null : Number(values.nodes);
if (nodes !== null && (!Number.isInteger(nodes) || nodes < 2)) {
  console.error(`bench: --nodes must be an integer of at least 2, got "${values.nodes}"`);
  process.exit(2);
}
const quick = values.quick!;

const started = performance.now();
const loadBefore = loadavg();
console.log(`# Flowshelf bench, ${new Date().toISOString()}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, load average ${loadBefore.map((l) => fmt(l)).join(' ')}`);

if (nodes !== null) {
  await nodesBench(nodes, quick ? 4 : 12);
} else {
  const run = wanted.length > 0 ? wanted : [...WORKLOADS];
  for (const w of run) {
    if (w === 'P1') await p1(quick ? 3 : 10);
    if (w === 'P2') await p2(quick ? 30 : 300, quick ? 2 : 6);
    if (w === 'P3') await p3(quick ? [1, 4] : [1, 4, 16], quick ? 1 : 3);
    if (w === 'P4') await p4(quick ? 10 : 100, quick ? 20 : 200);
    if (w === 'P5') await p5(quick ? 2 : 4, quick ? 100 : 1000);
    if (w === 'P6') await p6(quick ? 2_000 : 10_000, quick ? 5 : 6);
    if (w === 'P7') await p7(quick ? 2 : 10, quick ? 100 : 1000);
  }
}
console.log('');
console.log(`whole run: ${fmt((performance.now() - started) / 1000, 0)} s, load average ${loadBefore.map((l) => fmt(l)).join(' ')} -> ${loadavg().map((l) => fmt(l)).join(' ')}`);
process.exit(0);
