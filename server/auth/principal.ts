// Who is asking. Produced by Identity from a token (or, in single-user mode, the system user) and
// consumed by the access policy, the HTTP routes and the sync server.

export interface Principal {
  userId: string;
  email: string;
  isAdmin: boolean;
  /**
   * Multiuser only: the revocation epoch of the token this principal came from (from a token), or the
   * user's current one (from `Identity.current`). Open sockets whose token epoch is no longer the
   * user's are closed with 4401.
   */
  tokenEpoch?: number;
}

export type AuthResult =
  | { ok: true; principal: Principal; /** epoch ms when the token expires; null = never (single-user) */ expiresAt: number | null }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'inactive' };

/**
 * Resolves tokens to principals and tells listeners when a user's rights may have changed, so that
 * open sockets are rechecked at once rather than at the next periodic check.
 */
export interface Identity {
  readonly multiuser: boolean;
  authenticate(token: string | undefined): Promise<AuthResult>;
  /** The user's current principal from the database; null if deleted or deactivated. */
  current(userId: string): Promise<Principal | null>;
  /** `current` for many users in one lookup (the periodic recheck of every open socket). */
  currentMany(userIds: readonly string[]): Promise<Map<string, Principal | null>>;
  /** Fires with a user id whenever that user is changed, deactivated or deleted. Returns unsubscribe. */
  onUserChanged(listener: (userId: string) => void): () => void;
}
