import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, createUser, login, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let admin: TestUser;
beforeEach(async () => {
  ts = await startTestServer();
  admin = await setupAdmin(ts);
});
afterEach(async () => {
  await ts.close();
});

describe('rate limiting of login attempts', () => {
  it('after 5 failures one account gets 429 with Retry-After, even with the right password, while another account still logs in', async () => {
    const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
    for (let i = 0; i < 5; i++) {
      const res = await api(ts)('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: `guess-${i}` });
      expect(res.status).toBe(401);
    }
    // Different case and spacing is the same account.
    const blocked = await api(ts)('POST', '/api/v1/auth/login', { email: ' BOB@example.com', password: bob.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.detail).toMatch(/Too many failed login attempts/);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const other = await api(ts)('POST', '/api/v1/auth/login', { email: admin.email, password: admin.password });
    expect(other.status).toBe(200);
  });

  it('a burst of parallel guesses gets no more than 5 password checks', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api(ts)('POST', '/api/v1/auth/login', { email: admin.email, password: `guess-${i}` })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('a successful login clears earlier failures', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        expect((await api(ts)('POST', '/api/v1/auth/login', { email: admin.email, password: 'nope-nope' })).status).toBe(401);
      }
      await login(ts, admin.email, admin.password);
    }
  });
});

describe('tokens', () => {
  it('no token is 401 "Authentication required"; garbage or a forged signature is 401 "Invalid or expired token"', async () => {
    const none = await api(ts)('GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ detail: 'Authentication required' });

    const garbage = await api(ts, 'not.a.jwt')('GET', '/api/v1/auth/me');
    expect(garbage.status).toBe(401);
    expect(garbage.body).toEqual({ detail: 'Invalid or expired token' });

    // Same header and claims, but promoting itself and re-signed with a guessed key.
    const [header, payload] = admin.token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const sig = createHmac('sha256', 'guessed-secret').update(`${header}.${forgedPayload}`).digest('base64url');
    const forged = await api(ts, `${header}.${forgedPayload}.${sig}`)('GET', '/api/v1/auth/me');
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ detail: 'Invalid or expired token' });

    const alg = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const unsigned = await api(ts, `${alg}.${payload}.`)('GET', '/api/v1/auth/me');
    expect(unsigned.status).toBe(401);
  });

  it('an expired token signed with the real secret is refused', async () => {
    const { tokens } = ts.server.services;
    const { token } = await tokens.sign(
      { userId: admin.userId, email: admin.email, isAdmin: true },
      { expiresAt: Math.floor(Date.now() / 1000) - 10 },
    );
    const res = await api(ts, token)('GET', '/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Invalid or expired token' });
    expect(await ts.server.services.identity.authenticate(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('tokens stay valid across a restart: the secret is kept in the database', async () => {
    ts = await ts.restart();
    const me = await api(ts, admin.token)('GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(await ts.server.backend.settings.get('jwt_secret')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('logout answers success for a valid token and 401 without one', async () => {
    expect((await api(ts, admin.token)('POST', '/api/v1/auth/logout')).body).toEqual({ success: true });
    expect((await api(ts)('POST', '/api/v1/auth/logout')).status).toBe(401);
  });
});

describe('/me', () => {
  it('PATCH changes the display name', async () => {
    const res = await api(ts, admin.token)('PATCH', '/api/v1/auth/me', { display_name: 'The Boss' });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe('The Boss');
    expect((await api(ts, admin.token)('GET', '/api/v1/auth/me')).body.display_name).toBe('The Boss');
  });

  it('a new password needs the current one, which must be right', async () => {
    const call = api(ts, admin.token);
    const missing = await call('PATCH', '/api/v1/auth/me', { new_password: 'new-password-1' });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/^Current password is required/);
    const wrong = await call('PATCH', '/api/v1/auth/me', { current_password: 'not-it', new_password: 'new-password-1' });
    expect(wrong).toMatchObject({ status: 400, body: { detail: 'Current password is incorrect' } });
    await login(ts, admin.email, admin.password); // unchanged so far

    const changed: string[] = [];
    ts.server.services.identity.onUserChanged((id) => changed.push(id));
    const ok = await call('PATCH', '/api/v1/auth/me', { current_password: admin.password, new_password: 'new-password-1' });
    expect(ok.status).toBe(200);
    expect(changed).toEqual([admin.userId]);
    expect((await api(ts)('POST', '/api/v1/auth/login', { email: admin.email, password: admin.password })).status).toBe(401);
    await login(ts, admin.email, 'new-password-1');
  });

  it('GET /generate-password gives 16 characters with upper, lower and digit', async () => {
    const res = await api(ts, admin.token)('GET', '/api/v1/auth/generate-password');
    expect(res.status).toBe(200);
    expect(res.body.password).toHaveLength(16);
    expect(res.body.password).toMatch(/[A-Z]/);
    expect(res.body.password).toMatch(/[a-z]/);
    expect(res.body.password).toMatch(/[0-9]/);
  });
});

describe('user administration', () => {
  it('create 201, list (without system), get, patch, delete 204, then 404', async () => {
    const call = api(ts, admin.token);
    const created = await call('POST', '/api/v1/auth/users', { email: 'Carol@Example.com', password: 'carol-pass-1', display_name: 'Carol' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'carol@example.com', display_name: 'Carol', is_admin: false, is_active: true });
    const id = created.body.user_id as string;

    const list = await call('GET', '/api/v1/auth/users');
    expect(list.body.map((u: { email: string }) => u.email).sort()).toEqual(['admin@example.com', 'carol@example.com']);

    expect((await call('GET', `/api/v1/auth/users/${id}`)).body.email).toBe('carol@example.com');
    expect((await call('GET', '/api/v1/auth/users/system')).status).toBe(404);

    const patched = await call('PATCH', `/api/v1/auth/users/${id}`, { display_name: 'Caz', is_admin: true });
    expect(patched.body).toMatchObject({ display_name: 'Caz', is_admin: true });

    expect((await call('DELETE', `/api/v1/auth/users/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/auth/users/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/auth/users/${id}`)).status).toBe(404);
    expect((await call('PATCH', `/api/v1/auth/users/${id}`, { is_admin: true })).status).toBe(404);
  });

  it('a duplicate email is 400 and creates nobody', async () => {
    const res = await api(ts, admin.token)('POST', '/api/v1/auth/users', { email: 'ADMIN@example.com', password: 'password-123' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/already exists/);
    expect(await ts.server.services.users.list()).toHaveLength(1);
  });

  it('a bad field is a 422 naming it', async () => {
    const res = await api(ts, admin.token)('POST', '/api/v1/auth/users', { email: 'dan@example.com', password: 'password-123', is_admin: 'yes' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([{ loc: ['body', 'is_admin'], msg: expect.stringMatching(/boolean/), type: 'bool_type' }]);
  });

  it('non-administrators get 403 on every admin route', async () => {
    const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
    const call = api(ts, bob.token);
    for (const [method, path, body] of [
      ['GET', '/api/v1/auth/users'],
      ['POST', '/api/v1/auth/users', { email: 'x@example.com', password: 'password-123' }],
      ['GET', `/api/v1/auth/users/${admin.userId}`],
      ['PATCH', `/api/v1/auth/users/${bob.userId}`, { is_admin: true }],
      ['DELETE', `/api/v1/auth/users/${admin.userId}`],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toEqual({ detail: 'Admin privileges required' });
    }
    expect((await ts.server.services.users.get(bob.userId))!.isAdmin).toBe(false);
  });

  it('a demoted administrator loses admin rights at once, with the same token', async () => {
    const carol = await createUser(ts, admin.token, { email: 'carol@example.com', password: 'carol-pass-1', isAdmin: true });
    expect((await api(ts, carol.token)('GET', '/api/v1/auth/users')).status).toBe(200);
    expect((await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${carol.userId}`, { is_admin: false })).status).toBe(200);
    expect((await api(ts, carol.token)('GET', '/api/v1/auth/users')).status).toBe(403);
  });

  it('a deactivated user gets 403 at login and 401 with an existing token; deletion likewise', async () => {
    const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
    const changed: string[] = [];
    ts.server.services.identity.onUserChanged((id) => changed.push(id));

    await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${bob.userId}`, { is_active: false });
    expect(changed).toEqual([bob.userId]);
    const loginRes = await api(ts)('POST', '/api/v1/auth/login', { email: bob.email, password: bob.password });
    expect(loginRes).toMatchObject({ status: 403, body: { detail: 'User account is disabled' } });
    const me = await api(ts, bob.token)('GET', '/api/v1/auth/me');
    expect(me).toMatchObject({ status: 401, body: { detail: 'User not found or inactive' } });

    await api(ts, admin.token)('DELETE', `/api/v1/auth/users/${bob.userId}`);
    expect(changed).toEqual([bob.userId, bob.userId]);
    expect(await ts.server.services.identity.current(bob.userId)).toBeNull();
  });

  it('the last active administrator cannot be deleted, demoted or deactivated', async () => {
    const call = api(ts, admin.token);
    const del = await call('DELETE', `/api/v1/auth/users/${admin.userId}`);
    expect(del).toMatchObject({ status: 400, body: { detail: 'Cannot delete the last administrator' } });
    for (const change of [{ is_admin: false }, { is_active: false }]) {
      const res = await call('PATCH', `/api/v1/auth/users/${admin.userId}`, change);
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/last administrator/);
    }
    expect(await ts.server.services.users.get(admin.userId)).toMatchObject({ isAdmin: true, isActive: true });

    // With a second administrator, the first may go.
    await createUser(ts, admin.token, { email: 'second@example.com', password: 'second-pass-1', isAdmin: true });
    expect((await call('PATCH', `/api/v1/auth/users/${admin.userId}`, { is_admin: false })).status).toBe(200);
  });

  it('the system user cannot be changed or deleted through the API', async () => {
    const call = api(ts, admin.token);
    expect((await call('PATCH', '/api/v1/auth/users/system', { is_admin: true })).status).toBe(400);
    expect((await call('DELETE', '/api/v1/auth/users/system')).status).toBe(400);
    expect(await ts.server.services.users.get('system')).toMatchObject({ isAdmin: false });
  });
});
