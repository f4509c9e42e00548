// Bounds on what idle or half-sent HTTP connections can hold: time limits on a request, and a cap on
// simultaneous connections per client address so that one address cannot take every file descriptor
// and leave other clients unanswered. Sync sockets leave this count at their upgrade: the sync server
// counts them under its own caps (--max-sockets-per-ip) and closes extra ones with a close code.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { clientAddressKey } from './client-address.js';

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

/**
 * Refuses a connection beyond `maxPerAddress` open ones from the same address (IPv6: the same /64)
 * with a 503; the connections already open are served as usual. Call before the server listens.
 */
export function limitConnectionsPerAddress(server: Server, maxPerAddress: number): void {
  const open = new Map<string, number>();
  const counted = new WeakMap<Socket, string>();
  const release = (socket: Socket) => {
    const key = counted.get(socket);
    if (key === undefined) return;
    counted.delete(socket);
    const left = (open.get(key) ?? 1) - 1;
    if (left <= 0) open.delete(key);
    else open.set(key, left);
  };
  // The HTTP server's own 'connection' listener attaches its request parser. A refused connection
  // must never reach it (no handler may run for it), so it is called only for admitted ones.
  const httpListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const key = clientAddressKey(socket.remoteAddress);
    const count = open.get(key) ?? 0;
    if (count >= maxPerAddress) {
      refuse(socket);
      return;
    }
    open.set(key, count + 1);
    counted.set(socket, key);
    socket.once('close', () => release(socket));
    for (const listener of httpListeners) listener.call(server, socket);
  });
  server.on('upgrade', (_req, socket: Socket) => release(socket));
}

/**
 * Answers 503 without reading the request. The socket is half-closed and what the client sends is
 * read and dropped until it closes (closing with unread data would reset the connection, and the
 * client could lose the answer), for a few seconds at most.
 */
function refuse(socket: Socket): void {
  socket.on('error', () => {});
  socket.setTimeout(5_000, () => socket.destroy());
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
