// Bounds on what idle or half-sent HTTP connections can hold: time limits on a request, and a cap on
// simultaneous connections per client address so that one address cannot take every file descriptor
// and leave other clients unanswered. Sync sockets are counted apart from HTTP connections once
// upgraded (the sync server applies its own caps to them, with close codes).
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { clientAddressKey } from '../client-address.js';

export interface HttpTimeouts {
  /** Time to receive a whole request (headers and body); then 408 and the connection is closed. */
  requestTimeout: number;
  /** Time to receive the headers; Node requires it not to exceed requestTimeout. */
  headersTimeout: number;
  /** How long an idle keep-alive connection is kept between requests. */
  keepAliveTimeout: number;
  /** How often Node looks for requests past those limits (it checks on an interval, default 30 s). */
  connectionsCheckingInterval: number;
}

/** Browsers send their headers at once; a body may take long on a slow uplink (up to the frame limit). */
const HEADERS_TIMEOUT_MS = 10_000;
/** Node's own default; Fastify's 72 s suits a load balancer in front, but idle connections count here. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export function httpTimeouts(requestTimeoutMs: number): HttpTimeouts {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // A request is answered 408 at most a quarter of its limit late.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(requestTimeoutMs / 4))),
  };
}

/** Options for http.createServer (Fastify's `http` option); Fastify sets the other two itself. */
export function httpServerOptions(timeouts: HttpTimeouts): ServerOptions {
  return { headersTimeout: timeouts.headersTimeout, connectionsCheckingInterval: timeouts.connectionsCheckingInterval };
}

export interface AddressLimits {
  /** HTTP connections (requests, and upgrades until they are upgraded). */
  http: number;
  /** Upgraded connections (sync sockets), whatever the sync server then makes of them. */
  upgraded: number;
}

/**
 * Refuses a new connection from an address (IPv6: a /64) that already holds `limits.http` HTTP
 * connections, or `limits.http + limits.upgraded` connections in all, with a 503; the connections
 * already open are served as usual. Upgraded sockets stay counted until they close: the sync server
 * closes the ones over its own caps with a close code, but a peer that never completes the close
 * handshake holds its socket for ws's 30 s close timeout, and a flood of those must meet a limit too.
 * Call before the server listens.
 */
export function limitConnectionsPerAddress(server: Server, limits: AddressLimits): void {
  const open = new Map<string, { http: number; upgraded: number }>();
  const counted = new WeakMap<Socket, { key: string; kind: 'http' | 'upgraded' }>();
  const release = (socket: Socket) => {
    const entry = counted.get(socket);
    if (entry === undefined) return;
    counted.delete(socket);
    const counts = open.get(entry.key);
    if (counts === undefined) return;
    counts[entry.kind]--;
    if (counts.http + counts.upgraded <= 0) open.delete(entry.key);
  };
  // The HTTP server's own 'connection' listener attaches its request parser. A refused connection
  // must never reach it (no handler may run for it), so it is called only for admitted ones.
  const httpListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const key = clientAddressKey(socket.remoteAddress);
    let counts = open.get(key);
    if (counts !== undefined && (counts.http >= limits.http || counts.http + counts.upgraded >= limits.http + limits.upgraded)) {
      refuse(socket);
      return;
    }
    if (counts === undefined) open.set(key, (counts = { http: 0, upgraded: 0 }));
    counts.http++;
    counted.set(socket, { key, kind: 'http' });
    socket.once('close', () => release(socket));
    for (const listener of httpListeners) listener.call(server, socket);
  });
  server.on('upgrade', (_req, socket: Socket) => {
    const entry = counted.get(socket);
    const counts = entry && open.get(entry.key);
    if (entry === undefined || counts === undefined || entry.kind !== 'http') return;
    counts.http--;
    counts.upgraded++;
    entry.kind = 'upgraded';
  });
}

/**
 * Answers 503 without reading the request. The socket is half-closed and what the client sends is
 * read and dropped until it closes (closing with unread data would reset the connection, and the
 * client could lose the answer), for a second at most: a flood of new connections must not hold them.
 */
function refuse(socket: Socket): void {
  socket.on('error', () => {});
  socket.setTimeout(1_000, () => socket.destroy());
  const body = JSON.stringify({ detail: 'Too many connections from this address' });
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Retry-After: 5\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.resume();
}

/**
 * Fastify's clientErrorHandler: Node's answers to a request that timed out or cannot be parsed, as
 * the JSON {"detail": ...} every other error of the API is (Fastify's default body has another shape).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way must not get a second one spliced into it.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      writeErrorAndClose(socket, 408, 'Request Timeout', 'The request was not received in time');
      return;
    case 'HPE_HEADER_OVERFLOW':
      writeErrorAndClose(socket, 431, 'Request Header Fields Too Large', 'The request headers are too large');
      return;
    default:
      writeErrorAndClose(socket, 400, 'Bad Request', 'Malformed HTTP request');
  }
}

/** As Node itself answers a request it cannot serve: write the answer, then close. */
function writeErrorAndClose(socket: Socket, status: number, statusText: string, detail: string): void {
  if (socket.writable) {
    const body = JSON.stringify({ detail });
    socket.write(
      `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
