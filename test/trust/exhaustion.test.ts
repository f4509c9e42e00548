// Exhaustion (issue 9, "7."): nobody can hold the server's connections. A request whose body never
// ends is answered 408 after the request timeout; one address cannot hold more than its share of HTTP
// connections or sync sockets (the extra ones are told why, the open ones kept); one user cannot hold
// more than their share of sync sockets; sockets that are not admitted yet are bounded in number.
// Other clients, from other addresses or of other users, are served throughout. Caps and timeouts are
// small here (options), so the floods stay small too.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { AppendEntry, DocumentStore } from '../../server/storage/document-store.js';
import { CloseCode, libraryDocument, PUBLIC_DOCUMENT, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createUser, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from '../sync/clients.js';
import { startSyncNode, type SyncNode } from '../sync/sync-node.js';
import { rawRequest } from './http.js';

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(config: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const ts = await startTestServer(config);
  cleanups.push(() => ts.close());
  return ts;
}

function raw(url: string, options?: WebSocket.ClientOptions): RawSocket {
  const r = rawSocket(url, options);
  cleanups.push(() => r.ws.terminate());
  return r;
}

function client(wsUrl: string, document: string, token: string | undefined): Client {
  const c = connect(wsUrl, document, token);
  cleanups.push(() => c.destroy());
  return c;
}

/** A TCP connection to the server that sends `head` and then nothing more; collects what comes back. */
function halfSent(ts: TestServer, head: string, localAddress = '127.0.0.1'): { socket: Socket; answer: Promise<string> } {
  const socket = tcpConnect({ host: '127.0.0.1', port: ts.server.port, localAddress });
  cleanups.push(() => socket.destroy());
  socket.write(head);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const answer = new Promise<string>((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { socket, answer };
}

function postHead(ts: TestServer, contentLength: number): string {
  return (
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${ts.server.port}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{"email":`
  );
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe('HTTP', () => {
  it('answers 408 with a reason and closes a request whose body never ends; sync sockets outlive the timeout', async () => {
    const ts = await server({ multiuser: false, config: { requestTimeoutMs: 400 } });
    // A sync socket is upgraded out of the HTTP request timeout: it must still be open afterwards.
    const syncing = client(ts.wsUrl, libraryDocument(SYSTEM_USER_ID), undefined);
    await synced(syncing);

    const { answer } = halfSent(ts, postHead(ts, 1000));
    const text = await answer;
    expect(statusOf(text)).toBe(408);
    expect(bodyOf(text)).toEqual({ detail: 'The request was not received in time' });

    expect(syncing.closeCodes).toEqual([]);
    expect(ts.server.services.sync.stats().connections).toBe(1);
    syncing.doc.getMap('m').set('after the timeout', true);
    const later = client(ts.wsUrl, libraryDocument(SYSTEM_USER_ID), undefined);
    await synced(later);
    await waitFor(() => later.doc.getMap('m').get('after the timeout') === true, 'an edit made after the timeout');
  });

  it('answers a malformed request with a JSON reason, as every other error', async () => {
    const ts = await server({ multiuser: false });
    const { answer } = halfSent(ts, 'NOT AN HTTP REQUEST\r\n\r\n');
    const text = await answer;
    expect(statusOf(text)).toBe(400);
    expect(bodyOf(text)).toEqual({ detail: 'Malformed HTTP request' });
  });

  it('half-sent requests from one address do not stop another address from being answered', async () => {
    const cap = 24;
    // The request timeout is far away: the flood holds its connections for the whole test.
    const ts = await server({ multiuser: true, config: { maxConnectionsPerIp: cap, requestTimeoutMs: 600_000 } });
    const flood = Array.from({ length: 3 * cap }, () => halfSent(ts, postHead(ts, 1000)));
    // The extra ones are refused at once with a reason; the first `cap` are kept open.
    const refused = await Promise.all(flood.slice(cap).map((f) => f.answer));
    for (const text of refused) {
      expect(statusOf(text)).toBe(503);
      expect(bodyOf(text)).toEqual({ detail: 'Too many connections from this address' });
    }
    expect(flood.slice(0, cap).every((f) => !f.socket.destroyed && f.socket.readyState === 'open')).toBe(true);
    // A complete request from the same address is refused too while the flood holds its share...
    expect((await rawRequest(ts.url, '/api/v1/auth/status')).status).toBe(503);
    // ...and one from another address is answered.
    const other = await rawRequest(ts.url, '/api/v1/auth/status', { localAddress: '127.0.0.2' });
    expect(other.status).toBe(200);
    expect(other.json).toMatchObject({ setup_required: true });

    // Once the flood goes, the address is served again.
    for (const f of flood) f.socket.destroy();
    const back = await retryUntil(() => rawRequest(ts.url, '/api/v1/auth/status'), (r) => r.status === 200);
    expect(back.status).toBe(200);
  });
});

/** Opens a WebSocket upgrade by hand and never reads past the status line: it answers no close frame. */
function deafUpgrade(ts: TestServer, localAddress = '127.0.0.1'): Promise<number> {
  const socket = tcpConnect({ host: '127.0.0.1', port: ts.server.port, localAddress });
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  socket.write(
    `GET /sync/${libraryDocument(SYSTEM_USER_ID)} HTTP/1.1\r\nHost: 127.0.0.1:${ts.server.port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return new Promise((resolve) =>
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(statusOf(chunk.toString('latin1')));
    }),
  );
}

/** Calls `attempt` until `done` holds of its result (the server releases closed connections a turn later). */
async function retryUntil<T>(attempt: () => Promise<T>, done: (result: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const result = await attempt();
    if (done(result) || i >= 50) return result;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sync sockets', () => {
  it('sockets refused by a cap stay counted until their peer closes them: a flood of deaf ones meets a limit', async () => {
    const cap = 4;
    const ts = await server({ multiuser: false, config: { maxSocketsPerIp: cap, maxConnectionsPerIp: cap } });
    const statuses: number[] = [];
    // One after another, so the order of admission is known.
    for (let i = 0; i < 5 * cap; i++) statuses.push(await deafUpgrade(ts));
    // `cap` admitted, `cap` more upgraded and closed with 1013 by the sync server (their peer never
    // answers, so they linger until ws's close timeout), every further one refused before the upgrade.
    expect(statuses).toEqual([...Array<number>(2 * cap).fill(101), ...Array<number>(3 * cap).fill(503)]);
    expect(ts.server.services.sync.stats().connections).toBe(cap);
    // Another address is served, over HTTP and sync alike.
    expect((await rawRequest(ts.url, '/api/v1/auth/status', { localAddress: '127.0.0.2' })).status).toBe(200);
    expect(await deafUpgrade(ts, '127.0.0.2')).toBe(101);
  });

  it('caps the sockets of one user: the extra ones are closed with 1013, the open ones kept, another user syncs', async () => {
    const cap = 8;
    const ts = await server({ multiuser: true, config: { maxSocketsPerUser: cap } });
    const admin = await setupAdmin(ts);
    const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
    const url = `${ts.wsUrl}/${libraryDocument(admin.userId)}?token=${admin.token}`;
    const held = Array.from({ length: cap }, () => raw(url));
    await Promise.all(held.map((h) => h.opened));
    await waitFor(() => ts.server.services.sync.stats().connections === cap, 'the first sockets admitted');

    const extra = Array.from({ length: 4 * cap }, () => raw(url));
    for (const e of extra) expect(await e.closed).toEqual({ code: CloseCode.TryAgain, reason: 'too many connections' });
    expect(ts.server.services.sync.stats().connections).toBe(cap);
    expect(held.every((h) => h.ws.readyState === WebSocket.OPEN)).toBe(true);

    // Another user connects and syncs as usual, and their edits arrive.
    const bobLaptop = client(ts.wsUrl, libraryDocument(bob.userId), bob.token);
    const bobPhone = client(ts.wsUrl, libraryDocument(bob.userId), bob.token);
    await Promise.all([synced(bobLaptop), synced(bobPhone)]);
    bobLaptop.doc.getMap('m').set('hello', 'from the laptop');
    await waitFor(() => bobPhone.doc.getMap('m').get('hello') === 'from the laptop', 'bob’s edit on his phone');

    // A slot freed is a slot the user may take again.
    held[0]!.ws.close();
    await waitFor(() => ts.server.services.sync.stats().connections === cap - 1 + 2, 'one held socket gone');
    const again = raw(url);
    await again.opened;
    await waitFor(() => ts.server.services.sync.stats().connections === cap + 2, 'the user’s new socket admitted');
  });

  describe('sockets not admitted yet', () => {
    // Single-user mode, with the library's load held open (as in test/sync/pre-auth.test.ts): every
    // socket to it stays not admitted for as long as the test needs.
    const HELD = libraryDocument(SYSTEM_USER_ID);
    let node: SyncNode;
    let release: () => void;

    async function startHeld(opts: { maxSocketsPerAddress: number; maxPendingSockets: number }): Promise<SyncNode> {
      const dir = mkdtempSync(join(tmpdir(), 'flowshelf-exhaustion-'));
      node = await startSyncNode(join(dir, 'flowshelf.db'), { ...opts, wrapStore: gated });
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      cleanups.push(() => node.close());
      cleanups.push(() => release());
      return node;
    }

    function gated(inner: DocumentStore): DocumentStore {
      const gate = new Promise<void>((resolve) => (release = resolve));
      return {
        load: async (name) => {
          if (name === HELD) await gate;
          return inner.load(name);
        },
        loadSince: (name, afterSeq) => inner.loadSince(name, afterSeq),
        storedSeqs: (prefix) => inner.storedSeqs(prefix),
        append: (batch) => inner.append(batch),
        ...(inner.appendSync ? { appendSync: (batch: readonly AppendEntry[]) => inner.appendSync!(batch) } : {}),
        compact: (name, state, uptoSeq) => inner.compact(name, state, uptoSeq),
        delete: (name) => inner.delete(name),
        close: () => inner.close(),
      };
    }

    it('a flood of unadmitted sockets from one address is capped, and a client from another address is served', async () => {
      const perAddress = 16;
      const n = await startHeld({ maxSocketsPerAddress: perAddress, maxPendingSockets: 1000 });
      const flood = Array.from({ length: 4 * perAddress }, () => raw(`${n.wsUrl}/${HELD}`));
      const refused = flood.slice(perAddress);
      for (const r of refused) expect(await r.closed).toEqual({ code: CloseCode.TryAgain, reason: 'too many connections' });
      expect(n.sync.stats().pending).toBe(perAddress);

      // The stock client from another address syncs `public` while the flood waits.
      const doc = new Y.Doc();
      class FromOtherAddress extends WebSocket {
        constructor(address: string | URL, protocols?: string | string[]) {
          super(address, protocols, { localAddress: '127.0.0.2' });
        }
      }
      const provider = new WebsocketProvider(n.wsUrl, PUBLIC_DOCUMENT, doc, {
        WebSocketPolyfill: FromOtherAddress as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      });
      cleanups.push(() => {
        provider.destroy();
        doc.destroy();
      });
      await new Promise<void>((resolve) => provider.once('sync', () => resolve()));

      // When the load completes, the first sockets are admitted: none of the flood was lost on the way.
      release();
      await waitFor(() => n.sync.stats().connections === perAddress + 1, 'the held sockets admitted');
    });

    it('bounds the sockets not admitted yet across addresses', async () => {
      const maxPending = 12;
      const n = await startHeld({ maxSocketsPerAddress: 1000, maxPendingSockets: maxPending });
      const addresses = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
      const flood = addresses.flatMap((localAddress) => Array.from({ length: maxPending }, () => raw(`${n.wsUrl}/${HELD}`, { localAddress })));
      const reasons: string[] = [];
      for (const r of flood) void r.closed.then((c) => reasons.push(`${c.code} ${c.reason}`));
      await Promise.all(flood.map((r) => r.opened));
      await waitFor(() => reasons.length === flood.length - maxPending, 'the sockets over the cap closed');
      expect(new Set(reasons)).toEqual(new Set([`${CloseCode.TryAgain} too many connections`]));
      expect(n.sync.stats().pending).toBe(maxPending);
    });
  });
});
