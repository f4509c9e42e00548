import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeEach(async () => {
  ts = await startTestServer({ multiuser: false });
});
afterEach(async () => {
  await ts.close();
});

describe('single-user mode', () => {
  it('status reports no setup and no multiuser', async () => {
    const res = await api(ts)('GET', '/api/v1/auth/status');
    expect(res.body).toEqual({ setup_required: false, multiuser_enabled: false, strict_password_checking: false, admin_email: null });
  });

  it('login and setup are 403', async () => {
    const login = await api(ts)('POST', '/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-1' });
    expect(login.status).toBe(403);
    expect(login.body.detail).toMatch(/^Multiuser mode is disabled/);
    const setup = await api(ts)('POST', '/api/v1/auth/setup', { email: 'a@example.com', password: 'whatever-1' });
    expect(setup.status).toBe(403);
    expect(await ts.server.services.users.list()).toEqual([]);
  });

  it('everyone is the system principal, an administrator, with no token and no expiry', async () => {
    const result = await ts.server.services.identity.authenticate(undefined);
    expect(result).toEqual({ ok: true, principal: { userId: 'system', email: 'system@system.invokeai', isAdmin: true }, expiresAt: null });
    const me = await api(ts)('GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user_id).toBe('system');
    expect((await api(ts)('GET', '/api/v1/auth/users')).status).toBe(200);
  });
});
