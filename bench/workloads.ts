// The workloads of `npm run bench` (issue 10 item 4). Each starts its own servers (the in-memory
// relay, Flowshelf, Hocuspocus with its SQLite extension), measures them side by side in paired
// rounds, prints a table with the ratios and stops them. The relay is the reference of every ratio.
import * as Y from 'yjs';
import { PUBLIC_DOCUMENT } from '../shared/protocol.js';
import { createEntry, publicMap, setEntryPublic, workflowsMap } from '../shared/workflow/index.js';
import { benchWorkflow, DRAGGED_WORKFLOW_ID, EditingLoad, seedDraggedWorkflow, seedLibrary, ROUND_MS } from './editing.js';
import { connect, fmt, latencyTable, load, median, pairedRounds, percentile, sleep, sorted, startSide, table, until, type Client, type Side } from './harness.js';
import type { ServerKind, ServerOptions } from './bench-server.js';

export const KINDS: ServerKind[] = ['relay', 'flowshelf', 'hocuspocus'];

async function startAll(options: ServerOptions): Promise<Side[]> {
  const sides: Side[] = [];
  for (const kind of KINDS) sides.push(await startSide(kind, options));
  return sides;
}

async function stopAll(sides: Side[]): Promise<void> {
  await Promise.all(sides.map((s) => s.stop()));
}

function heading(title: string): void {
  console.log('');
  console.log(`## ${title}`);
  console.log(`load average at start: ${fmt(load())}`);
}

function footer(started: number): void {
  console.log(`load average at end: ${fmt(load())}; took ${fmt((performance.now() - started) / 1000, 1)} s`);
}

/** `clientsPerDoc` clients on each of `docs` documents of `side`; Flowshelf clients use each library's owner's token. */
async function clientsFor(side: Side, docs: number, clientsPerDoc: number): Promise<Client[][]> {
  const groups: Client[][] = [];
  for (let d = 0; d < docs; d++) {
    const group: Client[] = [];
    for (let c = 0; c < clientsPerDoc; c++) group.push(connect(side, side.ready.documents[d]!, side.ready.tokens[d]));
    groups.push(group);
  }
  await Promise.all(groups.flat().map((c) => c.synced));
  return groups;
}

// ---- P1: edit → peer --------------------------------------------------------------------------

/** 30 clients over 10 documents (each edit reaches 2 peers), 10 edits/s each: the sync core's path. */
export async function p1(rounds = 12): Promise<void> {
  const started = performance.now();
  heading('P1: edit → peer latency (30 clients over 10 documents, 10 edits/s each, sync workload)');
  const docs = 10;
  const sides = await startAll({ users: docs });
  const loads: EditingLoad[] = [];
  for (const side of sides) {
    const groups = await clientsFor(side, docs, 3);
    const load = new EditingLoad(side, side.label, groups.flat(), groups.flat(), 'sync');
    load.setRate(10);
    loads.push(load);
  }
  for (const l of loads) await l.warmUp();
  const results = await pairedRounds(loads, rounds, (l) => l.round());
  latencyTable(results, loads);
  for (const l of loads) l.close();
  await stopAll(sides);
  footer(started);
}

// ---- P7: drag latency in a small and a large library ------------------------------------------

/**
 * A node dragged (position + updated_at, as the editor writes it) by 3 clients in each of 2
 * libraries, one of them shared (so Flowshelf validates, indexes and republishes), 10 drags/s
 * each; once with the dragged workflow alone in its library, once beside 1,000 others.
 */
export async function p7(rounds = 10, largeCount = 1000): Promise<void> {
  const started = performance.now();
  heading(`P7: drag latency, small library (1 workflow) and large library (${largeCount + 1} workflows); 2 libraries x 3 clients, 10 drags/s each`);
  const docs = 2;
  const sides = await startAll({ users: docs });
  for (const size of ['small', 'large'] as const) {
    const loads: EditingLoad[] = [];
    for (const side of sides) {
      const groups = await clientsFor(side, docs, 3);
      for (const [d, group] of groups.entries()) {
        if (size === 'large') await seedLibrary(group[0]!, largeCount, group.slice(1));
        await seedDraggedWorkflow(group[0]!, group, d % 2 === 0);
      }
      if (size === 'large') await side.settle();
      const load = new EditingLoad(side, side.label, groups.flat(), groups.flat(), 'drag');
      load.setRate(10);
      loads.push(load);
    }
    for (const l of loads) await l.warmUp();
    const results = await pairedRounds(loads, rounds, (l) => l.round());
    console.log('');
    console.log(`${size} library (${size === 'small' ? 1 : largeCount + 1} workflows), load average ${fmt(load())}:`);
    latencyTable(results, loads);
    for (const l of loads) l.close();
  }
  await stopAll(sides);
  footer(started);
}

// ---- P3: throughput and CPU per delivered update at rising rates -------------------------------

/**
 * 300 clients on 100 documents (3 per document, each edit reaches 2 peers), each at 1, 2, 4, 8 and
 * 16 edits/s. Per rate and server: updates delivered per second, CPU time of the server process per
 * delivered update, p50/p99. A server is saturated at a rate when it delivers under 90% of what was
 * sent (x2 peers) or its p99 passes 100 ms, and so at every higher rate.
 */
export async function p3(rates = [1, 2, 4, 8, 16], roundsPerRate = 3): Promise<void> {
  const started = performance.now();
  heading(`P3: throughput and server CPU per delivered update, 300 clients on 100 documents, rates ${rates.join(', ')} edits/s per client`);
  const docs = 100;
  const sides = await startAll({ users: docs });
  const loads: EditingLoad[] = [];
  for (const side of sides) {
    const groups = await clientsFor(side, docs, 3);
    loads.push(new EditingLoad(side, side.label, groups.flat(), groups.flat(), 'sync'));
  }
  const rows: (string | number)[][] = [];
  const saturation = new Map<EditingLoad, number | null>(loads.map((l) => [l, null]));
  const cpuPerUpdate = new Map<EditingLoad, Map<number, number>>(loads.map((l) => [l, new Map()]));
  for (const rate of rates) {
    for (const l of loads) l.setRate(rate);
    // The new timers start staggered over one period; then each side warms up at the new rate.
    await sleep(1000 / rate);
    for (const l of loads) await l.warmUp(500);
    const perSide = new Map<EditingLoad, { sent: number; delivered: number; cpu: number; samples: number[] }>(loads.map((l) => [l, { sent: 0, delivered: 0, cpu: 0, samples: [] }]));
    await pairedRounds(loads, roundsPerRate, async (l) => {
      const cpuBefore = await l.side.cpu();
      const sentBefore = l.sent;
      const samples = await l.round();
      const cpuAfter = await l.side.cpu();
      const acc = perSide.get(l)!;
      acc.sent += l.sent - sentBefore;
      acc.delivered += samples.length;
      acc.cpu += cpuAfter - cpuBefore;
      acc.samples.push(...samples);
      return samples;
    });
    const relay = perSide.get(loads[0]!)!;
    for (const l of loads) {
      const acc = perSide.get(l)!;
      const seconds = (roundsPerRate * ROUND_MS) / 1000;
      const all = sorted(acc.samples);
      const perUpdate = acc.cpu / Math.max(1, acc.delivered);
      cpuPerUpdate.get(l)!.set(rate, perUpdate);
      const expected = acc.sent * 2;
      const p99 = percentile(all, 99);
      const saturated = acc.delivered < 0.9 * expected || p99 > 100;
      // Saturated from the lowest rate on which it and every higher rate are saturated: one noisy
      // round at a low rate (the machine is shared) is not where a server saturates.
      if (!saturated) saturation.set(l, null);
      else if (saturation.get(l) === null) saturation.set(l, rate);
      const relayPerUpdate = relay.cpu / Math.max(1, relay.delivered);
      rows.push([
        `${rate}/s ${l.label}`,
        fmt(acc.sent / seconds, 0),
        fmt(acc.delivered / seconds, 0),
        fmt(perUpdate, 1),
        l === loads[0] ? '1.00x' : `${fmt(perUpdate / relayPerUpdate)}x`,
        percentile(all, 50),
        p99,
        fmt(load()),
        saturated ? 'saturated' : '',
      ]);
    }
  }
  table(['rate, server', 'edits sent/s', 'updates delivered/s', 'server CPU µs/update', 'CPU vs relay', 'p50 (ms)', 'p99 (ms)', 'load avg', ''], rows);
  for (const l of loads) {
    const rate = saturation.get(l);
    console.log(`${l.label}: ${rate === null ? `not saturated up to ${rates.at(-1)} edits/s per client (${fmt(rates.at(-1)! * 600, 0)} updates/s offered)` : `saturated at ${rate} edits/s per client (${fmt(rate! * 600, 0)} updates/s offered)`}`);
  }
  for (const l of loads) l.close();
  await stopAll(sides);
  footer(started);
}

// ---- P2: a share toggle → seen by N readers of `public` ----------------------------------------

/**
 * One owner toggles the sharing of a workflow in its library; `readers` clients read `public` (Flowshelf
 * publishes it server-side). The relay and Hocuspocus have no publishing: their writer puts the same
 * entry into (or removes it from) the one document all readers read, which is the floor for any
 * server. Latency = toggle → the reader sees the entry appear or go. Two toggles per round, 500 ms apart.
 */
export async function p2(readers = 300, rounds = 8): Promise<void> {
  const started = performance.now();
  heading(`P2: share toggle → seen by ${readers} readers of \`public\``);
  const sides = await startAll({ users: 1 });
  const states: { label: string; side: Side; writer: Client; readers: Client[]; toggle: () => void; observe: (record: (id: string) => void) => void }[] = [];
  for (const side of sides) {
    if (side.kind === 'flowshelf') {
      const writer = connect(side, side.ready.documents[0]!, side.ready.tokens[0]);
      await writer.synced;
      createEntry(writer.doc, DRAGGED_WORKFLOW_ID, benchWorkflow(), { isPublic: false });
      const list = Array.from({ length: readers }, () => connect(side, PUBLIC_DOCUMENT, side.ready.adminToken));
      await Promise.all(list.map((c) => c.synced));
      let shared = false;
      states.push({
        label: side.label,
        side,
        writer,
        readers: list,
        toggle: () => {
          shared = !shared;
          setEntryPublic(writer.doc, DRAGGED_WORKFLOW_ID, shared);
        },
        observe: (record) => list.forEach((c) => publicMap(c.doc).observe((event) => event.keysChanged.forEach(record))),
      });
    } else {
      const writer = connect(side, 'public');
      const list = Array.from({ length: readers }, () => connect(side, 'public'));
      await Promise.all([writer, ...list].map((c) => c.synced));
      const entry = { workflow: benchWorkflow(), user_id: 'bench', owner_name: 'Bench', is_public: true, category: 'user', created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
      let shared = false;
      states.push({
        label: side.label,
        side,
        writer,
        readers: list,
        toggle: () => {
          shared = !shared;
          if (shared) publicMap(writer.doc).set(DRAGGED_WORKFLOW_ID, entry);
          else publicMap(writer.doc).delete(DRAGGED_WORKFLOW_ID);
        },
        observe: (record) => list.forEach((c) => publicMap(c.doc).observe((event) => event.keysChanged.forEach(record))),
      });
    }
  }
  let samples: number[] | null = null;
  let toggledAt = 0;
  // Only the side toggling now records: a late arrival elsewhere must not count against this toggle.
  let current: (typeof states)[number] | null = null;
  for (const s of states) s.observe((id) => current === s && id === DRAGGED_WORKFLOW_ID && samples?.push(performance.now() - toggledAt));
  const round = async (s: (typeof states)[number]) => {
    const got: number[] = [];
    current = s;
    for (let t = 0; t < 2; t++) {
      samples = got;
      toggledAt = performance.now();
      s.toggle();
      await sleep(ROUND_MS / 2);
      samples = null;
    }
    return got;
  };
  // Warm-up: one toggle pair each.
  for (const s of states) await round(s);
  const results = await pairedRounds(states, rounds, round);
  for (const s of states) {
    const n = results.get(s)!.flat().length;
    if (n < rounds * 2 * readers) console.log(`${s.label}: only ${n} of ${rounds * 2 * readers} arrivals within 500 ms of their toggle`);
  }
  latencyTable(results, states);
  for (const s of states) [s.writer, ...s.readers].forEach((c) => c.destroy());
  await stopAll(sides);
  footer(started);
}

// ---- P5: a fresh device syncing a 1,000-workflow library ---------------------------------------

/**
 * One library of 1,000 workflows (the bench workflow, 8.4 KB, under 1,000 ids) written by a client;
 * then, per round, a new client connects and the time until it holds all of them is measured. The
 * floor: encoding the whole document in this process and applying it to an empty one.
 */
export async function p5(rounds = 8, count = 1000): Promise<void> {
  const started = performance.now();
  heading(`P5: a fresh device syncing a ${count}-workflow library`);
  const sides = await startAll({ users: 1 });
  const states: { label: string; side: Side; seeder: Client }[] = [];
  for (const side of sides) {
    const seeder = connect(side, side.ready.documents[0]!, side.ready.tokens[0]);
    const check = connect(side, side.ready.documents[0]!, side.ready.tokens[0]);
    await Promise.all([seeder.synced, check.synced]);
    await seedLibrary(seeder, count, [check]);
    check.destroy();
    states.push({ label: side.label, side, seeder });
  }
  const floorTimes: number[] = [];
  const source = states[0]!.seeder.doc;
  const floor = () => {
    const f0 = performance.now();
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(source));
    const elapsed = performance.now() - f0;
    copy.destroy();
    return elapsed;
  };
  const freshSync = async (s: (typeof states)[number]) => {
    const t0 = performance.now();
    const fresh = connect(s.side, s.side.ready.documents[0]!, s.side.ready.tokens[0]);
    await fresh.synced;
    await until(() => workflowsMap(fresh.doc).size >= count, 'the fresh device to hold the library', 60_000);
    const elapsed = performance.now() - t0;
    fresh.destroy();
    return elapsed;
  };
  // Warm-up (JIT, caches): one untimed fresh device per side, and the floor once.
  for (const s of states) await freshSync(s);
  floor();
  const results = await pairedRounds(states, rounds, async (s) => {
    const elapsed = await freshSync(s);
    // The floor is measured in every round too (after the relay's turn), so it shares the round's load.
    if (s === states[0]) floorTimes.push(floor());
    return [elapsed];
  });
  const bytes = Y.encodeStateAsUpdate(source).byteLength;
  latencyTable(results, states);
  const floorP50 = median(floorTimes);
  console.log(`in-process floor (encodeStateAsUpdate + applyUpdate of the ${fmt(bytes / 1024 / 1024, 1)} MiB document): p50 ${fmt(floorP50)} ms`);
  for (const s of states) console.log(`${s.label}: ${fmt(median(results.get(s)!.flat()) / floorP50)}x the floor`);
  for (const s of states) s.seeder.destroy();
  await stopAll(sides);
  footer(started);
}

// ---- P4: memory per idle room, per connection, and after idle unload ---------------------------

/**
 * `rooms` documents, each with one client holding one workflow (8.4 KB), left idle: server heap per
 * room over the server's baseline. Then `connections` more clients on one document: heap per
 * connection. Then every client leaves, and the heap is read again once the server has unloaded its
 * rooms (Flowshelf unloads a room 30 s after its last client; Hocuspocus after storing it; the relay
 * never), or after 40 s.
 */
export async function p4(rooms = 100, connections = 200): Promise<void> {
  const started = performance.now();
  heading(`P4: memory per idle room (${rooms} rooms, one 8.4 KB workflow each), per connection (${connections} on one room), after idle unload`);
  const sides = await startAll({ users: rooms });
  const rows: (string | number)[][] = [];
  const measures = await Promise.all(
    sides.map(async (side) => {
      const base = await side.stats();
      const clients: Client[] = [];
      for (let r = 0; r < rooms; r++) clients.push(connect(side, side.ready.documents[r]!, side.ready.tokens[r]));
      await Promise.all(clients.map((c) => c.synced));
      clients.forEach((c) => createEntry(c.doc, DRAGGED_WORKFLOW_ID, benchWorkflow(), { isPublic: false }));
      const probe = connect(side, side.ready.documents[rooms - 1]!, side.ready.tokens[rooms - 1]);
      await probe.synced;
      await until(() => workflowsMap(probe.doc).has(DRAGGED_WORKFLOW_ID), 'the last room to hold its workflow');
      probe.destroy();
      await sleep(3000);
      const withRooms = await side.stats();
      const extra: Client[] = [];
      for (let c = 0; c < connections; c++) extra.push(connect(side, side.ready.documents[0]!, side.ready.tokens[0]));
      await Promise.all(extra.map((c) => c.synced));
      const withConnections = await side.stats();
      [...clients, ...extra].forEach((c) => c.destroy());
      const deadline = Date.now() + 40_000;
      let after = await side.stats();
      while (after.rooms > 0 && Date.now() < deadline) {
        await sleep(1000);
        after = await side.stats();
      }
      return { side, base, withRooms, withConnections, after, unloadedIn: (Date.now() - (deadline - 40_000)) / 1000 };
    }),
  );
  const relay = measures[0]!;
  const perRoom = (m: (typeof measures)[number]) => (m.withRooms.heapUsed - m.base.heapUsed) / rooms / 1024;
  const perConnection = (m: (typeof measures)[number]) => (m.withConnections.heapUsed - m.withRooms.heapUsed) / connections / 1024;
  for (const m of measures) {
    rows.push([
      m.side.label,
      perRoom(m),
      m === relay ? '1.00x' : `${fmt(perRoom(m) / perRoom(relay))}x`,
      perConnection(m),
      m === relay ? '1.00x' : `${fmt(perConnection(m) / perConnection(relay))}x`,
      `${m.after.rooms}`,
      fmt((m.after.heapUsed - m.base.heapUsed) / 1024 / 1024, 1),
      fmt(m.withConnections.rss / 1024 / 1024, 0),
    ]);
  }
  table(['server', 'heap/room (KiB)', 'vs relay', 'heap/connection (KiB)', 'vs relay', 'rooms left after 40 s idle', 'heap over baseline after (MiB)', 'RSS loaded (MiB)'], rows);
  await stopAll(sides);
  footer(started);
}
