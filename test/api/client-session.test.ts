// The web app's REST client and session (client/data/api.ts, session.ts) against a real server: it
// shows a readable message from FastAPI's 422 list, keeps the fresh token of the sliding session, and
// stays signed in (with the new token) after changing its password. The browser's localStorage and
// location are the only stand-ins: a Map-backed Storage and the test server's origin.
//
// The client modules are imported at run time by a computed path: a static import would pull the app's
// DOM-typed sources into the server's type check (tsconfig.json), which has no DOM. Their shapes used
// here are spelled out below (the app's own type check covers the modules themselves).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProfileUpdate, UserCreate, UserDTO } from '../../shared/api-types.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

interface ApiErrorLike extends Error {
  status: number;
  detail: string;
}
interface SessionLike extends EventTarget {
  phase: string;
  token: string | null;
  api: { createUser(user: UserCreate): Promise<UserDTO>; updateMe(change: ProfileUpdate): Promise<UserDTO>; me(): Promise<UserDTO> };
  start(): Promise<void>;
  login(email: string, password: string, rememberMe: boolean): Promise<void>;
  expire(): void;
}
const clientModule = (name: string): Promise<Record<string, unknown>> => import(`../../client/data/${name}.ts`);
let Session: new (apiBase: string) => SessionLike;
let ApiError: abstract new (...args: never[]) => ApiErrorLike;

class MemoryStorage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
}

let ts: TestServer;
let admin: TestUser;
let alice: TestUser;
const storage = new MemoryStorage();

beforeAll(async () => {
  ts = await startTestServer();
  admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
  Object.assign(globalThis, { localStorage: storage, location: new URL(ts.url) });
  Session = (await clientModule('session')).Session as typeof Session;
  ApiError = (await clientModule('api')).ApiError as typeof ApiError;
});
afterAll(async () => {
  await ts.close();
});
beforeEach(() => storage.clear());

async function signedIn(email: string, password: string): Promise<SessionLike> {
  const session = new Session(`${ts.url}/api/v1`);
  await session.start();
  await session.login(email, password, false);
  expect(session.phase).toBe('ready');
  return session;
}

describe('the app reads InvokeAI\'s answers', () => {
  it('a 422 list becomes one readable line naming each field', async () => {
    const session = await signedIn('admin@example.com', 'admin-password-1');
    const error = await session.api.createUser({ email: 'x@example.com', password: 'short', is_admin: 'no' as unknown as boolean }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiErrorLike).status).toBe(422);
    expect((error as ApiErrorLike).detail).toBe('password: must be at least 8 characters; is_admin: Invalid input: expected boolean, received string');
  });

  it('keeps the fresh token of the sliding session', async () => {
    const session = await signedIn('alice@example.com', 'alice-password-1');
    // A session near its end: a token that expires in a minute.
    const shortLived = await ts.server.services.tokens.sign({ userId: alice.userId, email: alice.email, isAdmin: false }, { expiresAt: Math.floor(Date.now() / 1000) + 60 });
    session.token = shortLived.token;
    let changes = 0;
    session.addEventListener('change', () => changes++);
    await session.api.updateMe({ display_name: 'Alice' });
    expect(session.token).not.toBe(shortLived.token);
    expect(storage.getItem('auth_token')).toBe(session.token);
    expect(changes).toBeGreaterThan(0);
    expect((await api(ts, session.token)('GET', '/api/v1/auth/me')).status).toBe(200);
  });

  it('stays signed in after changing its password, with the one token still honoured', async () => {
    const session = await signedIn('alice@example.com', 'alice-password-1');
    const before = session.token!;
    // Its socket may be closed for the password change before the answer arrives.
    session.expire();
    expect(session.phase).toBe('expired');
    await session.api.updateMe({ current_password: 'alice-password-1', new_password: 'alice-password-2' });
    expect(session.phase).toBe('ready');
    expect(session.token).not.toBe(before);
    expect((await api(ts, before)('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await session.api.me()).email).toBe('alice@example.com');
  });
});
