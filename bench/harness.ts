// What every workload of `npm run bench` shares: the servers under test (each in its own child
// process), stock clients for each (y-websocket's WebsocketProvider for the relay and Flowshelf,
// @hocuspocus/provider for Hocuspocus), paired rounds, percentiles and the printed tables.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import type { ServerKind, ServerOptions, ServerReady, ServerStats } from './bench-server.js';

// Each stock provider adds a process 'exit' listener; hundreds of them are expected here.
process.setMaxListeners(0);

export interface Side {
  kind: ServerKind;
  /** Label in the tables (e.g. "flowshelf 3 nodes"). */
  label: string;
  ready: ServerReady;
  stats(): Promise<ServerStats>;
  /** CPU time (user + system, µs) the server process has used so far; no GC first. */
  cpu(): Promise<number>;
  /**
   * Has the server store now what it would store later by itself (Flowshelf folds its update logs,
   * Hocuspocus runs its debounced stores; the relay stores nothing): after seeding, so that the
   * rounds measure editing rather than the one-off storing of what seeding wrote.
   */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface Client {
  doc: Y.Doc;
  /** Resolves once the first sync with the server is done. */
  synced: Promise<void>;
  destroy(): void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: number[]): number {
  return percentile(sorted(values), 50);
}

export const load = () => loadavg()[0]!;

let nextRequest = 0;
function request<T>(child: ChildProcess, cmd: string): Promise<T> {
  const id = ++nextRequest;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id?: number; result?: unknown }) => {
      if (m.id === id) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m.result as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench server exited (${code}) before answering "${cmd}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ id, cmd });
  });
}

/** Starts one server under test in its own process (`--expose-gc`, so memory is read after a GC). */
export async function startSide(kind: ServerKind, options: ServerOptions, label: string = kind): Promise<Side> {
  const child = fork(fileURLToPath(new URL('./bench-server.js', import.meta.url)), [kind, JSON.stringify(options)], {
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each Flowshelf server process, written there at exit.
    execArgv: ['--expose-gc', ...(kind === 'flowshelf' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    const onMessage = (m: { ready?: ServerReady }) => {
      if (m.ready) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m.ready);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${label}: the bench server exited (${code}) before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  let stopped: Promise<void> | undefined;
  return {
    kind,
    label,
    ready,
    stats: () => request<ServerStats>(child, 'stats'),
    cpu: () => request<number>(child, 'cpu'),
    settle: () => request<void>(child, 'settle'),
    stop: () =>
      (stopped ??= (async () => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (child.exitCode === null) {
          await request(child, 'stop').catch(() => undefined);
          await exited;
        }
      })()),
  };
}

/**
 * A stock client of `side` on `document`. Flowshelf clients carry a token (a user's, or the
 * administrator's); the relay and Hocuspocus take none.
 */
export function connect(side: Side, document: string, token?: string | null, url = side.ready.url): Client {
  const doc = new Y.Doc();
  if (side.kind === 'hocuspocus') {
    let resolveSynced!: () => void;
    const synced = new Promise<void>((resolve) => (resolveSynced = resolve));
    // One socket per client, as a browser tab has (Hocuspocus can multiplex documents on one).
    const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
    const provider = new HocuspocusProvider({ websocketProvider: socket, name: document, document: doc, onSynced: () => resolveSynced() });
    provider.attach();
    return {
      doc,
      synced,
      destroy: () => {
        provider.destroy();
        socket.destroy();
        doc.destroy();
      },
    };
  }
  const provider = new WebsocketProvider(url, document, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: side.kind === 'flowshelf' ? { token: token ?? side.ready.tokens[0]! } : {},
  });
  const synced = provider.synced ? Promise.resolve() : new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return {
    doc,
    synced,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Waits until `check` holds, polling (the clients' docs change on socket events this process does not await). */
export async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Paired rounds: every side runs `round` once per round, in an order that rotates each round, so the
 * machine's drifting background load is shared instead of landing on whichever side ran later.
 * Returns, per side, the samples of each round.
 */
export async function pairedRounds<T>(sides: readonly T[], rounds: number, round: (side: T, index: number) => Promise<number[]>): Promise<Map<T, number[][]>> {
  const results = new Map<T, number[][]>(sides.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length]!);
    if (r % 2 === 1) order.reverse();
    for (const side of order) results.get(side)!.push(await round(side, r));
  }
  return results;
}

export interface Summary {
  p50: number;
  p99: number;
  count: number;
  /** Median over rounds of this side's round p50 divided by the reference's round p50 (NaN for the reference). */
  pairedRatio: number;
}

export function summarize<T>(results: Map<T, number[][]>, reference: T): Map<T, Summary> {
  const out = new Map<T, Summary>();
  const refRounds = results.get(reference)!;
  for (const [side, rounds] of results) {
    const all = sorted(rounds.flat());
    const ratios = rounds.map((round, i) => percentile(sorted(round), 50) / percentile(sorted(refRounds[i] ?? []), 50)).filter(Number.isFinite);
    out.set(side, { p50: percentile(all, 50), p99: percentile(all, 99), count: all.length, pairedRatio: side === reference ? NaN : median(ratios) });
  }
  return out;
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Prints a table: a header row and rows of cells, right-aligned except the first column. */
export function table(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const [n, row] of cells.entries()) {
    console.log('| ' + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |');
    if (n === 0) console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  }
}

/** The latency table every latency workload prints: p50, p99, ratios against the first side. */
export function latencyTable<T extends { label: string }>(results: Map<T, number[][]>, sides: readonly T[], unit = 'ms'): Map<T, Summary> {
  const reference = sides[0]!;
  const summary = summarize(results, reference);
  const ref = summary.get(reference)!;
  table(
    ['server', `p50 (${unit})`, `p99 (${unit})`, 'samples', `p50 / ${reference.label}`, 'paired median', `p99 / ${reference.label}`],
    sides.map((s) => {
      const m = summary.get(s)!;
      return [s.label, m.p50, m.p99, String(m.count), s === reference ? '1.00x' : `${fmt(m.p50 / ref.p50)}x`, s === reference ? '' : `${fmt(m.pairedRatio)}x`, s === reference ? '1.00x' : `${fmt(m.p99 / ref.p99)}x`];
    }),
  );
  return summary;
}
