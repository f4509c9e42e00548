// Hostile frames, generated from a seed so a failure can be replayed: random bytes, well-formed
// headers around random payloads, and real Yjs updates with bytes flipped. Whatever arrives, the
// server closes only the sending socket (4400, or 4413 for size), never crashes, keeps serving the
// other clients of the same document, stores nothing it could not load again, and restarts cleanly.
import { afterEach, beforeEach, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode, libraryDocument } from '../../shared/protocol.js';
import { prng } from '../shared/helpers.js';
import { createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from './clients.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const FRAMES = 120;

let ts: TestServer;
let alice: TestUser;
const clients: Client[] = [];
const raws: RawSocket[] = [];

beforeEach(async () => {
  ts = await startTestServer();
  const admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  await ts.close();
});

function hostileFrames(random: () => number, sample: Uint8Array): Uint8Array[] {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const frames: Uint8Array[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const kind = int(3);
    if (kind === 0) {
      frames.push(bytes(1 + int(64)));
    } else if (kind === 1) {
      // A valid sync or awareness header around a random payload.
      const encoder = encoding.createEncoder();
      const type = int(2);
      encoding.writeVarUint(encoder, type);
      if (type === 0) encoding.writeVarUint(encoder, int(3));
      encoding.writeVarUint8Array(encoder, bytes(int(48)));
      frames.push(encoding.toUint8Array(encoder));
    } else {
      // A real update (sync type 2) with a few bytes flipped.
      const mutated = sample.slice();
      for (let k = 0; k < 1 + int(4); k++) mutated[int(mutated.length)] = int(256);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, 0);
      encoding.writeVarUint(encoder, 2);
      encoding.writeVarUint8Array(encoder, mutated);
      frames.push(encoding.toUint8Array(encoder));
    }
  }
  return frames;
}

it(`seed ${SEED}: ${FRAMES} hostile frames close only their own sockets; peers, storage and restart are unharmed`, async () => {
  const name = libraryDocument(alice.userId);
  const writer = connect(ts.wsUrl, name, alice.token);
  const reader = connect(ts.wsUrl, name, alice.token);
  clients.push(writer, reader);
  await Promise.all([synced(writer), synced(reader)]);

  const source = new Y.Doc();
  source.getMap('workflows').set('w', new Y.Map([['name', 'sample'] as [string, unknown]]));
  const sample = Y.encodeStateAsUpdate(source);
  source.destroy();

  const codes = new Map<number, number>();
  let socket: RawSocket | null = null;
  for (const frame of hostileFrames(prng(SEED), sample)) {
    if (socket === null) {
      socket = rawSocket(`${ts.wsUrl}/${name}?token=${encodeURIComponent(alice.token)}`);
      raws.push(socket);
      await socket.opened;
    }
    socket.ws.send(frame);
    // Either the server closes this socket, or the frame was harmless and the socket lives on: ask
    // for awareness (type 3) after it, which the server answers, to know which without waiting.
    const marker = encoding.encode((e) => encoding.writeVarUint(e, 3));
    socket.ws.send(marker);
    const outcome = await Promise.race([
      socket.closed.then((c) => c.code),
      new Promise<null>((resolve) => socket!.ws.once('message', () => resolve(null))),
    ]);
    if (outcome !== null) {
      codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
      socket = null;
    }
  }
  for (const code of codes.keys()) expect([CloseCode.BadFrame, CloseCode.TooLarge]).toContain(code);
  expect(codes.get(CloseCode.BadFrame) ?? 0).toBeGreaterThan(0);

  writer.doc.getMap('workflows').set('after', 'still works');
  await waitFor(() => reader.doc.getMap('workflows').get('after') === 'still works', 'an edit after the fuzzing');

  // What was stored loads again: restart and read it back with a fresh client.
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  ts = await ts.restart();
  const again = connect(ts.wsUrl, name, alice.token, new Y.Doc());
  clients.push(again);
  await synced(again);
  expect(again.doc.getMap('workflows').get('after')).toBe('still works');
});
