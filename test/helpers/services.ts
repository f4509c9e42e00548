// Real PostgreSQL and Redis for tests (issue 8 item 5): Debian's own binaries, one server per call,
// on a free port in a temp folder, removed again on stop(). No mocks, no shared system service.
//
// PostgreSQL refuses to run as root, so when the tests run as root the server runs as the `postgres`
// user (uid/gid looked up with `id`) in a folder chowned to it. Every child is started through
// util-linux `setpriv --pdeathsig`, so a test process that dies without calling stop() (a crash, a
// worker killed on timeout) takes its servers with it instead of leaving them running.
//
// Readiness is awaited as an event: the server's own "ready to accept connections" log line (both
// PostgreSQL and Redis print one), never a fixed sleep.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface PostgresService {
  /** A superuser URL (role `postgres`) to `dbName` (default `postgres`); for test setup only. */
  url(dbName?: string): string;
  /**
   * A fresh empty database owned by a fresh role that is NOT a superuser (no CREATEDB, no CREATEROLE),
   * as an operator would hand to Flowshelf; returns that role's URL (with a password in it, so that
   * tests can check it never reaches a log; the server trusts local connections anyway).
   */
  createDatabase(name?: string): Promise<string>;
  /** The temp folder holding the cluster and its socket; removed by stop(). */
  readonly folder: string;
  /** The PostgreSQL server's port (to stop and restart it on the same address in outage tests). */
  readonly port: number;
  /**
   * Stops the server and keeps its data; resume() starts it again. Default: fast shutdown (open
   * connections are cut, a checkpoint is written). `crash`: immediate shutdown, as a crashed server
   * (no checkpoint; the next start recovers from the WAL).
   */
  pause(options?: { crash?: boolean }): Promise<void>;
  /** Starts a paused server again on the same port and data. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export interface RedisService {
  url: string;
  port: number;
  /** The temp folder Redis runs in; removed by stop(). */
  folder: string;
  /** Stops Redis and starts a new, EMPTY one on the same port (as a Redis restart without persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The folder of Debian's PostgreSQL binaries (FLOWSHELF_PG_BIN overrides): the highest installed version. */
export function postgresBinDir(): string {
  const fromEnv = process.env.FLOWSHELF_PG_BIN;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL not found in /usr/lib/postgresql: install it (apt-get install -y postgresql) or set FLOWSHELF_PG_BIN');
  return join(base, versions[0]!, 'bin');
}

/** The uid/gid PostgreSQL runs as: ourselves, unless we are root (then the `postgres` user). */
function postgresIdentity(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A port that was free a moment ago (the OS picks it); a server that then fails to bind is retried by the caller. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();
/** Temp folders of servers not stopped yet, removed on a normal exit without stop(). */
const folders = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A normal exit without stop(): stop every server still running at once (SIGQUIT is PostgreSQL's
  // immediate shutdown and ends Redis too) and remove their folders; pdeathsig covers a killed process.
  process.once('exit', () => {
    for (const c of children) c.kill('SIGQUIT');
    for (const folder of folders) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  });
}
function track(child: ChildProcess): void {
  installExitHook();
  children.add(child);
  child.once('exit', () => children.delete(child));
}
function trackFolder(folder: string): () => void {
  installExitHook();
  folders.add(folder);
  return () => {
    folders.delete(folder);
    rmSync(folder, { recursive: true, force: true });
  };
}

interface SpawnAs {
  uid: number;
  gid: number;
}

/**
 * Spawns `command` with a parent-death signal (and, for PostgreSQL under root, as the postgres user:
 * setpriv changes the ids BEFORE setting the signal, which a credential change would clear).
 */
function spawnGuarded(command: string, args: string[], options: { cwd: string; as?: SpawnAs | null; deathSignal: string }): ChildProcess {
  const ids = options.as ? [`--reuid=${options.as.uid}`, `--regid=${options.as.gid}`, '--clear-groups'] : [];
  const child = spawn('setpriv', [...ids, `--pdeathsig=${options.deathSignal}`, '--', command, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
  });
  track(child);
  return child;
}

/**
 * Resolves when a line matching `ready` appears on the child's output; rejects with the output's tail
 * when the child exits first (e.g. the port was taken meanwhile).
 */
function waitForLine(child: ChildProcess, ready: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 20_000) output = output.slice(-10_000);
      if (ready.test(output)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what} exited before it was ready (${signal ?? `code ${code}`}):\n${output.slice(-2000)}`));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipes so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves when the child exits 0; rejects with its output's tail otherwise. */
function waitForExit(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (${signal ?? `code ${code}`}):\n${output.slice(-2000)}`)),
    );
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

const PORT_TAKEN = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;

/** A server process launched by launchOnFreePort: stopped and started again on the same port. */
interface LaunchedServer {
  /** The port it listens on (kept across stop() and relaunch()). */
  readonly port: number;
  /** False after stop(), until relaunch(). */
  readonly running: boolean;
  /** Stops the process with `signal` (nothing if it is not running). */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (clients reconnect to the address they know): no other port is tried. */
  relaunch(): Promise<void>;
}

/**
 * Starts the server `spawnOn` spawns on a port that was free a moment ago, and resolves once it prints
 * its `ready` line. Another process may take the port between freePort() and the server's bind: then
 * another port is tried (5 times at most); any other failure is thrown with the server's output.
 */
async function launchOnFreePort(spawnOn: (port: number) => ChildProcess, ready: RegExp, what: string): Promise<LaunchedServer> {
  let port = 0;
  let server: ChildProcess | null = null;
  const launch = async (fixedPort?: number) => {
    for (let attempt = 0; ; attempt++) {
      port = fixedPort ?? (await freePort());
      const child = spawnOn(port);
      try {
        await waitForLine(child, ready, what);
        server = child;
        return;
      } catch (error) {
        // Another process took the port between freePort() and bind: try another one.
        if (fixedPort === undefined && attempt < 5 && PORT_TAKEN.test(String(error))) continue;
        throw error;
      }
    }
  };
  await launch();
  return {
    get port() {
      return port;
    },
    get running() {
      return server !== null;
    },
    async stop(signal) {
      if (server) await stopChild(server, signal);
      server = null;
    },
    relaunch: () => launch(port),
  };
}

/** Starts a fresh PostgreSQL cluster (initdb, then the server) and resolves once it accepts connections. */
export async function startPostgres(): Promise<PostgresService> {
  const bin = postgresBinDir();
  const as = postgresIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-pg-'));
  const removeDir = trackFolder(dir);
  if (as) chownSync(dir, as.uid, as.gid);
  const dataDir = join(dir, 'data');
  let server: LaunchedServer;
  try {
    const initdb = spawnGuarded(
      join(bin, 'initdb'),
      ['-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '-D', dataDir],
      { cwd: dir, as, deathSignal: 'KILL' },
    );
    await waitForExit(initdb, 'initdb');
    server = await launchOnFreePort(
      (port) =>
        spawnGuarded(
          join(bin, 'postgres'),
          // fsync off: a test machine's crash may lose the data, a killed PostgreSQL may not (commits still
          // reach the OS before they are acknowledged: synchronous_commit stays on).
          ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
          // SIGINT: fast shutdown, so an orphaned server stops without waiting for its clients.
          { cwd: dir, as, deathSignal: 'INT' },
        ),
      /database system is ready to accept connections/,
      'postgres',
    );
  } catch (error) {
    removeDir();
    throw error;
  }

  const superUrl = (dbName = 'postgres') => `postgres://postgres@127.0.0.1:${server.port}/${dbName}`;
  let counter = 0;
  return {
    folder: dir,
    get port() {
      return server.port;
    },
    url: superUrl,
    async createDatabase(name?: string) {
      const suffix = `${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
      const dbName = name ?? `flowshelf_${suffix}`;
      const role = `flowshelf_role_${suffix}`;
      const password = randomBytes(12).toString('hex');
      const client = new pg.Client({ connectionString: superUrl() });
      await client.connect();
      try {
        await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)} OWNER ${role}`);
      } finally {
        await client.end();
      }
      return `postgres://${role}:${password}@127.0.0.1:${server.port}/${encodeURIComponent(dbName)}`;
    },
    async pause(options?: { crash?: boolean }) {
      await server.stop(options?.crash ? 'SIGQUIT' : 'SIGINT');
    },
    async resume() {
      if (!server.running) await server.relaunch();
    },
    async stop() {
      await server.stop('SIGINT');
      removeDir();
    },
  };
}

/** Starts an empty Redis without persistence and resolves once it accepts connections. */
export async function startRedis(): Promise<RedisService> {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-redis-'));
  const removeDir = trackFolder(dir);
  let server: LaunchedServer;
  try {
    server = await launchOnFreePort(
      (port) =>
        spawnGuarded(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
          { cwd: dir, deathSignal: 'TERM' },
        ),
      /Ready to accept connections/,
      'redis-server',
    );
  } catch (error) {
    removeDir();
    throw error;
  }
  const service: RedisService = {
    url: `redis://127.0.0.1:${server.port}`,
    port: server.port,
    folder: dir,
    async restart() {
      // SIGKILL, as a crash: clients see their connections cut, and the new server starts empty.
      await server.stop('SIGKILL');
      // The same port again (clients reconnect to the address they know); Redis binds with SO_REUSEADDR.
      await server.relaunch();
    },
    async stop() {
      await server.stop('SIGTERM');
      removeDir();
    },
  };
  return service;
}
