// Keeps other web sites from using Flowshelf through a visitor's browser (issue 9, "3."). A browser
// lets any page send a POST (a form, or a multipart fetch that needs no CORS preflight) and open a
// WebSocket to any address, including 127.0.0.1, and a DNS-rebinding page can make its own name point
// at this server. Two checks close that:
//
// - Host: every HTTP request and socket must name a host this server answers to. A rebinding page has
//   to use its own domain name, so refusing unknown names defeats it. Allowed: the --host the server is
//   bound to; when that is a loopback address, also localhost, 127.0.0.1 and [::1]; when it is every
//   interface (0.0.0.0 or ::), any IP address literal (no one can rebind an address), localhost and
//   this machine's host name. Anything else only through --allowed-hosts ('*' turns the check off,
//   e.g. behind a proxy that already checks names). The port is not compared: rebinding needs the name.
//   Refused with 421 Misdirected Request, the status for "not a host this server serves".
// - Origin: a state-changing request (POST, PUT, PATCH, DELETE) and every WebSocket upgrade that
//   carries an Origin must come from the server's own origin (the same host and port as the request's
//   Host) or one listed in --allowed-origins; `Origin: null` (sandboxed frames, file pages) is refused.
//   Without Origin, `Sec-Fetch-Site: cross-site` or `same-site` (another port on the same host is a
//   different site's page) is refused. Scripts send neither header (curl, InvokeAI scripts, the stock
//   y-websocket client in Node), so they keep working. Refused with 403.
//
// Sockets are refused the way the sync server refuses everything: accepted, then closed with 4403
// (final, so y-websocket stops retrying, and a page sees the code), never an HTTP error a browser
// hides behind 1006 and retries forever.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname as machineHostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../../shared/protocol.js';

export interface OriginGuardOptions {
  /** The address the server is bound to (--host). */
  host: string;
  /** Extra host names or addresses, or '*' for any (--allowed-hosts). */
  allowedHosts: readonly string[];
  /** Extra origins whose pages may write (--allowed-origins), in URL's normal form. */
  allowedOrigins: readonly string[];
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** How long a refused socket may take to acknowledge its close before it is cut. */
const REFUSED_SOCKET_GRACE_MS = 1000;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The hostname URL would give for `host` (lowercased, IPv6 bracketed, IPv4 in dotted form), or null. */
function normalHostname(host: string): string | null {
  try {
    const url = new URL(`http://${host}`);
    return url.username === '' && url.pathname === '/' ? url.hostname : null;
  } catch {
    return null;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function isIpLiteral(hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/** Shortens what a client sent before it goes into an error message. */
function quoted(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(short);
}

export class OriginGuard {
  private readonly anyHost: boolean;
  private readonly anyIp: boolean;
  private readonly hosts = new Set<string>();
  private readonly origins: Set<string>;
  /** Accepts refused sockets only to close them with a code. */
  private readonly refusals = new WebSocketServer({ noServer: true, maxPayload: 1024 });

  constructor(options: OriginGuardOptions) {
    this.anyHost = options.allowedHosts.includes('*');
    const bound = normalHostname(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host);
    const wildcard = bound === '0.0.0.0' || bound === '[::]';
    this.anyIp = wildcard;
    if (bound !== null && !wildcard) this.hosts.add(bound);
    if (wildcard || (bound !== null && isLoopback(bound))) for (const name of LOOPBACK_NAMES) this.hosts.add(name);
    if (wildcard) {
      const own = normalHostname(machineHostname());
      if (own !== null) this.hosts.add(own);
    }
    for (const name of options.allowedHosts) if (name !== '*') this.hosts.add(name);
    this.origins = new Set(options.allowedOrigins);
  }

  /** Why a request with this Host header must not be served, or null when it may be. */
  hostProblem(hostHeader: string | undefined): string | null {
    // HTTP/1.0 without Host: no browser sends that, so there is nothing to rebind.
    if (hostHeader === undefined || this.anyHost) return null;
    const name = normalHostname(hostHeader);
    if (name !== null && (this.hosts.has(name) || (this.anyIp && isIpLiteral(name)))) return null;
    return `This server does not answer to the host ${quoted(hostHeader)}; start it with --allowed-hosts to add a name`;
  }

  /** Why a request with these headers must not change anything or open a socket, or null. */
  originProblem(headers: IncomingHttpHeaders): string | null {
    const origin = headers.origin;
    if (origin === undefined) {
      const site = headers['sec-fetch-site'];
      if (site === 'cross-site' || site === 'same-site') return `Cross-site request refused (Sec-Fetch-Site: ${site})`;
      return null;
    }
    if (this.isOwnOrAllowed(origin, headers.host)) return null;
    return `Cross-origin request refused: origin ${quoted(origin)} is not this server's; start it with --allowed-origins to allow one`;
  }

  private isOwnOrAllowed(origin: string, hostHeader: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // 'null' and anything malformed
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (this.origins.has(url.origin)) return true;
    if (hostHeader === undefined) return false;
    // Same origin: the page was loaded from the host and port this request was sent to. The scheme
    // is not compared: behind a TLS proxy the page is https and the request reaches us as http.
    let requested: URL;
    try {
      requested = new URL(`${url.protocol}//${hostHeader}`);
    } catch {
      return false;
    }
    return requested.host === url.host;
  }

  /** Checks Host on every request and Origin on state-changing ones, before any body is read. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const hostProblem = this.hostProblem(request.headers.host);
      if (hostProblem !== null) {
        void reply.code(421).send({ detail: hostProblem });
        return;
      }
      if (STATE_CHANGING.has(request.method)) {
        const originProblem = this.originProblem(request.headers);
        if (originProblem !== null) {
          void reply.code(403).send({ detail: originProblem });
          return;
        }
      }
      done();
    });
  }

  /** Why this WebSocket upgrade must be refused, or null. Upgrades are GETs but open a read-write channel. */
  upgradeProblem(req: IncomingMessage): string | null {
    return this.hostProblem(req.headers.host) ?? this.originProblem(req.headers);
  }

  /** Completes the handshake and closes at once with 4403, so the page sees a final code and no data. */
  refuseUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, problem: string): void {
    this.refusals.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      // A close reason is at most 123 bytes; the full reason is in the HTTP answers, the code says enough.
      ws.close(CloseCode.Forbidden, problem.startsWith('This server') ? 'host not allowed' : 'origin not allowed');
      // ws would wait 30 s for the peer's close frame; a page that never answers must not hold the
      // socket that long. One second is ample for the close frame to leave.
      const cut = setTimeout(() => ws.terminate(), REFUSED_SOCKET_GRACE_MS);
      cut.unref();
      ws.once('close', () => clearTimeout(cut));
    });
  }

  /** Cuts refused sockets still waiting for the peer's close frame. */
  close(): void {
    for (const ws of this.refusals.clients) ws.terminate();
    this.refusals.close();
  }
}
