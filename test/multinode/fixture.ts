// The hooks every multi-node test file shares: one PostgreSQL and one Redis per file, nodes and devices
// per test (killed and destroyed after it; the nodes' logs printed when it failed).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { libraryDocument } from '../../shared/protocol.js';
import type { TestUser } from '../helpers/server.js';
import { logsOf, startCluster, startServices, type Cluster, type ClusterOptions, type Node, type Services } from './cluster.js';
import { Device, freshView, people } from './devices.js';

export interface Multinode {
  services(): Services;
  /** `count` fresh nodes on a fresh database (closed after the test). */
  start(count: number, options?: ClusterOptions): Promise<Cluster & { a: Node; b: Node; c: Node }>;
  /**
   * start(count, options), then the administrator and alice made through the API of node `usersVia`
   * (A unless given), and `doc`, alice's library document: the setup of a test of one user's library.
   */
  startWithAlice(
    count: number,
    options?: ClusterOptions & { usersVia?: 'a' | 'b' | 'c' },
  ): Promise<Cluster & { a: Node; b: Node; c: Node; alice: TestUser; doc: string }>;
  /**
   * `count` fresh nodes on a fresh database shared by the tests of the file (started in beforeAll,
   * closed in afterAll): for tests that need no node of their own, so the file starts nodes once.
   */
  shared(count: number, options?: ClusterOptions): () => Cluster & { a: Node; b: Node; c: Node };
  /** A device destroyed after the test. */
  device(label: string, document: string, token: string): Device;
  /** A fresh device, synced with `node` (destroyed after the test). */
  fresh(node: Node, document: string, token: string, label?: string): Promise<Device>;
}

export function useMultinode(): Multinode {
  let services: Services | undefined;
  const clusters: Cluster[] = [];
  const fileClusters: Cluster[] = [];
  const devices: Device[] = [];
  beforeAll(async () => {
    services = await startServices();
  }, 120_000);
  afterAll(async () => {
    for (const cluster of fileClusters.splice(0)) await cluster.close();
    await services?.stop();
  });
  afterEach(async (context) => {
    for (const device of devices.splice(0)) device.destroy();
    const failed = context.task.result?.state === 'fail';
    for (const cluster of clusters.splice(0)) {
      if (failed) console.error(logsOf(cluster));
      await cluster.close();
    }
    if (failed) for (const cluster of fileClusters) console.error(logsOf(cluster));
  });
  const start: Multinode['start'] = async (count, options) => {
    const cluster = await startCluster(services!, count, options);
    clusters.push(cluster);
    return withNodeNames(cluster);
  };
  return {
    services: () => services!,
    start,
    async startWithAlice(count, { usersVia = 'a', ...options } = {}) {
      const cluster = await start(count, options);
      const { alice } = await people(cluster[usersVia], 'alice');
      return Object.assign(cluster, { alice, doc: libraryDocument(alice.userId) });
    },
    shared(count, options) {
      let shared: (Cluster & { a: Node; b: Node; c: Node }) | undefined;
      beforeAll(async () => {
        const cluster = await startCluster(services!, count, options);
        fileClusters.push(cluster);
        shared = withNodeNames(cluster);
      }, 60_000);
      return () => shared!;
    },
    device(label, document, token) {
      const device = new Device(label, document, token);
      devices.push(device);
      return device;
    },
    async fresh(node, document, token, label) {
      const device = await freshView(node, document, token, label);
      devices.push(device);
      return device;
    },
  };
}

/** The cluster with its first three nodes as `a`, `b` and `c`. */
function withNodeNames(cluster: Cluster): Cluster & { a: Node; b: Node; c: Node } {
  const [a, b, c] = cluster.nodes;
  return Object.assign(cluster, { a: a!, b: b!, c: c! });
}

/** Fails with `what` when `promise` has not settled within `ms` (for events that must come "within seconds"). */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export function sameSet(x: ReadonlySet<string>, y: ReadonlySet<string>): boolean {
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** The members of `x` missing from `y` (for failure messages). */
export function missing(x: Iterable<string>, y: ReadonlySet<string>): string[] {
  return [...x].filter((v) => !y.has(v)).sort();
}
