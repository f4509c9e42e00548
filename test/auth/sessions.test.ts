// Sessions as current InvokeAI keeps them (issue 11, item 3): a sliding session through
// X-Refreshed-Token, a password change that signs out every other session (REST and open sockets)
// while the caller gets a fresh token, and POST /auth/media-cookie. Real server, real SQLite, the stock
// y-websocket client.
import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { libraryDocument } from '../../shared/protocol.js';
import { api, createUser, login, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor } from '../sync/clients.js';
import { createWorkflow } from '../api/fixtures.js';

let ts: TestServer;
let admin: TestUser;
let alice: TestUser;

beforeEach(async () => {
  ts = await startTestServer();
  admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
});
afterEach(async () => {
  await ts.close();
});

const refreshed = (res: { headers: Headers }) => res.headers.get('x-refreshed-token');

describe('sliding session (X-Refreshed-Token)', () => {
  it('a successful mutation answers with a fresh, working token with the lifetime of the session; reads and failures do not', async () => {
    const call = api(ts, alice.token);
    const created = await createWorkflow(call, 'Mine');
    const opened = await call('PUT', `/api/v1/workflows/i/${created.workflow_id}/opened_at`);
    expect(opened.status).toBe(200);
    const fresh = refreshed(opened);
    expect(fresh).toBeTruthy();
    // Issued now: it lives at least as long as the token it replaces (the same, within one second).
    expect(decodeJwt(fresh!).exp!).toBeGreaterThanOrEqual(decodeJwt(alice.token).exp!);
    const claims = decodeJwt(fresh!);
    expect(claims).toMatchObject({ user_id: alice.userId, email: 'alice@example.com', is_admin: false, remember_me: false, token_epoch: 0 });
    // One day from now, as a normal login's.
    expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(23 * 3600);
    expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(24 * 3600);
    expect((await api(ts, fresh)('GET', '/api/v1/auth/me')).status).toBe(200);

    // GETs are background reads, not activity; a refused request extends nothing.
    expect(refreshed(await call('GET', '/api/v1/auth/me'))).toBeNull();
    expect(refreshed(await call('GET', '/api/v1/workflows/'))).toBeNull();
    const refused = await call('PATCH', `/api/v1/workflows/i/${created.workflow_id}/is_public`, { is_public: 'yes' });
    expect(refused.status).toBe(422);
    expect(refreshed(refused)).toBeNull();
    // Never on login, logout or media-cookie (they set or clear the session themselves).
    expect(refreshed(await call('POST', '/api/v1/auth/media-cookie'))).toBeNull();
    expect(refreshed(await call('POST', '/api/v1/auth/logout'))).toBeNull();
  });

  it('a remember-me session stays a seven-day session; a demoted administrator\'s fresh token says so', async () => {
    const remembered = await login(ts, 'alice@example.com', 'alice-password-1', true);
    const res = await api(ts, remembered.token)('PATCH', '/api/v1/auth/me', { display_name: 'Alice' });
    const claims = decodeJwt(refreshed(res)!);
    expect(claims.remember_me).toBe(true);
    expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(6 * 24 * 3600);

    const carol = await createUser(ts, admin.token, { email: 'carol@example.com', password: 'carol-password-1', isAdmin: true });
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${carol.userId}`, { is_admin: false })).status).toBe(200);
    const after = await api(ts, carol.token)('PATCH', '/api/v1/auth/me', { display_name: 'Carol' });
    expect(decodeJwt(refreshed(after)!).is_admin).toBe(false);
  });

  it('a dead token is never refreshed into a live one', async () => {
    const expired = await ts.server.services.tokens.sign(
      { userId: alice.userId, email: alice.email, isAdmin: false },
      { expiresAt: Math.floor(Date.now() / 1000) - 10 },
    );
    const res = await api(ts, expired.token)('PATCH', '/api/v1/auth/me', { display_name: 'x' });
    expect(res.status).toBe(401);
    expect(refreshed(res)).toBeNull();
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${alice.userId}`, { is_active: false })).status).toBe(200);
    const inactive = await api(ts, alice.token)('POST', '/api/v1/workflows/', {});
    expect(inactive.status).toBe(401);
    expect(refreshed(inactive)).toBeNull();
  });
});

describe('a password change signs out the other sessions', () => {
  it('tokens issued before it stop working on REST and their open sockets close with 4401; the caller gets a fresh token', async () => {
    const laptop = await login(ts, 'alice@example.com', 'alice-password-1');
    const phone = await login(ts, 'alice@example.com', 'alice-password-1');
    const socket = connect(ts.wsUrl, libraryDocument(alice.userId), phone.token);
    try {
      await synced(socket);
      const changed = await api(ts, laptop.token)('PATCH', '/api/v1/auth/me', {
        current_password: 'alice-password-1',
        new_password: 'alice-password-2',
      });
      expect(changed.status).toBe(200);
      const fresh = refreshed(changed)!;
      expect(decodeJwt(fresh).token_epoch).toBe(1);
      expect(changed.headers.get('set-cookie')).toContain(`invokeai_media_token=${fresh};`);

      for (const old of [alice.token, laptop.token, phone.token]) {
        expect(await api(ts, old)('GET', '/api/v1/auth/me')).toMatchObject({ status: 401, body: { detail: 'Invalid or expired token' } });
      }
      expect((await api(ts, fresh)('GET', '/api/v1/auth/me')).status).toBe(200);
      await waitFor(() => socket.closeCodes.includes(4401), 'the old session\'s socket to close with 4401');
    } finally {
      socket.destroy();
    }
    // An old token cannot open a socket either; the fresh one can.
    const refusedSocket = connect(ts.wsUrl, libraryDocument(alice.userId), phone.token);
    try {
      await waitFor(() => refusedSocket.closeCodes.includes(4401), 'a socket with a revoked token to be refused');
    } finally {
      refusedSocket.destroy();
    }
    const again = await login(ts, 'alice@example.com', 'alice-password-2');
    const working = connect(ts.wsUrl, libraryDocument(alice.userId), again.token);
    try {
      await synced(working);
    } finally {
      working.destroy();
    }
  });

  it('an administrator resetting a password revokes that user\'s sessions; resetting their own keeps them signed in', async () => {
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${alice.userId}`, { password: 'reset-password-1' })).status).toBe(200);
    expect((await api(ts, alice.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    const own = await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${admin.userId}`, { password: 'admin-password-2' });
    expect(own.status).toBe(200);
    expect((await api(ts, admin.token)('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await api(ts, refreshed(own))('GET', '/api/v1/auth/users')).status).toBe(200);
  });

  it('a change without a new password revokes nothing, and tokens from before epochs existed still work', async () => {
    expect((await api(ts, alice.token)('PATCH', '/api/v1/auth/me', { display_name: 'Alice', new_password: null })).status).toBe(200);
    expect((await api(ts, alice.token)('GET', '/api/v1/auth/me')).status).toBe(200);
    // A token as issued before this release: no token_epoch claim at all.
    const secret = (await ts.server.backend.settings.get('jwt_secret'))!;
    const legacy = await new SignJWT({ user_id: alice.userId, email: alice.email, is_admin: false, remember_me: false })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(new TextEncoder().encode(secret));
    expect((await api(ts, legacy)('GET', '/api/v1/auth/me')).status).toBe(200);
  });
});

describe('POST /api/v1/auth/media-cookie', () => {
  it('sets InvokeAI\'s media cookie from the bearer token, for no longer than the token lives; login sets it, logout clears it', async () => {
    const res = await api(ts, alice.token)('POST', '/api/v1/auth/media-cookie');
    expect(res).toMatchObject({ status: 200, body: { success: true } });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toContain(`invokeai_media_token=${alice.token};`);
    expect(cookie).toMatch(/; Path=\/api\/v1;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeLessThanOrEqual(24 * 3600);
    expect(await api(ts)('POST', '/api/v1/auth/media-cookie')).toMatchObject({ status: 401 });

    const loggedIn = await api(ts)('POST', '/api/v1/auth/login', { email: 'alice@example.com', password: 'alice-password-1' });
    expect(loggedIn.headers.get('set-cookie')).toContain(`invokeai_media_token=${loggedIn.body.token};`);
    const out = await api(ts, loggedIn.body.token)('POST', '/api/v1/auth/logout');
    expect(out.headers.get('set-cookie')).toMatch(/^invokeai_media_token=""; .*Max-Age=0/);
  });
});
