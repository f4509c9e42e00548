// Assembles the server: the store (storage/backend.ts: SQLite or PostgreSQL, every port), auth
// services, HTTP routes, the web app and the sync endpoint, on one port.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { SYNC_PATH } from '../shared/protocol.js';
import { DatabaseIdentity } from './auth/identity.js';
import type { LoginThrottle } from './auth/login-throttle.js';
import { TokenService } from './auth/tokens.js';
import { UserStore } from './auth/users.js';
import { projectRoot, type Config } from './config.js';
import type { MigrationReport } from './db/migrator.js';
import { clientErrorHandler, httpServerOptions, httpTimeouts, limitConnectionsPerAddress } from './http/exhaustion.js';
import { registerRoutes } from './http/routes.js';
import { frameworkErrorHandler, installErrorHandlers } from './http/errors.js';
import { installJsonBodyParser } from './http/validate.js';
import { OriginGuard } from './http/origin-guard.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { createStaticHandler } from './http/static.js';
import type { Services } from './services.js';
import { RedisFanout } from './cluster/redis-fanout.js';
import { InProcessUserEvents, RedisUserEvents, type UserEvents } from './cluster/user-events.js';
import { openBackend, type Backend } from './storage/backend.js';
import type { PostgresMigrationReport } from './storage/postgres/migrator.js';
import { UserQuota } from './storage/quota.js';
import { SyncServer } from './sync/sync-server.js';
import { startLibrary, type Library } from './library/library.js';

/** How long close() lets open HTTP responses finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

export interface RunningServer {
  /** http://host:port with the port actually bound (config.port may be 0). */
  url: string;
  port: number;
  config: Config;
  services: Services;
  /** The store every port runs on (SQLite file or PostgreSQL). */
  backend: Backend;
  /** What the migrator did on this start (SQLite's or PostgreSQL's, as backend.kind says). */
  migration: MigrationReport | PostgresMigrationReport;
  /** Stops accepting, closes sync sockets, HTTP and the database. Safe to call more than once. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the built web app is; defaults to <project root>/dist/client. */
  clientDir?: string;
  /** The login throttle (tests pass one with small limits); defaults to the documented limits. */
  loginThrottle?: LoginThrottle;
  /**
   * Period of the library's maintenance (sweep for removed users' libraries, index reconcile) on the
   * node holding its lease; default ORPHAN_SWEEP_MS. Tests shorten it.
   */
  maintenanceIntervalMs?: number;
}

/** How long /readyz waits for the store's answer to its trivial query. */
const READINESS_QUERY_TIMEOUT_MS = 2000;

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // SQLite (its data-folder lock taken first) or PostgreSQL (migrated, once across nodes starting
  // together); a store that cannot be opened stops the start in one line.
  const backend = await openBackend(config);
  // This node's name on the fan-out, in user events and as a lease holder (one per process start).
  const nodeId = randomUUID();
  const log = (message: string) => console.warn(`[cluster] ${message}`);
  // With Redis (several nodes on one PostgreSQL): committed updates, awareness and user changes travel
  // between nodes. Redis must answer at start (one line otherwise); after that, an outage is healed on
  // reconnection (catch-up from the store), and /readyz reports it meanwhile.
  let fanout: RedisFanout | undefined;
  let redisUserEvents: RedisUserEvents | undefined;
  let userEvents: UserEvents;
  let tokens: TokenService;
  try {
    if (config.redisUrl !== null) {
      fanout = await RedisFanout.connect({ url: config.redisUrl, log, nodeId });
      userEvents = redisUserEvents = await RedisUserEvents.connect({ url: config.redisUrl, log, nodeId });
    } else userEvents = new InProcessUserEvents(log);
    tokens = await TokenService.fromSettings(backend.settings);
  } catch (err) {
    await fanout?.close();
    await redisUserEvents?.close();
    await backend.close();
    throw err;
  }
  const users = new UserStore(backend.users);
  // Every account change made here goes to every node (this one included, at once); every node's
  // sync server and library hear them through Identity.
  users.onChange((userId) => userEvents.publish(userId));
  const identity = new DatabaseIdentity(config.multiuser, users, tokens, (listener) => userEvents.subscribe(listener));
  const closeTransports = async () => {
    await fanout?.close();
    await userEvents.close();
  };
  // Per-user storage quota (library document + thumbnails); it asks the sync server for document sizes.
  const thumbnails = backend.thumbnails;
  const quota: UserQuota = new UserQuota({
    thumbnails,
    versions: backend.versions,
    limitBytes: config.userQuotaBytes,
    documentBytes: (name: string): Promise<number> => sync.documentBytes(name),
  });
  // Sync server: documents live in the same store; the library attaches its extension (sync.use).
  const sync: SyncServer = new SyncServer({
    store: backend.documents,
    identity,
    multiuser: config.multiuser,
    ...(fanout !== undefined ? { fanout } : {}),
    nodeId,
    maxFrameBytes: config.maxFrameBytes,
    quota,
    maxSocketsPerUser: config.maxSocketsPerUser,
    maxSocketsPerAddress: config.maxSocketsPerIp,
    maxPendingSockets: config.maxPendingSockets,
  });
  const services: Services = { users, tokens, identity, sync };

  // No Fastify logger at all, so no request logging: sync URLs carry ?token= and headers carry bearer
  // tokens. Unexpected errors are logged by the error handler, path only.
  // Fastify's defaults let a request whose body never ends hold its connection for good (requestTimeout
  // 0); see server/http/exhaustion.ts for the limits and the per-address connection cap.
  const timeouts = httpTimeouts(config.requestTimeoutMs);
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxFrameBytes,
    frameworkErrors: frameworkErrorHandler,
    requestTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    http: httpServerOptions(timeouts),
    clientErrorHandler,
  });
  limitConnectionsPerAddress(app.server, { http: config.maxConnectionsPerIp, upgraded: config.maxSocketsPerIp });
  installErrorHandlers(app);
  installJsonBodyParser(app);
  // Before any route: foreign Host headers and cross-site writes never reach a handler.
  const originGuard = new OriginGuard(config);
  originGuard.install(app);
  installSecurityHeaders(app);

  // ── Workflow library ──────────────────────────────────────────────────────────
  // Index, defaults, `public` publisher (a sync extension) and the /api/v1/workflows routes.
  let library: Library;
  try {
    library = await startLibrary({
      index: backend.index,
      thumbnails,
      users,
      identity,
      sync,
      store: backend.documents,
      multiuser: config.multiuser,
      defaultsDir: config.defaultsDir,
      publishLimits: {
        maxWorkflowBytes: config.maxPublishedWorkflowBytes,
        maxUserBytes: config.maxPublishedBytesPerUser,
        userBytesPerSecond: config.publishBytesPerSecond,
      },
      quota,
      versions: {
        store: backend.versions,
        intervalMs: config.versionIntervalMs,
        retention: config.versionRetention,
        trashMs: config.trashMs,
      },
      leases: backend.leases,
      nodeId,
      ...(options.maintenanceIntervalMs !== undefined ? { orphanSweepMs: options.maintenanceIntervalMs } : {}),
      // Other nodes write `public` too: the publisher cannot assume it knows what the document holds.
      soleWriter: config.databaseUrl === null,
    });
  } catch (err) {
    await sync.close();
    await closeTransports();
    await backend.close();
    throw err;
  }

  // Readiness (/readyz): the store answers, Redis is connected when configured, not shutting down.
  let shuttingDown = false;
  const readiness = async (): Promise<string | null> => {
    if (shuttingDown) return 'shutting down';
    if (fanout !== undefined && !(fanout.connected && redisUserEvents?.connected === true)) return 'Redis not connected';
    // The store's own error text may name its host: only that it does not answer is said.
    const answered = await Promise.race([
      backend.ping().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), READINESS_QUERY_TIMEOUT_MS).unref()),
    ]);
    return answered ? null : 'store not answering';
  };

  // Every API route, in one place (auth, the workflow library, health).
  registerRoutes(app, { ...services, library: library.service, versioning: library.versioning, readiness }, { throttle: options.loginThrottle });

  app.setNotFoundHandler(createStaticHandler(options.clientDir ?? join(projectRoot(), 'dist', 'client')));

  // ── Sync server ────────────────────────────────────────────────────────────────────────────────
  // WebSocket upgrades under /sync/ go to the SyncServer; close() below awaits sync.close() first.
  // Any other upgrade gets a plain HTTP 404 (not a silent drop, which clients would retry forever).
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith(`${SYNC_PATH}/`)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // A foreign page (Origin) or a rebound name (Host) never reaches the sync server: 4403 at once.
    const refusal = originGuard.upgradeProblem(req);
    if (refusal !== null) originGuard.refuseUpgrade(req, socket, head, refusal);
    else sync.handleUpgrade(req, socket, head);
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await library.close();
    await sync.close();
    await closeTransports();
    await backend.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Readiness goes first (503), so a load balancer sends new clients to other nodes while this
      // one drains. Then the library (pending `public` writes), then (a) sync: its sockets flush
      // their last updates into the database before it closes.
      shuttingDown = true;
      await library.close();
      await sync.close();
      await closeTransports();
      originGuard.close();
      // Idle keep-alive connections close at once; one whose client never reads its response would
      // hold app.close() forever, so after a grace period every remaining connection is cut. Handlers
      // commit synchronously, so nothing acknowledged is lost by that.
      const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(force);
      await backend.close();
    })();
    return closing;
  };

  return { url: `http://${urlHost(config.host)}:${port}`, port, config, services, backend, migration: backend.migration, close };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
