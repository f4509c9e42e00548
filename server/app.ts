// Assembles the server: database, auth services, HTTP routes, the web app and the sync endpoint, on one
// port.
import Fastify from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { SYNC_PATH } from '../shared/protocol.js';
import { DatabaseIdentity } from './auth/identity.js';
import type { LoginThrottle } from './auth/login-throttle.js';
import { TokenService } from './auth/tokens.js';
import { UserStore } from './auth/users.js';
import { databaseFile, projectRoot, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import type { MigrationReport } from './db/migrator.js';
import { clientErrorHandler, httpServerOptions, httpTimeouts, limitConnectionsPerAddress } from './http/exhaustion.js';
import { registerRoutes } from './http/routes.js';
import { frameworkErrorHandler, installErrorHandlers } from './http/errors.js';
import { installJsonBodyParser } from './http/validate.js';
import { OriginGuard } from './http/origin-guard.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { createStaticHandler } from './http/static.js';
import type { Services } from './services.js';
import { UserQuota } from './storage/quota.js';
import { SqliteStore } from './storage/sqlite-store.js';
import { SqliteSettingsStore, SqliteUserRepository } from './storage/sqlite/user-store.js';
import { SqliteIndexStore } from './storage/sqlite/index-store.js';
import { SqliteThumbnailStore } from './storage/sqlite/thumbnail-store.js';
import { SyncServer } from './sync/sync-server.js';
import { startLibrary, type Library } from './library/library.js';
import { holdServerLock } from './library/server-lock.js';

/** How long close() lets open HTTP responses finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

export interface RunningServer {
  /** http://host:port with the port actually bound (config.port may be 0). */
  url: string;
  port: number;
  config: Config;
  services: Services;
  /** What the migrator did on this start. */
  migration: MigrationReport;
  /** Stops accepting, closes sync sockets, HTTP and the database. Safe to call more than once. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the built web app is; defaults to <project root>/dist/client. */
  clientDir?: string;
  /** The login throttle (tests pass one with small limits); defaults to the documented limits. */
  loginThrottle?: LoginThrottle;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  let migration: MigrationReport = { from: 0, to: 0, applied: [], backup: null };
  // Before the database is even opened (or migrated): one server per data folder.
  const releaseLock = holdServerLock(config.dataDir);
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(databaseFile(config), { onMigrated: (r) => (migration = r) });
  } catch (err) {
    releaseLock();
    throw err;
  }
  const users = new UserStore(new SqliteUserRepository(db));
  const tokens = await TokenService.fromSettings(new SqliteSettingsStore(db));
  const identity = new DatabaseIdentity(config.multiuser, users, tokens);
  // Per-user storage quota (library document + thumbnails); it asks the sync server for document sizes.
  const thumbnails = new SqliteThumbnailStore(db);
  const quota: UserQuota = new UserQuota({
    thumbnails,
    limitBytes: config.userQuotaBytes,
    documentBytes: (name: string): Promise<number> => sync.documentBytes(name),
  });
  // Sync server: documents live in the same SQLite file; the library attaches its extension (sync.use).
  const sync: SyncServer = new SyncServer({
    store: new SqliteStore(db),
    identity,
    multiuser: config.multiuser,
    maxFrameBytes: config.maxFrameBytes,
    quota,
    maxSocketsPerUser: config.maxSocketsPerUser,
    maxSocketsPerAddress: config.maxSocketsPerIp,
    maxPendingSockets: config.maxPendingSockets,
  });
  const services: Services = { db, users, tokens, identity, sync };

  // No Fastify logger at all, so no request logging: sync URLs carry ?token= and headers carry bearer
  // tokens. Unexpected errors are logged by the error handler, path only.
  // Fastify's defaults let a request whose body never ends hold its connection for good (requestTimeout
  // 0); see server/http-exhaustion.ts for the limits and the per-address connection cap.
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
      index: new SqliteIndexStore(db),
      thumbnails,
      users,
      identity,
      sync,
      store: new SqliteStore(db),
      multiuser: config.multiuser,
      defaultsDir: config.defaultsDir,
      publishLimits: {
        maxWorkflowBytes: config.maxPublishedWorkflowBytes,
        maxUserBytes: config.maxPublishedBytesPerUser,
        userBytesPerSecond: config.publishBytesPerSecond,
      },
      quota,
    });
  } catch (err) {
    await sync.close();
    db.close();
    releaseLock();
    throw err;
  }

  // Every API route, in one place (auth, then the workflow library).
  registerRoutes(app, { ...services, library: library.service }, { throttle: options.loginThrottle });

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
    db.close();
    releaseLock();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Library first (pending `public` writes), then (a) sync: its sockets flush their last updates
      // into the database before it closes.
      await library.close();
      await sync.close();
      originGuard.close();
      // Idle keep-alive connections close at once; one whose client never reads its response would
      // hold app.close() forever, so after a grace period every remaining connection is cut. Handlers
      // commit synchronously, so nothing acknowledged is lost by that.
      const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(force);
      db.close();
      releaseLock();
    })();
    return closing;
  };

  return { url: `http://${urlHost(config.host)}:${port}`, port, config, services, migration, close };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
