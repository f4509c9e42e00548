// Identity (principal.ts) over tokens and the users table. The token only proves who is asking; what
// they may do (active? admin?) is read from the database on every call, so a demotion, deactivation or
// deletion takes effect at once, also when made by another process such as the CLI.
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { AuthResult, Identity, Principal } from './principal.js';
import type { TokenService } from './tokens.js';
import type { User, UserStore } from './users.js';

/** Who everyone is in single-user mode: the owner of the one library, with every right. */
export const SINGLE_USER_PRINCIPAL: Readonly<Principal> = Object.freeze({
  userId: SYSTEM_USER_ID,
  email: 'system@system.invokeai',
  isAdmin: true,
});

export class DatabaseIdentity implements Identity {
  constructor(
    readonly multiuser: boolean,
    private readonly users: UserStore,
    private readonly tokens: TokenService,
    /**
     * Where user changes are heard: this process's UserStore by default; with several nodes, the user
     * events every node publishes to (server/cluster/user-events.ts), this node's own included.
     */
    private readonly changes: (listener: (userId: string) => void) => () => void = (listener) => users.onChange(listener),
  ) {}

  async authenticate(token: string | undefined): Promise<AuthResult> {
    if (!this.multiuser) return { ok: true, principal: { ...SINGLE_USER_PRINCIPAL }, expiresAt: null };
    if (!token) return { ok: false, reason: 'missing' };
    const checked = await this.tokens.check(token);
    if (!checked.ok) return checked;
    const principal = await this.current(checked.claims.userId);
    if (!principal) return { ok: false, reason: 'inactive' };
    // Issued before the user's last password change: revoked. Told apart from nothing else, as in
    // InvokeAI, so a stolen token's holder does not learn that the password was just changed.
    if (principal.tokenEpoch !== checked.claims.tokenEpoch) return { ok: false, reason: 'invalid' };
    return { ok: true, principal, expiresAt: checked.claims.exp * 1000 };
  }

  async current(userId: string): Promise<Principal | null> {
    if (!this.multiuser || userId === SYSTEM_USER_ID) return this.principalOf(userId, null);
    return this.principalOf(userId, await this.users.get(userId));
  }

  async currentMany(userIds: readonly string[]): Promise<Map<string, Principal | null>> {
    const users = this.multiuser ? await this.users.getMany(userIds.filter((id) => id !== SYSTEM_USER_ID)) : new Map<string, User>();
    return new Map(userIds.map((userId) => [userId, this.principalOf(userId, users.get(userId) ?? null)]));
  }

  private principalOf(userId: string, user: User | null): Principal | null {
    if (!this.multiuser) return userId === SYSTEM_USER_ID ? { ...SINGLE_USER_PRINCIPAL } : null;
    // The system user owns data but is nobody's login, even with a validly signed token.
    if (userId === SYSTEM_USER_ID) return null;
    if (!user || !user.isActive) return null;
    return { userId: user.userId, email: user.email, isAdmin: user.isAdmin, tokenEpoch: user.tokenEpoch };
  }

  onUserChanged(listener: (userId: string) => void): () => void {
    return this.changes(listener);
  }
}
