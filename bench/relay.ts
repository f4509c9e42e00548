// The reference for the benchmark: a minimal in-memory y-protocols relay with no auth, no
// persistence and no limits (what most Yjs servers amount to). One Y.Doc per room; step 1 is
// answered from it, every update is applied and forwarded at once.
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';

interface Room {
  doc: Y.Doc;
  sockets: Set<WebSocket>;
}

export function startRelay(port = 0): Promise<{ url: string; server: Server; rooms: Map<string, Room> }> {
  const rooms = new Map<string, Room>();
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice('/sync/'.length));
    let room = rooms.get(name);
    if (room === undefined) {
      const doc = new Y.Doc();
      const created: Room = { doc, sockets: new Set() };
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, 0);
        syncProtocol.writeUpdate(encoder, update);
        const frame = encoding.toUint8Array(encoder);
        for (const other of created.sockets) if (other !== origin) other.send(frame);
      });
      rooms.set(name, (room = created));
    }
    const current = room;
    current.sockets.add(ws);
    ws.on('close', () => current.sockets.delete(ws));
    ws.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(decoder) !== 0) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, 0);
      syncProtocol.readSyncMessage(decoder, encoder, current.doc, ws);
      if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder));
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    syncProtocol.writeSyncStep1(encoder, current.doc);
    ws.send(encoding.toUint8Array(encoder));
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ url: `ws://127.0.0.1:${address.port}/sync`, server, rooms });
    }),
  );
}
