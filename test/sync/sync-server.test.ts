import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { CloseCode, libraryDocument } from '../../shared/protocol.js';
import { api, createUser, setupAdmin, startTestServer, storedDocument, storeSql, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, rawSocket, synced, waitFor, type Client, type RawSocket } from './clients.js';

let ts: TestServer;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
const clients: Client[] = [];
const raws: RawSocket[] = [];

function client(document: string, token: string | undefined, doc?: Y.Doc): Client {
  const c = connect(ts.wsUrl, document, token, doc);
  clients.push(c);
  return c;
}

function raw(document: string, token?: string): RawSocket {
  const r = rawSocket(`${ts.wsUrl}/${document}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`);
  raws.push(r);
  return r;
}

function syncFrame(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

beforeEach(async () => {
  ts = await startTestServer({ config: { maxFrameBytes: 64 * 1024 } });
  admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
  bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of raws.splice(0)) r.ws.terminate();
  await ts.close();
});

describe('library documents', () => {
  it('the owner edits read-write and a second device of the same user receives the edit', async () => {
    const a1 = client(libraryDocument(alice.userId), alice.token);
    const a2 = client(libraryDocument(alice.userId), alice.token);
    await Promise.all([synced(a1), synced(a2)]);
    a1.doc.getMap('workflows').set('w1', 'hello');
    await waitFor(() => a2.doc.getMap('workflows').get('w1') === 'hello', 'edit on the second device');
  });

  it('another user is closed with 4403 and receives not a byte of the library', async () => {
    const owner = client(libraryDocument(alice.userId), alice.token);
    await synced(owner);
    owner.doc.getMap('workflows').set('secret', 'alice only');
    const intruder = raw(libraryDocument(alice.userId), bob.token);
    expect((await intruder.closed).code).toBe(CloseCode.Forbidden);
    expect(intruder.frames).toHaveLength(0);
    const viaProvider = client(libraryDocument(alice.userId), bob.token);
    await waitFor(() => viaProvider.closeCodes.length > 0, 'provider closed');
    expect(viaProvider.closeCodes).toEqual([CloseCode.Forbidden]);
    expect(viaProvider.doc.getMap('workflows').size).toBe(0);
  });

  it('an administrator edits another user’s library', async () => {
    const owner = client(libraryDocument(alice.userId), alice.token);
    const adm = client(libraryDocument(alice.userId), admin.token);
    await Promise.all([synced(owner), synced(adm)]);
    adm.doc.getMap('workflows').set('fixed', 'by admin');
    await waitFor(() => owner.doc.getMap('workflows').get('fixed') === 'by admin', 'admin edit at the owner');
  });

  it('a connection without a token or with a forged token is closed with 4401', async () => {
    const none = raw(libraryDocument(alice.userId));
    expect((await none.closed).code).toBe(CloseCode.Unauthorized);
    const [header, , signature] = alice.token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ user_id: bob.userId, email: bob.email, is_admin: true, exp: 4102444800 })).toString('base64url');
    const forged = raw(libraryDocument(alice.userId), `${header}.${forgedPayload}.${signature}`);
    expect((await forged.closed).code).toBe(CloseCode.Unauthorized);
    expect(none.frames.length + forged.frames.length).toBe(0);
  });

  it('an unknown document name is closed with 4403', async () => {
    const r = raw('library%2F..%2Fsecrets', alice.token);
    expect((await r.closed).code).toBe(CloseCode.Forbidden);
    expect(r.frames).toHaveLength(0);
  });
});

describe('rights on open sockets', () => {
  it('a token that expires on an open socket closes it with 4401', async () => {
    const { token } = await ts.server.services.tokens.sign({ ...alice, isAdmin: false }, { expiresAt: Math.floor(Date.now() / 1000) + 2 });
    const c = client(libraryDocument(alice.userId), token);
    await synced(c);
    await waitFor(() => c.closeCodes.length > 0, 'close at expiry', 6000);
    expect(c.closeCodes).toEqual([CloseCode.Unauthorized]);
  });

  it('a deactivated user loses the open socket with 4403', async () => {
    const c = client(libraryDocument(alice.userId), alice.token);
    await synced(c);
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${alice.userId}`, { is_active: false })).status).toBe(200);
    await waitFor(() => c.closeCodes.length > 0, 'close after deactivation', 3000);
    expect(c.closeCodes).toEqual([CloseCode.Forbidden]);
  });

  it('a deleted user loses the open socket with 4403', async () => {
    const c = client(libraryDocument(alice.userId), alice.token);
    await synced(c);
    expect((await api(ts, admin.token)('DELETE', `/api/v1/auth/users/${alice.userId}`)).status).toBe(204);
    await waitFor(() => c.closeCodes.length > 0, 'close after deletion', 3000);
    expect(c.closeCodes).toEqual([CloseCode.Forbidden]);
  });

  it('a demoted administrator loses another user’s library but keeps their own', async () => {
    const second = await createUser(ts, admin.token, { email: 'second@example.com', password: 'second-password-1', isAdmin: true });
    const theirs = client(libraryDocument(alice.userId), second.token);
    const own = client(libraryDocument(second.userId), second.token);
    await Promise.all([synced(theirs), synced(own)]);
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${second.userId}`, { is_admin: false })).status).toBe(200);
    await waitFor(() => theirs.closeCodes.length > 0, 'close after demotion', 3000);
    expect(theirs.closeCodes).toEqual([CloseCode.Forbidden]);
    expect(own.closeCodes).toEqual([]);
  });

  it('a user deactivated by another process (direct database write) is closed by the periodic recheck', async () => {
    const c = client(libraryDocument(alice.userId), alice.token);
    await synced(c);
    await storeSql(ts.server.backend, 'UPDATE users SET is_active = false WHERE user_id = ?', [alice.userId]);
    await waitFor(() => c.closeCodes.length > 0, 'close by periodic recheck', 5000);
    expect(c.closeCodes).toEqual([CloseCode.Forbidden]);
  });
});

describe('public document', () => {
  it('is read-only: a client write is not applied, stored or forwarded, and the socket stays open', async () => {
    const sync = ts.server.services.sync;
    await sync.withDocument('public', (doc) => doc.getMap('workflows').set('default-1', { name: 'Default' }));
    const writer = client('public', alice.token);
    const reader = client('public', bob.token);
    await Promise.all([synced(writer), synced(reader)]);
    expect(reader.doc.getMap('workflows').get('default-1')).toEqual({ name: 'Default' });
    writer.doc.getMap('workflows').set('vandal', 'x');
    // A later server write reaches both: the writer's socket is open, and its frames sent before
    // were processed (in order) and dropped.
    await sync.withDocument('public', (doc) => doc.getMap('workflows').set('default-2', { name: 'Second' }));
    await waitFor(() => reader.doc.getMap('workflows').has('default-2') && writer.doc.getMap('workflows').has('default-2'), 'server write at both');
    expect(reader.doc.getMap('workflows').has('vandal')).toBe(false);
    expect(await sync.withDocument('public', (doc) => doc.getMap('workflows').has('vandal'))).toBe(false);
    const fromStore = await storedDocument(ts, 'public');
    expect(fromStore.getMap('workflows').has('default-2')).toBe(true);
    expect(fromStore.getMap('workflows').has('vandal')).toBe(false);
    fromStore.destroy();
    expect(writer.closeCodes).toEqual([]);
    expect(writer.provider.wsconnected).toBe(true);
  });
});

describe('bad input', () => {
  it('a malformed frame closes that socket with 4400 while another client goes on editing', async () => {
    const a = client(libraryDocument(alice.userId), alice.token);
    const b = client(libraryDocument(alice.userId), alice.token);
    await Promise.all([synced(a), synced(b)]);
    const bad = raw(libraryDocument(alice.userId), alice.token);
    await bad.opened;
    // A sync "update" whose payload is not a Yjs update.
    bad.ws.send(syncFrame(2, new Uint8Array([1, 200, 3, 4, 5, 6, 7])));
    expect((await bad.closed).code).toBe(CloseCode.BadFrame);
    a.doc.getMap('workflows').set('after', 'still works');
    await waitFor(() => b.doc.getMap('workflows').get('after') === 'still works', 'edit after the bad frame');
  });

  it('truncated, unknown and text frames are closed with 4400', async () => {
    for (const frame of [new Uint8Array([0]), new Uint8Array([7, 1]), new Uint8Array([0, 9, 0]), 'hello']) {
      const r = raw(libraryDocument(alice.userId), alice.token);
      await r.opened;
      r.ws.send(frame);
      expect((await r.closed).code).toBe(CloseCode.BadFrame);
    }
  });

  it('a frame over the size limit is closed with 4413', async () => {
    const r = raw(libraryDocument(alice.userId), alice.token);
    await r.opened;
    await waitFor(() => r.frames.length > 0, 'server step 1');
    r.ws.send(new Uint8Array(64 * 1024 + 1));
    expect((await r.closed).code).toBe(CloseCode.TooLarge);
  });

  it('awareness claiming another connection’s client id is refused', async () => {
    const a = client(libraryDocument(alice.userId), alice.token);
    const b = client(libraryDocument(alice.userId), alice.token);
    await Promise.all([synced(a), synced(b)]);
    a.provider.awareness.setLocalState({ user: 'alice-laptop' });
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.user === 'alice-laptop', 'a’s awareness at b');
    // The spoofer is the same user on another connection: awareness is bound to connections.
    const spoofer = raw(libraryDocument(alice.userId), alice.token);
    await spoofer.opened;
    let sawSpoof = false;
    b.provider.awareness.on('change', () => {
      if (b.provider.awareness.getStates().get(a.doc.clientID)?.user === 'spoofed') sawSpoof = true;
    });
    const fakeDoc = new Y.Doc();
    const fake = new awarenessProtocol.Awareness(fakeDoc);
    fake.meta.set(a.doc.clientID, { clock: 1000, lastUpdated: Date.now() });
    fake.states.set(a.doc.clientID, { user: 'spoofed' });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(fake, [a.doc.clientID]));
    spoofer.ws.send(encoding.toUint8Array(encoder));
    fakeDoc.destroy();
    // A later legitimate change (a lower clock than the spoof's) still arrives: the spoof never took hold.
    a.provider.awareness.setLocalState({ user: 'alice-laptop-2' });
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.user === 'alice-laptop-2', 'later awareness at b');
    expect(sawSpoof).toBe(false);
  });

  it('a connection’s awareness states are removed for the others when it closes', async () => {
    const a = client(libraryDocument(alice.userId), alice.token);
    const b = client(libraryDocument(alice.userId), alice.token);
    await Promise.all([synced(a), synced(b)]);
    a.provider.awareness.setLocalState({ user: 'leaving' });
    await waitFor(() => b.provider.awareness.getStates().has(a.doc.clientID), 'a’s awareness at b');
    // terminate: no goodbye message from the client, the server must clean up by itself.
    (a.provider.ws as unknown as { terminate(): void }).terminate();
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), 'a’s awareness removed at b');
  });
});

describe('upgrades outside the sync endpoint', () => {
  it('answers a WebSocket upgrade to another path with HTTP 404 instead of dropping it', async () => {
    const { WebSocket } = await import('ws');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const ws = new WebSocket(ts.url.replace('http', 'ws') + '/not-sync/library');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => reject(new Error('upgrade outside /sync/ was accepted')));
      ws.on('error', () => {});
    });
    expect(status).toBe(404);
  });
});
