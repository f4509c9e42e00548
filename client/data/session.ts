// Who is signed in, kept in localStorage so the app opens signed in (and offline) after a reload.
// The server's answers to /auth/status and /auth/me are cached too: without them an offline start
// could not tell multiuser from single-user mode or show the user's name.
import { Api, ApiError, NetworkError, type SetupStatus, type UserDTO } from './api.js';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';

const TOKEN_KEY = 'auth_token';
const USER_KEY = 'flowshelf_user';
const STATUS_KEY = 'flowshelf_status';

export type SessionPhase =
  | 'loading'
  /** multiuser and no administrator yet: show "create the administrator" */
  | 'setup'
  | 'logged-out'
  | 'ready'
  /** the token was refused (4401 / 401): local edits stay, the user signs in again */
  | 'expired';

/** The signed-in user as the app needs it; in single-user mode the synthetic system user. */
export interface SessionUser {
  userId: string;
  email: string;
  displayName: string | null;
  isAdmin: boolean;
}

function toSessionUser(u: UserDTO): SessionUser {
  return { userId: u.user_id, email: u.email, displayName: u.display_name, isAdmin: u.is_admin };
}

const SINGLE_USER: SessionUser = { userId: SYSTEM_USER_ID, email: '', displayName: null, isAdmin: true };

function readJson<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

/** Fires 'change' whenever phase, user or token changes. */
export class Session extends EventTarget {
  phase: SessionPhase = 'loading';
  multiuser = true;
  user: SessionUser | null = null;
  token: string | null = localStorage.getItem(TOKEN_KEY);
  /** set when /auth/status could not be fetched and the cached answer was used */
  offlineStart = false;
  readonly api: Api;

  constructor(apiBase = `${location.origin}/api/v1`) {
    super();
    this.api = new Api(
      apiBase,
      () => this.token,
      () => this.expire(),
      (token) => this.refreshed(token),
    );
  }

  /**
   * The server sent a fresh token (X-Refreshed-Token): the session slides on, and after a password
   * change this is the one token still honoured (every older one, this session's included, is revoked).
   * Kept and announced, so the sockets reconnect with it. It is only ever issued for a token the server
   * still accepted, so a session marked expired by a socket closed for the password change is signed in
   * again with it.
   */
  private refreshed(token: string): void {
    if (!this.multiuser || !this.user || token === this.token) return;
    this.token = token;
    localStorage.setItem(TOKEN_KEY, token);
    if (this.phase === 'expired') this.phase = 'ready';
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Decides the first screen: setup, login, or the library (online or from the cached session). */
  async start(): Promise<void> {
    let status: SetupStatus | null = null;
    try {
      status = await this.api.status();
      localStorage.setItem(STATUS_KEY, JSON.stringify(status));
      this.offlineStart = false;
    } catch (err) {
      if (!(err instanceof NetworkError) && !(err instanceof ApiError)) throw err;
      status = readJson<SetupStatus>(STATUS_KEY);
      this.offlineStart = true;
    }
    this.multiuser = status?.multiuser_enabled ?? true;
    if (!this.multiuser) {
      this.user = SINGLE_USER;
      this.phase = 'ready';
      return this.changed();
    }
    if (status?.setup_required) {
      this.phase = 'setup';
      return this.changed();
    }
    const cachedUser = readJson<SessionUser>(USER_KEY);
    if (!this.token || !cachedUser) {
      this.phase = 'logged-out';
      return this.changed();
    }
    this.user = cachedUser;
    this.phase = 'ready';
    this.changed();
    if (!this.offlineStart) {
      // Refresh name/admin flag; a refused token turns into 'expired' through onUnauthorized.
      try {
        this.user = toSessionUser(await this.api.me());
        localStorage.setItem(USER_KEY, JSON.stringify(this.user));
        this.changed();
      } catch {
        // offline or expired: handled by the phase already set
      }
    }
  }

  async setupAdmin(email: string, password: string, displayName: string): Promise<void> {
    await this.api.setup(email, password, displayName);
    await this.login(email, password, false);
  }

  async login(email: string, password: string, rememberMe: boolean): Promise<void> {
    const res = await this.api.login(email, password, rememberMe);
    this.token = res.token;
    this.user = toSessionUser(res.user);
    localStorage.setItem(TOKEN_KEY, res.token);
    localStorage.setItem(USER_KEY, JSON.stringify(this.user));
    this.phase = 'ready';
    this.changed();
  }

  /** The server refused the token: keep the user (and all local data), ask for a new login. */
  expire(): void {
    if (!this.multiuser || this.phase !== 'ready') return;
    this.phase = 'expired';
    this.changed();
  }

  updateUser(u: UserDTO): void {
    this.user = toSessionUser(u);
    localStorage.setItem(USER_KEY, JSON.stringify(this.user));
    this.changed();
  }

  /** Forgets the token; the server call is best effort (tokens are stateless JWTs). */
  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      // offline or already expired: nothing to undo on the server
    }
    this.token = null;
    this.user = null;
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
    this.phase = 'logged-out';
    this.changed();
  }
}
