// The sync endpoint: ws://HOST:PORT/sync/<document>?token=<jwt> (contract §3).
//
// Life of a socket: accepted at once (a refusal at the HTTP upgrade reaches a browser only as
// 1006), frames buffered (bounded in bytes and time) while the token is checked and the document
// loaded, then closed with a 44xx code or handed to a Connection. Every change to a served doc is
// committed to the store before it is forwarded or acknowledged (commit-queue.ts). Rights are
// rechecked on open sockets: at token expiry, every recheckIntervalMs, and at once when Identity
// reports a change to the user.
//
// The layers above attach as extensions (extension.ts), whose hooks see typed origins (origins.ts).
// With a fan-out (fanout.ts) several nodes serve the same documents over one store: committed updates
// and awareness travel between them, ordered and gap-checked by store sequence numbers (room-link.ts).
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { CloseCode, DEFAULT_MAX_FRAME_BYTES, SYNC_PATH } from '../../shared/protocol.js';
import type { Identity, Principal } from '../auth/principal.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { DocumentQuota } from '../storage/quota.js';
import { describeStoreError, megabytes, QuotaExceededError, StorageError, storageErrorOf } from '../storage/storage-errors.js';
import { CommitQueue, type QueuedUpdate } from './commit-queue.js';
import { Connection, type SyncSocket } from './connection.js';
import type { DocumentRoom } from './document-room.js';
import type { DocumentContext, Extension } from './extension.js';
import type { Fanout, FanoutAwareness } from './fanout.js';
import { decodeFrame, encodeAwareness, type AwarenessEntry } from './messages.js';
import { accessFor } from './policy.js';
import { originOf, type ChangeOrigin } from './origins.js';
import { RoomLink } from './room-link.js';
import { RoomRegistry } from './room-registry.js';
import { atEndOfTurn, currentTurn } from './turn.js';
import { clientAddressKey } from '../client-address.js';

export interface SyncServerOptions {
  store: DocumentStore;
  identity: Identity;
  multiuser: boolean;
  /**
   * Carries committed updates and awareness between the nodes serving the same documents over one
   * shared store (fanout.ts, room-link.ts); none by default (one node).
   */
  fanout?: Fanout;
  /** This node's id on the fan-out (log lines, tests). Default: a random UUID. */
  nodeId?: string;
  /** Largest accepted frame; larger ones close the socket with 4413. Default 8 MiB (contract §3). */
  maxFrameBytes?: number;
  /** Period of the rights recheck on open sockets. Default 2000 ms. */
  recheckIntervalMs?: number;
  /** How long a document without connections stays loaded. Default 30 s: a reload costs a store read. */
  idleUnloadMs?: number;
  /** Committed updates after which a document's log is folded into its snapshot. Default 500. */
  compactEvery?: number;
  /** Time a socket may spend in authentication and document load. Default 10 s, then 1013. */
  preAuthTimeoutMs?: number;
  /** Bytes a socket may send before it is authenticated. Default maxFrameBytes, then 4413. */
  preAuthMaxBytes?: number;
  /**
   * Soft bound on outbound bytes queued for one socket: above it the socket must keep draining, or
   * after stallWindowMs without progress it is closed with 1013. Default 4 x maxFrameBytes.
   */
  maxBufferedBytes?: number;
  /** Outbound bytes beyond which a socket is closed with 1013 at once, draining or not. Default 4 x maxBufferedBytes. */
  hardMaxBufferedBytes?: number;
  /** How long a socket over maxBufferedBytes may go without draining anything. Default 10 s. */
  stallWindowMs?: number;
  /**
   * Outbound bytes queued for all sockets together. A reader that trickles (a few bytes per stall
   * window) is never stalled, and many of them could each queue up to hardMaxBufferedBytes (a client
   * can ask for the whole document again and again); over this budget the sockets with the longest
   * queues are cut until it holds. Default 1 GiB.
   */
  maxQueuedBytesTotal?: number;
  /** How often the total is summed. Default 1 s; between sums one socket grows by at most its hard bound. */
  queueBudgetIntervalMs?: number;
  /**
   * Every open socket is pinged this often; one that has not answered the previous ping is cut (a
   * half-open socket would otherwise keep its room and presence for good). Default 30 s.
   */
  heartbeatIntervalMs?: number;
  /** Open sync sockets one user may hold; more are closed with 1013. Default 64. */
  maxSocketsPerUser?: number;
  /** Sync sockets (admitted or not) from one client address (IPv6: one /64); more are closed with 1013. Default 256. */
  maxSocketsPerAddress?: number;
  /** Sockets not yet admitted (token being checked, document loading), all addresses together. Default 1024. */
  maxPendingSockets?: number;
  /**
   * What the layers above attach (extension.ts), in order. More may be added with use() until the
   * first document loads.
   */
  extensions?: Extension[];
  /**
   * Storage quota per document (library documents: per user). Client updates over it are refused
   * before they are applied (socket closed with 4429); server-side writes over it reject with
   * QuotaExceededError and are never stored. None by default.
   */
  quota?: DocumentQuota;
  log?: (message: string) => void;
}

export interface SyncStats {
  rooms: number;
  connections: number;
  /** Sockets still being authenticated or waiting for their document to load. */
  pending: number;
  /** Outbound bytes queued in server memory for the admitted sockets, all together. */
  queuedBytes: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class SyncServer {
  private readonly wss: WebSocketServer;
  private readonly registry: RoomRegistry;
  private readonly queue: CommitQueue<DocumentRoom>;
  private readonly connections = new Set<Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly expiryTimers = new Map<Connection, NodeJS.Timeout>();
  private readonly pendingSockets = new Set<WebSocket>();
  /** Open sync sockets per client address key (admitted or not), for maxSocketsPerAddress. */
  private readonly socketsByAddress = new Map<string, number>();
  /** Sockets that have not answered the last heartbeat ping. */
  private readonly awaitingPong = new WeakSet<WebSocket>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly queueBudgetTimer: NodeJS.Timeout;
  private readonly socketOf = new WeakMap<Connection, WebSocket>();
  private readonly serverUses = new Set<Promise<unknown>>();
  /** The fan-out link of each loaded room (with a fan-out only). */
  private readonly links = new Map<DocumentRoom, RoomLink>();
  /** Every open link, documents still loading included (a fan-out reset concerns them too). */
  private readonly openLinks = new Set<RoomLink>();
  private readonly stopResetListener: () => void;
  /** Committed updates whose onCommitted hooks have not run yet, per room (see hookDue). */
  private readonly hooksDue = new Map<DocumentRoom, CommittedDue>();
  private hooksScheduled = false;
  /** The last onCommitted run of each room: runs of one room are chained, never overlapping. */
  private readonly hookTails = new Map<DocumentRoom, Promise<void>>();
  private readonly extensions: Extension[];
  /** Set once the first document loads: the extension list is fixed from then on. */
  private loadedAny = false;
  private readonly compactEvery: number;
  readonly nodeId: string;
  private readonly recheckTimer: NodeJS.Timeout;
  /** The periodic recheck in progress, if any. */
  private recheckRound: Promise<void> | null = null;
  /** Numbers rights lookups; each socket remembers the latest one applied to it. */
  private recheckCounter = 0;
  private readonly lastRecheckOf = new WeakMap<Connection, number>();
  private readonly stopListening: () => void;
  private readonly maxFrameBytes: number;
  private readonly log: (message: string) => void;
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: SyncServerOptions) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.compactEvery = opts.compactEvery ?? 500;
    this.extensions = [...(opts.extensions ?? [])];
    this.nodeId = opts.nodeId ?? randomUUID();
    this.log = opts.log ?? ((message) => console.warn(`[sync] ${message}`));
    // ws checks maxPayload against each frame header, before buffering the payload.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxFrameBytes, perMessageDeflate: false });
    this.queue = new CommitQueue<DocumentRoom>(opts.store, {
      committed: (batch, lastSeq) => this.committed(batch, lastSeq),
      failed: (batch, error) => this.commitFailed(batch, error),
      isLive: (room) => !room.broken,
      internalError: (error) => this.log(`commit bookkeeping failed: ${String(error)}`),
    });
    this.registry = new RoomRegistry({
      store: opts.store,
      idleUnloadMs: opts.idleUnloadMs ?? 30_000,
      compactEvery: this.compactEvery,
      maxPendingBytes: this.maxFrameBytes,
      quota: opts.quota,
      enqueue: (room, update, origin) => this.enqueue(room, update, origin),
      drain: () => this.queue.flush(),
      subscribe: (name) => this.subscribe(name),
      loaded: (room, link) => this.roomLoaded(room, link),
      publishAwareness: (room, entries) => this.publishAwareness(room, entries),
      unloading: async (room) => {
        const link = this.links.get(room);
        this.links.delete(room);
        if (link !== undefined) {
          this.openLinks.delete(link);
          void link.close().catch((error: unknown) => this.log(`unsubscribing ${room.name} from the fan-out failed: ${String(error)}`));
        }
        // The hooks must see the doc these updates were committed to before it is destroyed.
        await this.runHooks(room);
        await this.runExtensions('onUnloading', (extension) => extension.onUnloading?.(contextOf(room)));
      },
      log: this.log,
    });
    this.recheckTimer = setInterval(() => this.recheckAll(), opts.recheckIntervalMs ?? 2000);
    this.recheckTimer.unref();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), opts.heartbeatIntervalMs ?? 30_000);
    this.heartbeatTimer.unref();
    this.queueBudgetTimer = setInterval(() => this.enforceQueueBudget(), opts.queueBudgetIntervalMs ?? 1000);
    this.queueBudgetTimer.unref();
    // The fan-out lost messages (a reconnect): every loaded document reads what it may have missed.
    this.stopResetListener = opts.fanout?.onReset(() => {
      for (const link of [...this.openLinks]) {
        if (link.isClosed) this.openLinks.delete(link);
        else link.catchUp();
      }
    }) ?? (() => {});
    this.stopListening = opts.identity.onUserChanged((userId) => void this.recheckUser(userId));
  }

  /**
   * Adds an extension after construction (the library needs the server for its own writes, so it
   * cannot be built before it). Only before the first document loads: an extension must see every
   * document from its load on (its onLoaded), never one half-way.
   */
  use(extension: Extension): void {
    if (this.loadedAny) throw new Error(`extension ${extension.name} added after documents were loaded`);
    if (this.extensions.some((known) => known.name === extension.name)) throw new Error(`extension ${extension.name} added twice`);
    this.extensions.push(extension);
  }

  /**
   * Detaches an extension (the library, when it closes before the server does): its hooks are not
   * called any more; a call in progress finishes. Returns whether it was attached.
   */
  removeExtension(name: string): boolean {
    const index = this.extensions.findIndex((extension) => extension.name === name);
    if (index < 0) return false;
    this.extensions.splice(index, 1);
    return true;
  }

  /** Takes over an HTTP upgrade request for `/sync/<document>`. Never refuses at the HTTP level. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.accept(ws, req).catch((error: unknown) => {
        this.log(`accepting a socket failed: ${String(error)}`);
        ws.close(CloseCode.TryAgain, 'server error');
      });
    });
  }

  private async accept(ws: WebSocket, req: IncomingMessage): Promise<void> {
    ws.on('error', (error) => this.log(`socket error: ${error.message}`));
    // ws closes an over-long frame with 1009 by itself; the contract's code for it is 4413.
    const close = ws.close.bind(ws);
    ws.close = (code?: number, reason?: string | Buffer) =>
      code === 1009 ? close(CloseCode.TooLarge, 'frame too large') : close(code, reason);
    if (this.closing) {
      ws.close(CloseCode.TryAgain, 'server shutting down');
      return;
    }
    // Caps are checked after the handshake so that the client learns why (a refused upgrade reaches
    // a browser only as 1006); the sockets already open are kept. 1013: closing a tab frees a slot.
    if (this.pendingSockets.size >= (this.opts.maxPendingSockets ?? 1024)) {
      ws.close(CloseCode.TryAgain, 'too many connections');
      return;
    }
    const address = clientAddressKey(req.socket.remoteAddress);
    const fromAddress = this.socketsByAddress.get(address) ?? 0;
    if (fromAddress >= (this.opts.maxSocketsPerAddress ?? 256)) {
      ws.close(CloseCode.TryAgain, 'too many connections');
      return;
    }
    this.socketsByAddress.set(address, fromAddress + 1);
    ws.once('close', () => {
      const left = (this.socketsByAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.socketsByAddress.delete(address);
      else this.socketsByAddress.set(address, left);
    });
    ws.on('pong', () => this.awaitingPong.delete(ws));

    const buffered: Array<Uint8Array | null> = [];
    let bufferedBytes = 0;
    const preAuthMaxBytes = this.opts.preAuthMaxBytes ?? this.maxFrameBytes;
    const onEarlyFrame = (data: RawData, isBinary: boolean) => {
      const frame = toBytes(data);
      bufferedBytes += frame.length;
      if (bufferedBytes > preAuthMaxBytes) ws.close(CloseCode.TooLarge, 'too much data before authentication');
      else buffered.push(isBinary ? frame : null);
    };
    ws.on('message', onEarlyFrame);
    this.pendingSockets.add(ws);
    const timeout = setTimeout(() => ws.close(CloseCode.TryAgain, 'authentication timed out'), this.opts.preAuthTimeoutMs ?? 10_000);
    try {
      const target = parseTarget(req.url ?? '');
      const auth = await this.opts.identity.authenticate(target.token);
      if (!isOpen(ws)) return;
      if (!auth.ok) {
        ws.close(auth.reason === 'inactive' ? CloseCode.Forbidden : CloseCode.Unauthorized, auth.reason === 'inactive' ? 'user inactive' : 'unauthorized');
        return;
      }
      const access = target.document === null ? 'none' : accessFor(auth.principal, target.document, { multiuser: this.opts.multiuser });
      if (access === 'none' || target.document === null) {
        ws.close(CloseCode.Forbidden, 'forbidden');
        return;
      }
      if (auth.expiresAt !== null && auth.expiresAt <= Date.now()) {
        ws.close(CloseCode.Unauthorized, 'token expired');
        return;
      }
      const room = await this.registry.acquire(target.document);
      if (!isOpen(ws) || this.closing) {
        this.registry.release(room);
        if (isOpen(ws)) ws.close(CloseCode.TryAgain, 'server shutting down');
        return;
      }
      ws.off('message', onEarlyFrame);
      if ((this.byUser.get(auth.principal.userId)?.size ?? 0) >= (this.opts.maxSocketsPerUser ?? 64)) {
        this.registry.release(room);
        ws.close(CloseCode.TryAgain, 'too many connections');
        return;
      }
      const connection = this.attach(ws, syncSocketOf(ws, req), room, auth.principal, access, auth.expiresAt);
      for (const frame of buffered) deliver(connection, frame);
    } finally {
      clearTimeout(timeout);
      this.pendingSockets.delete(ws);
    }
  }

  private attach(
    ws: WebSocket,
    socket: SyncSocket,
    room: DocumentRoom,
    principal: Principal,
    access: 'read-write' | 'read-only',
    expiresAt: number | null,
  ): Connection {
    const maxBufferedBytes = this.opts.maxBufferedBytes ?? 4 * this.maxFrameBytes;
    const connection = new Connection(
      socket,
      room,
      principal,
      access,
      {
        maxBufferedBytes,
        hardMaxBufferedBytes: this.opts.hardMaxBufferedBytes ?? 4 * maxBufferedBytes,
        stallWindowMs: this.opts.stallWindowMs ?? 10_000,
        awarenessPerSecond: 10,
        awarenessBurst: 30,
      },
      (closed) => this.detach(closed),
      this.log,
    );
    this.connections.add(connection);
    this.socketOf.set(connection, ws);
    let mine = this.byUser.get(principal.userId);
    if (mine === undefined) this.byUser.set(principal.userId, (mine = new Set()));
    mine.add(connection);
    if (expiresAt !== null) this.armExpiry(connection, expiresAt);
    ws.on('message', (data: RawData, isBinary: boolean) => deliver(connection, isBinary ? toBytes(data) : null));
    ws.on('close', () => connection.close(CloseCode.TryAgain, 'closed'));
    connection.start();
    return connection;
  }

  private armExpiry(connection: Connection, expiresAt: number): void {
    const timer = setTimeout(() => {
      if (Date.now() >= expiresAt) connection.close(CloseCode.Unauthorized, 'token expired');
      else this.armExpiry(connection, expiresAt);
    }, Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS));
    timer.unref();
    this.expiryTimers.set(connection, timer);
  }

  private detach(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const mine = this.byUser.get(connection.principal.userId);
    mine?.delete(connection);
    if (mine?.size === 0) this.byUser.delete(connection.principal.userId);
    const timer = this.expiryTimers.get(connection);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(connection);
    if (!connection.room.broken) this.registry.release(connection.room);
  }

  /**
   * Pings every socket (admitted or not) and cuts those that did not answer the previous ping within
   * a whole interval: their peer is gone or not reading. The 'close' that follows releases the room
   * and withdraws the connection's awareness states from the other members.
   */
  private heartbeat(): void {
    for (const ws of this.wss.clients) {
      if (this.awaitingPong.has(ws)) {
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      try {
        ws.ping();
      } catch (error) {
        this.log(`ping failed: ${String(error)}`);
        ws.terminate();
      }
    }
  }

  /** Closes the sockets with the longest outbound queues while all queues together exceed the budget. */
  private enforceQueueBudget(): void {
    const budget = this.opts.maxQueuedBytesTotal ?? 1024 * 1024 * 1024;
    let total = 0;
    const queued: Array<[Connection, number]> = [];
    for (const connection of this.connections) {
      const bytes = connection.queuedBytes;
      if (bytes === 0) continue;
      total += bytes;
      queued.push([connection, bytes]);
    }
    if (total <= budget) return;
    queued.sort((a, b) => b[1] - a[1]);
    for (const [connection, bytes] of queued) {
      if (total <= budget) break;
      connection.close(CloseCode.TryAgain, 'client too slow');
      // The memory is wanted now: a close frame would wait behind the queue for ws's close timeout.
      this.socketOf.get(connection)?.terminate();
      total -= bytes;
    }
  }

  /** Rechecks every open socket of `userId` against the user's current rights. */
  recheckUser(userId: string): Promise<void> {
    return this.recheckConnections([...(this.byUser.get(userId) ?? [])]);
  }

  private recheckAll(): void {
    // One round at a time: a store that answers slowly (PostgreSQL) never gets rounds piled up.
    if (this.recheckRound !== null) return;
    this.recheckRound = this.recheckConnections([...this.connections]).finally(() => {
      this.recheckRound = null;
    });
  }

  /** Looks the users of these sockets up in one batch, then applies each one's current rights. */
  private async recheckConnections(connections: Connection[]): Promise<void> {
    if (!this.opts.multiuser) return;
    const open = connections.filter((connection) => !connection.closed);
    if (open.length === 0) return;
    // Lookups may resolve out of order: a socket keeps the verdict of the latest lookup started.
    const started = ++this.recheckCounter;
    let current: Map<string, Principal | null>;
    try {
      current = await this.opts.identity.currentMany(open.map((connection) => connection.principal.userId));
    } catch (error) {
      this.log(`rights recheck failed: ${String(error)}`);
      return;
    }
    for (const connection of open) {
      if ((this.lastRecheckOf.get(connection) ?? 0) > started) continue;
      this.lastRecheckOf.set(connection, started);
      this.applyRights(connection, current.get(connection.principal.userId) ?? null);
    }
  }

  private applyRights(connection: Connection, current: Principal | null): void {
    if (connection.closed) return;
    const access = current === null ? 'none' : accessFor(current, connection.room.name, { multiuser: true });
    if (current === null || access === 'none') {
      connection.close(CloseCode.Forbidden, 'access withdrawn');
      return;
    }
    // The socket's token was issued before the user's last password change: that session is signed out.
    if (connection.principal.tokenEpoch !== undefined && current.tokenEpoch !== connection.principal.tokenEpoch) {
      connection.close(CloseCode.Unauthorized, 'session revoked');
      return;
    }
    connection.principal = current;
    connection.access = access;
  }

  /**
   * Folds a loaded document's update log into its snapshot soon, in the document's chain (the
   * publisher asks after many bytes were written to `public`, whose updates are whole entries).
   */
  compactSoon(name: string): void {
    const room = this.registry.rooms.get(name);
    if (room !== undefined && !room.broken) this.registry.compactSoon(room);
  }

  /**
   * Drops a loaded document without writing it back: its sockets are closed with `code`, what was
   * accepted is committed and its hooks run, and the room leaves memory without the compaction an
   * unload would write (the library of a deleted user, whose document another node may already have
   * removed from the store). Nothing happens when the document is not loaded here.
   */
  async dropDocument(name: string, code: number, reason: string): Promise<void> {
    const room = this.registry.rooms.get(name);
    if (room === undefined || room.broken) return;
    for (const connection of [...this.connections]) if (connection.room === room) connection.close(code, reason);
    await this.queue.flush();
    if (room.broken || this.registry.rooms.get(name) !== room) return;
    this.registry.evict(room);
  }

  /**
   * Runs `fn` on the loaded document (loading it first if needed) and resolves once every change
   * `fn` made is committed and forwarded, and every extension's onCommitted hook has run for them.
   * Changes made with doc.transact(fn) count as the server's (origins.ts: a ServerOrigin may say why).
   */
  async withDocument<T>(name: string, fn: (doc: Y.Doc) => T | Promise<T>): Promise<T> {
    if (this.closing) throw new Error('sync server is shutting down');
    const use = this.useDocument(name, fn);
    this.serverUses.add(use);
    try {
      return await use;
    } finally {
      this.serverUses.delete(use);
    }
  }

  /**
   * Bytes the store holds for a document (snapshot plus log, as counted for quotas), loading it if
   * needed.
   */
  async documentBytes(name: string): Promise<number> {
    const room = await this.registry.acquire(name);
    try {
      return room.storedBytes;
    } finally {
      if (!room.broken) this.registry.release(room);
    }
  }

  /**
   * Every change of a served doc comes here before its commit. A client's update was checked against
   * the quota before it was applied (Connection), except one that also deletes (it may free what it
   * adds); that one and server-side writes (withDocument) are measured now that they are in the doc,
   * exactly, and one over the quota is refused like a failed commit.
   */
  private enqueue(room: DocumentRoom, update: Uint8Array, origin: unknown): void {
    const typed = originOf(origin);
    if (typed.kind !== 'client' || typed.connection.quotaAtCommit) {
      const refusal = room.quotaRefusal(update, true);
      if (refusal !== null) {
        this.commitFailed([{ room, update, origin }], refusal);
        return;
      }
    }
    this.queue.enqueue({ room, update, origin });
  }

  private async useDocument<T>(name: string, fn: (doc: Y.Doc) => T | Promise<T>): Promise<T> {
    const room = await this.registry.acquire(name);
    try {
      const result = await fn(room.doc);
      await this.queue.flush();
      if (room.broken) {
        // Already logged by commitFailed: REST answers it with 507 and its reason, without a second line.
        if (room.brokenBy instanceof QuotaExceededError || room.brokenBy instanceof StorageError) throw room.brokenBy;
        throw new StorageError('failed', `changes to ${name} could not be stored`, true);
      }
      // Callers may read what the hooks derive (the library's index) as soon as this resolves.
      await this.runHooks(room);
      return result;
    } finally {
      await this.queue.flush();
      if (!room.broken) this.registry.release(room);
    }
  }

  /**
   * Before a document is read from the store: its fan-out subscription, live once this resolves, so
   * an update committed elsewhere during the load is buffered rather than missed (room-link.ts).
   */
  private async subscribe(name: string): Promise<RoomLink | null> {
    const fanout = this.opts.fanout;
    if (fanout === undefined) return null;
    const link = new RoomLink(name, {
      nodeId: this.nodeId,
      store: this.opts.store,
      log: this.log,
      remoteApplied: (room, update, seq, nodeId) => this.remoteApplied(room, update, seq, nodeId),
      remoteAwareness: (room, message) => this.remoteAwareness(room, message),
    });
    this.openLinks.add(link);
    try {
      link.subscription = await fanout.subscribe(name, {
        update: (message) => link.receiveUpdate(message),
        awareness: (message) => link.receiveAwareness(message),
      });
    } catch (error) {
      this.openLinks.delete(link);
      throw error;
    }
    return link;
  }

  private async roomLoaded(room: DocumentRoom, link: RoomLink | null): Promise<void> {
    this.loadedAny = true;
    // onLoaded goes first in the room's hook chain, so the onRemoteUpdate calls of updates that
    // arrived during the load follow it; it runs once the buffered updates are in the doc.
    const loaded = this.afterHooksOf(room, () => this.runExtensions('onLoaded', (extension) => extension.onLoaded?.(contextOf(room))));
    if (link !== null) {
      this.links.set(room, link);
      link.attach(room);
    }
    await loaded;
  }

  /** Runs one hook of every extension in order, each awaited; a failure is logged with the extension's name. */
  private async runExtensions(hook: keyof Extension, call: (extension: Extension) => void | Promise<void>): Promise<void> {
    for (const extension of [...this.extensions]) {
      if (extension[hook] === undefined) continue;
      try {
        await call(extension);
      } catch (error) {
        // A store that refused (a full disk, a lost database) is one line, as everywhere; a bug keeps its stack.
        const detail = storageErrorOf(error, false) !== null ? describeStoreError(error) : error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.log(`extension ${extension.name}: ${hook} failed: ${detail}`);
      }
    }
  }

  /** A remote update is in the room's doc: the extensions' onRemoteUpdate, in the room's hook order. */
  private remoteApplied(room: DocumentRoom, update: Uint8Array, seq: number, nodeId: string): void {
    // Other nodes' updates grow this document's log too; each node compacts its own copy.
    if (room.compactionDue(this.compactEvery)) this.registry.compactSoon(room);
    if (!this.extensions.some((extension) => extension.onRemoteUpdate !== undefined)) return;
    void this.afterHooksOf(room, () =>
      this.runExtensions('onRemoteUpdate', (extension) => extension.onRemoteUpdate?.({ ...contextOf(room), update, seq, nodeId })),
    );
  }

  /** Awareness another node accepted from its clients: applied to the room's relay and forwarded to its members. */
  private remoteAwareness(room: DocumentRoom, message: FanoutAwareness): void {
    let decoded;
    try {
      decoded = decodeFrame(message.frame);
    } catch (error) {
      this.log(`awareness from node ${message.nodeId} for ${room.name} cannot be read: ${String(error)}`);
      return;
    }
    if (decoded.kind === 'awareness') room.applyRemoteAwareness(message.nodeId, decoded.entries);
  }

  /** Awareness this node accepted from its clients (and their removals), for the other nodes. */
  private publishAwareness(room: DocumentRoom, entries: AwarenessEntry[]): void {
    this.opts.fanout?.publishAwareness({ doc: room.name, frame: encodeAwareness(entries), nodeId: this.nodeId });
  }

  /** Durable now: forwarded first (the latency that matters), then the bookkeeping. */
  private committed(batch: QueuedUpdate<DocumentRoom>[], lastSeq: Map<string, number>): void {
    const hooked = this.extensions.some((extension) => extension.onCommitted !== undefined);
    const fanout = this.opts.fanout;
    // The store numbers the entries of one document consecutively in batch order, ending at its
    // lastSeq: each update's own seq is that minus the entries of its document after it.
    const seqs = seqsOf(batch, lastSeq);
    for (let i = 0; i < batch.length; i++) {
      const { room, update, origin } = batch[i]!;
      room.forward(update, origin);
      fanout?.publishUpdate({ doc: room.name, seq: seqs[i]!, update, nodeId: this.nodeId });
    }
    for (let i = 0; i < batch.length; i++) {
      const { room, update, origin } = batch[i]!;
      const seq = seqs[i]!;
      const link = this.links.get(room);
      if (link !== undefined) link.ownCommitted(seq);
      else if (seq > room.committedSeq) room.committedSeq = seq;
      room.sinceCompaction++;
      room.storedBytes += update.length;
      room.settled(1);
      if (hooked) this.hookDue(room, update, origin, seq);
      if (room.compactionDue(this.compactEvery)) this.registry.compactSoon(room);
    }
  }

  /**
   * onCommitted runs once per room per event-loop turn with every update of that turn, not once per
   * commit: with one commit per update, a burst (a client's offline edits arriving at reconnect)
   * would otherwise run the library's indexing per update, and the hook's work would sit between
   * one frame's forward and the next frame's. It still runs before withDocument resolves and before
   * a room is unloaded or dropped (runHooks).
   */
  private hookDue(room: DocumentRoom, update: Uint8Array, origin: unknown, seq: number): void {
    const due = this.hooksDue.get(room);
    if (due !== undefined) {
      due.updates.push(update);
      due.origins.push(originOf(origin));
      due.seq = seq;
    } else this.hooksDue.set(room, { updates: [update], origins: [originOf(origin)], seq });
    if (!this.hooksScheduled) {
      this.hooksScheduled = true;
      // After the turn's grouped commit (commit-queue.ts), in the same pass: its hooks wait no longer.
      atEndOfTurn(() => void this.runHooks());
    }
  }

  /**
   * Runs the due onCommitted hooks: of one room, or of all (a hook's own writes are due next turn).
   * Resolves when they (and, for one room, any run of its hooks still in progress) are done.
   */
  private runHooks(only?: DocumentRoom): Promise<void> {
    let due: Array<[DocumentRoom, CommittedDue]>;
    if (only !== undefined) {
      const mine = this.hooksDue.get(only);
      if (mine === undefined) return this.hookTails.get(only) ?? Promise.resolve();
      this.hooksDue.delete(only);
      due = [[only, mine]];
    } else {
      this.hooksScheduled = false;
      due = [...this.hooksDue];
      this.hooksDue.clear();
    }
    const runs: Promise<void>[] = [];
    for (const [room, { updates, origins, seq }] of due) {
      runs.push(
        this.afterHooksOf(room, () =>
          this.runExtensions('onCommitted', (extension) => extension.onCommitted?.({ ...contextOf(room), updates, origins, seq })),
        ),
      );
    }
    return Promise.all(runs).then(() => undefined);
  }

  /** Chains `run` after the room's hooks in progress (runExtensions never rejects). */
  private afterHooksOf(room: DocumentRoom, run: () => Promise<void>): Promise<void> {
    const tail = (this.hookTails.get(room) ?? Promise.resolve()).then(run);
    this.hookTails.set(room, tail);
    void tail.then(() => {
      if (this.hookTails.get(room) === tail) this.hookTails.delete(room);
    });
    return tail;
  }

  /**
   * The store refused a batch (or a server-side write was over the quota). Memory now holds changes
   * the store does not, so the affected rooms are dropped and their clients told to come back (1013,
   * with the reason: 'storage full' while the disk is full): on reconnect they sync from the store
   * and send their own changes again, which they still hold (the app keeps them in IndexedDB).
   * One log line per refused batch, without a stack.
   */
  private commitFailed(batch: QueuedUpdate<DocumentRoom>[], error: unknown): void {
    const names = [...new Set(batch.map((entry) => entry.room.name))].join(', ');
    let cause: QuotaExceededError | StorageError;
    let reason: string;
    if (error instanceof QuotaExceededError) {
      cause = error;
      reason = 'storage quota exceeded';
      this.log(`refused a change to ${names}: over the storage quota (${megabytes(error.usedBytes)} of ${megabytes(error.limitBytes)} MB)`);
    } else {
      cause = storageErrorOf(error, true) ?? new StorageError('failed', describeStoreError(error), true);
      reason = cause.kind === 'full' ? 'storage full' : cause.kind === 'unavailable' ? 'storage unavailable' : 'storage failure';
      this.log(`storing ${batch.length} update(s) of ${names} failed, nothing forwarded: ${cause.storeMessage}`);
    }
    const senders = new Set(batch.map((entry) => entry.origin));
    for (const room of new Set(batch.map((entry) => entry.room))) {
      if (room.broken) continue;
      room.brokenBy = cause;
      this.registry.evict(room);
      for (const connection of [...this.connections]) {
        if (connection.room !== room) continue;
        // The device whose update was over the quota is told so (final); the others reload the document.
        if (cause instanceof QuotaExceededError && senders.has(connection)) {
          connection.close(CloseCode.QuotaExceeded, `storage quota exceeded: ${cause.usedBytes} of ${cause.limitBytes} bytes`);
        } else connection.close(CloseCode.TryAgain, reason);
      }
    }
  }

  stats(): SyncStats {
    let queuedBytes = 0;
    for (const connection of this.connections) queuedBytes += connection.queuedBytes;
    return { rooms: this.registry.rooms.size, connections: this.connections.size, pending: this.pendingSockets.size, queuedBytes };
  }

  /**
   * Stops accepting, closes every socket with 1013, waits for server-side writes, commits
   * everything accepted and unloads (compacts) every document. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.recheckTimer);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.queueBudgetTimer);
    this.stopListening();
    this.stopResetListener();
    for (const ws of this.pendingSockets) ws.close(CloseCode.TryAgain, 'server shutting down');
    for (const connection of [...this.connections]) connection.close(CloseCode.TryAgain, 'server shutting down');
    await Promise.allSettled([...this.serverUses]);
    await this.queue.flush();
    await this.registry.unloadAll();
    await this.queue.flush();
    await this.runHooks();
    // Peers get a moment to answer the close handshake; then the sockets are cut so the process can exit.
    await Promise.race([Promise.all([...this.wss.clients].map(closedOf)), delay(1000)]);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Committed updates of one room waiting for its onCommitted hooks; seq: the store's seq of the last. */
interface CommittedDue {
  updates: Uint8Array[];
  origins: ChangeOrigin[];
  seq: number;
}

/** Each batch entry's own store seq (see committed). */
function seqsOf(batch: readonly QueuedUpdate<DocumentRoom>[], lastSeq: Map<string, number>): number[] {
  const after = new Map<string, number>();
  const seqs = new Array<number>(batch.length);
  for (let i = batch.length - 1; i >= 0; i--) {
    const name = batch[i]!.room.name;
    const later = after.get(name) ?? 0;
    seqs[i] = (lastSeq.get(name) ?? 0) - later;
    after.set(name, later + 1);
  }
  return seqs;
}

function contextOf(room: DocumentRoom): DocumentContext {
  return {
    name: room.name,
    doc: room.doc,
    get committedSeq() {
      return room.committedSeq;
    },
  };
}

/**
 * The socket as a Connection sees it. Progress inside one large write is visible only on the TCP
 * handle (libuv's writeQueueSize, which Node's own socket timeout reads too); `ws` keeps that socket
 * private, but it is the upgraded request's socket.
 *
 * Socket writes are batched per turn (turn.ts): the first frame of a turn is written at once (an
 * edit's latency), and when more follow in the same turn (a grouped commit forwarding several
 * updates, awareness after an update) the socket is corked until the end of the turn, so they leave
 * in one write system call instead of one each. `ws` corks around every frame itself; corks nest.
 */
function syncSocketOf(ws: WebSocket, req: IncomingMessage): SyncSocket {
  const tcp = req.socket as unknown as { _handle?: { writeQueueSize?: unknown } | null };
  const raw = req.socket;
  let lastTurn = -1;
  let corked = false;
  const uncork = () => {
    corked = false;
    raw.uncork();
  };
  return {
    send: (frame) => {
      const turn = currentTurn();
      if (turn !== lastTurn) lastTurn = turn;
      else if (!corked) {
        corked = true;
        raw.cork();
        atEndOfTurn(uncork);
      }
      ws.send(frame);
    },
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get unsentOfCurrentWrite() {
      const size = tcp._handle?.writeQueueSize;
      return typeof size === 'number' ? size : 0;
    },
  };
}

/** `null` stands for a text frame: the protocol is binary only. */
function deliver(connection: Connection, frame: Uint8Array | null): void {
  if (frame === null) connection.refuseTextFrame();
  else connection.handleFrame(frame);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function isOpen(ws: WebSocket): boolean {
  return ws.readyState === ws.OPEN;
}

function closedOf(ws: WebSocket): Promise<void> {
  return ws.readyState === ws.CLOSED ? Promise.resolve() : new Promise((resolve) => ws.once('close', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `/sync/<document>?token=…`; document null when the path is not a decodable document path. */
export function parseTarget(url: string): { document: string | null; token: string | undefined } {
  const parsed = new URL(url, 'http://localhost');
  const token = parsed.searchParams.get('token') ?? undefined;
  const prefix = SYNC_PATH + '/';
  if (!parsed.pathname.startsWith(prefix)) return { document: null, token };
  try {
    return { document: decodeURIComponent(parsed.pathname.slice(prefix.length)), token };
  } catch {
    return { document: null, token };
  }
}
