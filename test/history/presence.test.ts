// Presence (issue 12 item 4) never leaks beyond the users who may open the document: awareness on a
// library document reaches the owner's other devices and administrators; on `public`, which every
// user reads, the server drops it (HISTORY design: readers there would see each other).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { libraryDocument, PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { createUser, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, rawSocket, synced, waitFor, type Client } from '../sync/clients.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(ts: TestServer, document: string, token: string): Client {
  const c = connect(ts.wsUrl, document, token);
  cleanups.push(() => c.destroy());
  return c;
}

/**
 * Sends an awareness state on `document` from a raw socket, then a sync step 1, and resolves when the
 * server has answered it: frames of one socket are handled in order, so the awareness frame has been
 * handled (relayed or dropped) by then. Returns the client id of the state.
 */
async function announce(ts: TestServer, document: string, token: string, state: Record<string, unknown>): Promise<number> {
  const socket = rawSocket(`${ts.wsUrl}/${document}?token=${encodeURIComponent(token)}`);
  cleanups.push(() => socket.ws.close());
  await socket.opened;
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  awareness.setLocalState(state);
  const presence = encoding.createEncoder();
  encoding.writeVarUint(presence, 1);
  encoding.writeVarUint8Array(presence, awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID]));
  socket.ws.send(encoding.toUint8Array(presence));
  const step1 = encoding.createEncoder();
  encoding.writeVarUint(step1, 0);
  syncProtocol.writeSyncStep1(step1, new Y.Doc());
  socket.ws.send(encoding.toUint8Array(step1));
  const isStep2 = (frame: Uint8Array) => {
    const decoder = decoding.createDecoder(frame);
    return decoding.readVarUint(decoder) === 0 && decoding.readVarUint(decoder) === syncProtocol.messageYjsSyncStep2;
  };
  await waitFor(() => socket.frames.some(isStep2), 'the answer to sync step 1');
  return awareness.clientID;
}

describe('presence', () => {
  it('reaches an administrator on the owner\'s library document but never another reader on public', async () => {
    const ts = await startTestServer();
    cleanups.push(() => ts.close());
    const admin = await setupAdmin(ts);
    const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
    const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });

    // On the library document: an administrator (who may open it) sees Alice's device.
    const onLibrary = await announce(ts, libraryDocument(alice.userId), alice.token, { user: { id: alice.userId }, workflow: 'w1', selection: ['n1'] });
    const adminView = client(ts, libraryDocument(alice.userId), admin.token);
    await synced(adminView);
    await waitFor(() => adminView.provider.awareness.getStates().has(onLibrary), 'the administrator to see the device');
    expect(adminView.provider.awareness.getStates().get(onLibrary)).toMatchObject({ workflow: 'w1', selection: ['n1'] });

    // On public: dropped, so Bob, reading public after it was handled, never sees it.
    const onPublic = await announce(ts, PUBLIC_DOCUMENT, alice.token, { user: { id: alice.userId }, workflow: 'w1' });
    const bobView = client(ts, PUBLIC_DOCUMENT, bob.token);
    await synced(bobView);
    const stateOfBob = bobView.provider.awareness.clientID;
    expect([...bobView.provider.awareness.getStates().keys()].filter((id) => id !== stateOfBob)).toEqual([]);
    expect(bobView.provider.awareness.getStates().has(onPublic)).toBe(false);
  });
});
