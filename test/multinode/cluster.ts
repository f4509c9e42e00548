// Several real Flowshelf nodes for the multi-node tests (issue 8 item 6): each node is its own
// `node dist/server/main.js` process (as an operator runs it), on port 0, with its own data folder, on
// ONE PostgreSQL database and ONE Redis from the test services harness. A node can be stopped as an
// operator would (SIGTERM: exit 0 with everything flushed) or killed as a crash (SIGKILL).
//
// Per test file: one PostgreSQL and one Redis (startServices). Per test: a fresh database and fresh
// nodes (startCluster), so tests never see each other's users or documents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { PostgresDocumentStore } from '../../server/storage/postgres/document-store.js';
import { PostgresPool } from '../../server/storage/postgres/pool.js';
import { SYNC_PATH } from '../../shared/protocol.js';
import { workflowsMap } from '../../shared/workflow/index.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../helpers/services.js';
import { ensureBuilt, exited, spawnNode, waitForLine, type Exit } from '../cli/built.js';

type Child = ReturnType<typeof spawnNode>;

export interface Node {
  /** 'A', 'B', 'C', ... in start order ('D', 'E', ... for nodes started later). */
  readonly name: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port>/sync: the base URL a WebsocketProvider takes. */
  readonly wsUrl: string;
  readonly pid: number;
  /** What the process printed so far (for failure messages). */
  output(): { stdout: string; stderr: string };
  /** True until the process has exited. */
  alive(): boolean;
  /** Sends `signal` and resolves with the exit (at once if it already exited). */
  kill(signal: NodeJS.Signals): Promise<Exit>;
}

export interface Services {
  postgres: PostgresService;
  redis: RedisService;
  stop(): Promise<void>;
}

/** One PostgreSQL and one Redis for a test file; also makes sure dist/ is built (the nodes run it). */
export async function startServices(): Promise<Services> {
  ensureBuilt();
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  return {
    postgres,
    redis,
    async stop() {
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}

export interface Cluster {
  /** The URL of the database every node uses (a non-superuser role owning it). */
  readonly databaseUrl: string;
  /** Every node started so far, dead ones included, in start order. */
  readonly nodes: Node[];
  /** Starts one more node on the same database and Redis. */
  startNode(): Promise<Node>;
  /** Stops every live node with SIGTERM (each must exit 0), then starts `count` fresh nodes. */
  restartAll(count: number): Promise<Node[]>;
  /** Kills what is still running (SIGKILL) and removes the nodes' data folders. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** Extra flags for every node (e.g. a shorter interval for a periodic job). */
  args?: string[];
  /** Extra environment for every node. */
  env?: NodeJS.ProcessEnv;
  /**
   * Another Redis URL for the node of that name (e.g. 'A': a TCP proxy in front of the Redis, to cut
   * that one node off from it).
   */
  redisUrlOf?: Record<string, string>;
}

/** `count` nodes started together on a fresh database of `services`. */
export async function startCluster(services: Services, count: number, options: ClusterOptions = {}): Promise<Cluster> {
  const databaseUrl = await services.postgres.createDatabase();
  const nodes: Node[] = [];
  const folders: string[] = [];
  const children: { child: Child; exit: Promise<Exit> }[] = [];

  // Names are taken in call order, also when several nodes start at once.
  let started = 0;
  const startNode = async (): Promise<Node> => {
    const name = String.fromCharCode('A'.charCodeAt(0) + started++);
    const dataDir = mkdtempSync(join(tmpdir(), `flowshelf-node-${name}-`));
    folders.push(dataDir);
    const child = spawnNode(
      'main.js',
      ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--database-url', databaseUrl, '--redis-url', options.redisUrlOf?.[name] ?? services.redis.url, ...(options.args ?? [])],
      options.env ?? {},
    );
    // Awaited from the start: exited() on a child that is already gone would wait for a 'close' event
    // that has passed.
    const exit = exited(child);
    children.push({ child, exit });
    let line: string;
    try {
      line = await waitForLine(child, /^Flowshelf listening on /);
    } catch (error) {
      throw new Error(`node ${name} did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    const node: Node = {
      name,
      url,
      wsUrl: url.replace(/^http/, 'ws') + SYNC_PATH,
      pid: child.pid!,
      output: () => ({ ...child.output }),
      alive: () => child.exitCode === null && child.signalCode === null,
      async kill(signal) {
        if (node.alive()) child.kill(signal);
        return exit;
      },
    };
    nodes.push(node);
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    return node;
  };
  const startMany = async (n: number): Promise<Node[]> => {
    const started = await Promise.all(Array.from({ length: n }, () => startNode()));
    return started.sort((a, b) => a.name.localeCompare(b.name));
  };

  const cluster: Cluster = {
    databaseUrl,
    nodes,
    startNode,
    async restartAll(n) {
      for (const node of nodes.filter((x) => x.alive())) {
        const exit = await node.kill('SIGTERM');
        if (exit.code !== 0) throw new Error(`node ${node.name} exited with ${exit.code} on SIGTERM: ${exit.stderr}`);
      }
      return startMany(n);
    },
    async close() {
      await Promise.all(
        children.map(async ({ child, exit }) => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exit;
        }),
      );
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    },
  };
  try {
    await startMany(count);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Every node's stderr, for a failure message: what the nodes logged is often the first clue. */
export function logsOf(cluster: Cluster): string {
  return cluster.nodes
    .map((n) => `--- node ${n.name} (pid ${n.pid}${n.alive() ? '' : ', exited'}) stderr:\n${n.output().stderr.slice(-3000)}`)
    .join('\n');
}

/**
 * What the store holds for `document`, read straight from PostgreSQL through the document port (as a
 * node would load it), as a Y.Doc: the proof that something is committed, not only in some node's memory.
 */
export async function storedDoc(databaseUrl: string, document: string): Promise<Y.Doc> {
  const pool = new PostgresPool(databaseUrl, { max: 1 });
  try {
    const stored = await new PostgresDocumentStore(pool).load(document);
    const doc = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
    for (const update of stored.updates) Y.applyUpdate(doc, update);
    return doc;
  } finally {
    await pool.close();
  }
}

/** The workflow ids the store holds in the library document `document` (see storedDoc). */
export async function storedIds(databaseUrl: string, document: string): Promise<Set<string>> {
  return new Set(workflowsMap(await storedDoc(databaseUrl, document)).keys());
}
