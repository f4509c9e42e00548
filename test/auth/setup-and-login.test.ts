import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeEach(async () => {
  ts = await startTestServer();
});
afterEach(async () => {
  await ts.close();
});

describe('first start: creating the administrator', () => {
  it('status says setup is required until an administrator exists, then not', async () => {
    const before = await api(ts)('GET', '/api/v1/auth/status');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ setup_required: true, multiuser_enabled: true, strict_password_checking: false, admin_email: null });

    const setup = await api(ts)('POST', '/api/v1/auth/setup', { email: 'Boss@Example.com', password: 'correct-horse', display_name: 'Boss' });
    expect(setup.status).toBe(200);
    expect(setup.body.success).toBe(true);
    expect(setup.body.user).toMatchObject({ email: 'boss@example.com', display_name: 'Boss', is_admin: true, is_active: true, last_login_at: null });
    expect(Object.keys(setup.body.user).sort()).toEqual(
      ['created_at', 'display_name', 'email', 'is_active', 'is_admin', 'last_login_at', 'updated_at', 'user_id'],
    );

    const after = await api(ts)('GET', '/api/v1/auth/status');
    expect(after.body.setup_required).toBe(false);
  });

  it('a second setup is refused with 400 and creates nobody', async () => {
    await setupAdmin(ts);
    const again = await api(ts)('POST', '/api/v1/auth/setup', { email: 'intruder@example.com', password: 'password-123' });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ detail: 'Administrator account already configured' });
    expect(await ts.server.services.users.getByEmail('intruder@example.com')).toBeNull();
  });

  it('concurrent setups create exactly one administrator', async () => {
    const results = await Promise.all(
      ['a@example.com', 'b@example.com', 'c@example.com'].map((email) =>
        api(ts)('POST', '/api/v1/auth/setup', { email, password: 'password-123' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    expect(await ts.server.services.users.list()).toHaveLength(1);
  });

  it('setup validates its body: 422 naming the field', async () => {
    const badEmail = await api(ts)('POST', '/api/v1/auth/setup', { email: 'not-an-email', password: 'password-123' });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.detail).toEqual([{ loc: ['body', 'email'], msg: expect.any(String), type: 'value_error' }]);
    const shortPassword = await api(ts)('POST', '/api/v1/auth/setup', { email: 'a@example.com', password: 'short' });
    expect(shortPassword.status).toBe(422);
    expect(shortPassword.body.detail).toEqual([{ loc: ['body', 'password'], msg: 'must be at least 8 characters', type: 'string_too_short' }]);
    const both = await api(ts)('POST', '/api/v1/auth/setup', { password: 7 });
    expect(both.body.detail).toEqual([
      { loc: ['body', 'email'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'password'], msg: expect.any(String), type: 'string_type' },
    ]);
    expect(await ts.server.services.users.hasAdmin()).toBe(false);
  });

  it('accepts special-use domains such as localhost and .local', async () => {
    const admin = await setupAdmin(ts, 'admin@localhost', 'password-123');
    const created = await api(ts, admin.token)('POST', '/api/v1/auth/users', { email: 'someone@studio.local', password: 'password-123' });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe('someone@studio.local');
  });
});

describe('login', () => {
  it('returns a token, the user and expires_in of one day, or seven with remember_me', async () => {
    await setupAdmin(ts, 'admin@example.com', 'admin-password-1');
    const res = await api(ts)('POST', '/api/v1/auth/login', { email: 'ADMIN@example.com', password: 'admin-password-1' });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(86400);
    expect(res.body.user.email).toBe('admin@example.com');
    expect(res.body.user.last_login_at).toEqual(expect.any(String));
    expect(typeof res.body.token).toBe('string');
    const me = await api(ts, res.body.token)('GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.email).toBe('admin@example.com');

    const remembered = await api(ts)('POST', '/api/v1/auth/login', { email: 'admin@example.com', password: 'admin-password-1', remember_me: true });
    expect(remembered.body.expires_in).toBe(604800);
    const payload = JSON.parse(Buffer.from(remembered.body.token.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ user_id: remembered.body.user.user_id, email: 'admin@example.com', is_admin: true });
    expect(payload.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(604800 - 60);
  });

  it('a wrong password or unknown email is 401 with WWW-Authenticate', async () => {
    await setupAdmin(ts);
    for (const body of [
      { email: 'admin@example.com', password: 'wrong-password' },
      { email: 'nobody@example.com', password: 'whatever-1' },
    ]) {
      const res = await api(ts)('POST', '/api/v1/auth/login', body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Incorrect email or password' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('nobody can log in as the system user', async () => {
    await setupAdmin(ts);
    const res = await api(ts)('POST', '/api/v1/auth/login', { email: 'system@system.invokeai', password: '' });
    expect(res.status).toBe(401);
  });
});
