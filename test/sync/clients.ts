// Sync test clients: the stock y-websocket provider (as a browser would use it) and a raw socket
// that records every frame it receives, for checks at the byte level.
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Close codes the server sent, in order. */
  closeCodes: number[];
  destroy(): void;
}

export function connect(wsUrl: string, document: string, token: string | undefined, doc = new Y.Doc()): Client {
  const provider = new WebsocketProvider(wsUrl, document, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: token === undefined ? {} : { token },
  });
  const closeCodes: number[] = [];
  provider.on('connection-close', (event) => {
    if (event) closeCodes.push(event.code);
  });
  return {
    doc,
    provider,
    closeCodes,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

export function synced(client: Client): Promise<void> {
  if (client.provider.synced) return Promise.resolve();
  return new Promise((resolve) => client.provider.once('sync', () => resolve()));
}

/** Polls `condition` until it holds or the deadline passes (then fails naming `what`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RawSocket {
  ws: WebSocket;
  frames: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
}

/** `options`: e.g. `autoPong: false` (a peer that stops answering pings), `localAddress` (another client address). */
export function rawSocket(url: string, options?: WebSocket.ClientOptions): RawSocket {
  const ws = new WebSocket(url, options);
  const frames: Uint8Array[] = [];
  ws.on('message', (data: Buffer) => frames.push(new Uint8Array(data)));
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
  return { ws, frames, closed, opened };
}

export interface Watched extends Client {
  /** Close reasons the server sent, in order (e.g. 'storage full'). */
  closeReasons: string[];
}

/** The client, also recording the reason of every close the server sent. */
export function watched(client: Client): Watched {
  const closeReasons: string[] = [];
  client.provider.on('connection-close', (event) => {
    if (event) closeReasons.push(event.reason);
  });
  return Object.assign(client, { closeReasons });
}
