// What the server is made of, handed to every route module (auth, workflows) and the sync server.
import type { DatabaseIdentity } from './auth/identity.js';
import type { TokenService } from './auth/tokens.js';
import type { UserStore } from './auth/users.js';
import type { SyncServer } from './sync/sync-server.js';

export interface Services {
  users: UserStore;
  tokens: TokenService;
  identity: DatabaseIdentity;
  /** Live documents: withDocument for server-side writes, extensions (use) for the library layer. */
  sync: SyncServer;
}
