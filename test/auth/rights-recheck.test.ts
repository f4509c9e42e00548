// The periodic rights recheck of open sockets now that user lookups are asynchronous (issue 8: users
// may live in PostgreSQL): one batched lookup per round for every socket, never a second round while one
// is still waiting for the store, and a verdict still taken when the lookup answers. Real sync server,
// the run's real store (SQLite, or PostgreSQL on a PostgreSQL run), real tokens and sockets; the identity
// is the real one, only gated so a lookup can be held.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DatabaseIdentity } from '../../server/auth/identity.js';
import type { Identity, Principal } from '../../server/auth/principal.js';
import { TokenService } from '../../server/auth/tokens.js';
import { UserStore } from '../../server/auth/users.js';
import type { Backend } from '../../server/storage/backend.js';
import { SyncServer } from '../../server/sync/sync-server.js';
import { libraryDocument, SYNC_PATH } from '../../shared/protocol.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { openTestStore } from '../helpers/test-backend.js';

const RECHECK_MS = 10;

let dir: string;
let store: Backend;
let http: Server;
let sync: SyncServer;
let users: UserStore;
let tokens: TokenService;
let clients: Client[];
/** Every batched lookup the sync server made, with the ids it asked for. */
let lookups: string[][];
/** While set, lookups wait for it. */
let gate: Promise<void> | null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-recheck-'));
  store = await openTestStore(dir);
  users = new UserStore(store.users);
  tokens = await TokenService.fromSettings(store.settings);
  const real = new DatabaseIdentity(true, users, tokens);
  lookups = [];
  gate = null;
  const gated: Identity = {
    multiuser: true,
    authenticate: (token) => real.authenticate(token),
    current: (userId) => real.current(userId),
    async currentMany(userIds: readonly string[]): Promise<Map<string, Principal | null>> {
      lookups.push([...userIds]);
      if (gate !== null) await gate;
      return real.currentMany(userIds);
    },
    onUserChanged: (listener) => real.onUserChanged(listener),
  };
  sync = new SyncServer({ store: store.documents, identity: gated, multiuser: true, recheckIntervalMs: RECHECK_MS, log: () => {} });
  http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => sync.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  clients = [];
});

afterEach(async () => {
  for (const client of clients) client.destroy();
  await sync.close();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openSockets(count: number, who: { userId: string; email: string; isAdmin: boolean; tokenEpoch: number }): Promise<Client[]> {
  const { token } = await tokens.sign(who);
  const wsUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}${SYNC_PATH}`;
  const opened = Array.from({ length: count }, () => connect(wsUrl, libraryDocument(who.userId), token));
  clients.push(...opened);
  await Promise.all(opened.map(synced));
  return opened;
}

it('looks every open socket up in one batch per round, and starts no round while one waits for the store', async () => {
  const admin = await users.create({ email: 'root@example.com', password: 'root-password-1' }, { firstAdmin: true });
  const alice = await users.create({ email: 'alice@example.com', password: 'alice-password-1' });
  await openSockets(2, alice);
  await openSockets(1, admin);

  let release!: () => void;
  gate = new Promise<void>((resolve) => (release = resolve));
  lookups = [];
  await waitFor(() => lookups.length > 0, 'a recheck round to start');
  // One lookup for the three sockets of both users.
  expect(lookups[0]!.sort()).toEqual([admin.userId, alice.userId, alice.userId].sort());
  // Twenty periods later the held round is still the only one: rounds never pile up behind a slow store.
  await new Promise((resolve) => setTimeout(resolve, RECHECK_MS * 20));
  expect(lookups).toHaveLength(1);

  // Alice is deactivated while the round waits; the round that answers after it still applies its
  // verdict, and the change's own recheck closes her sockets.
  await users.update(alice.userId, { isActive: false });
  release();
  gate = null;
  await waitFor(() => clients.slice(0, 2).every((c) => c.closeCodes.includes(4403)), "alice's sockets to close with 4403");
  await waitFor(() => lookups.length >= 3, 'rounds to resume once the store answers');
  expect(clients[2]!.closeCodes).toEqual([]);
});
