// Issue 9, "3.": no web page from another origin (or a DNS-rebinding page) can use the server through
// a visitor's browser, in either mode; scripts without Origin keep working; the allow flags widen it.
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/config.js';
import { createWorkflow, userWorkflow } from '../api/fixtures.js';
import { api, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, synced } from '../sync/clients.js';
import { jsonRequest, multipartBody, rawRequest, socketOutcome } from './http.js';

const EVIL = 'http://evil.example';
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const ts = await startTestServer(options);
  servers.push(ts);
  return ts;
}

function importRequest(ts: TestServer, name: string, headers: Record<string, string>, token?: string) {
  const { body, contentType } = multipartBody('file', 'w.json', 'application/json', JSON.stringify(userWorkflow(name)));
  return rawRequest(ts.url, '/api/v1/workflows/import', {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
}

async function names(ts: TestServer, token?: string): Promise<string[]> {
  const list = await api(ts, token)('GET', '/api/v1/workflows/?categories=user');
  return list.body.items.map((i: { name: string }) => i.name).sort();
}

describe.each([
  { mode: 'single-user', multiuser: false },
  { mode: 'multiuser', multiuser: true },
])('$mode: a foreign page', ({ multiuser }) => {
  async function prepared() {
    const ts = await start({ multiuser });
    const token = multiuser ? (await setupAdmin(ts)).token : undefined;
    const doc = multiuser ? `library/${(await api(ts, token)('GET', '/api/v1/auth/me')).body.user_id}` : 'library/system';
    const own = `http://127.0.0.1:${ts.server.port}`;
    const socketUrl = `${ts.wsUrl}/${doc}${token ? `?token=${token}` : ''}`;
    return { ts, token, doc, own, socketUrl };
  }

  it('cannot open a sync socket: closed with 4403 before a single frame; own origin and no origin still sync', async () => {
    const { ts, token, doc, own, socketUrl } = await prepared();
    await createWorkflow(api(ts, token), 'Secret');
    const foreign = await socketOutcome(socketUrl, { Origin: EVIL });
    expect(foreign).toEqual({ frames: 0, code: 4403, reason: 'origin not allowed' });
    // `Origin: null` (a sandboxed frame or a file:// page) is foreign too.
    expect((await socketOutcome(socketUrl, { Origin: 'null' })).code).toBe(4403);
    // Another port on the same host is another site's page.
    expect((await socketOutcome(socketUrl, { Origin: 'http://127.0.0.1:1' })).code).toBe(4403);

    const sameOrigin = await socketOutcome(socketUrl, { Origin: own }, true);
    expect(sameOrigin.frames).toBeGreaterThan(0);
    // The stock y-websocket client in Node sends no Origin and reads the library.
    const client = connect(ts.wsUrl, doc, token);
    await synced(client);
    expect(client.doc.getMap('workflows').size).toBe(1);
    client.destroy();
  });

  it('cannot create a workflow with a multipart import (no preflight) or delete one', async () => {
    const { ts, token, own } = await prepared();
    const kept = await createWorkflow(api(ts, token), 'Kept');
    const refused = await importRequest(ts, 'From evil', { Origin: EVIL }, token);
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toMatch(/origin "http:\/\/evil\.example" is not this server's/);
    // A browser that sends no Origin still says where the request came from.
    const crossSite = await importRequest(ts, 'From evil', { 'Sec-Fetch-Site': 'cross-site' }, token);
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.detail).toMatch(/Sec-Fetch-Site: cross-site/);
    const deleted = await rawRequest(ts.url, `/api/v1/workflows/i/${kept.workflow_id}`, {
      method: 'DELETE',
      headers: { Origin: EVIL, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    expect(deleted.status).toBe(403);
    expect(await names(ts, token)).toEqual(['Kept']);

    // The app itself (same origin) and scripts (no Origin) are served as before.
    expect((await importRequest(ts, 'From the app', { Origin: own, 'Sec-Fetch-Site': 'same-origin' }, token)).status).toBe(200);
    expect((await importRequest(ts, 'From a script', {}, token)).status).toBe(200);
    expect(await names(ts, token)).toEqual(['From a script', 'From the app', 'Kept']);
  });

  it('is refused by Host when it rebinds its own name to the server (421 on HTTP, 4403 on sockets)', async () => {
    const { ts, token, socketUrl } = await prepared();
    const port = ts.server.port;
    for (const path of ['/', '/main.js', '/api/v1/auth/status', '/api/v1/workflows/']) {
      const res = await rawRequest(ts.url, path, { headers: { Host: `evil.example:${port}`, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      expect(res.status, path).toBe(421);
      expect(res.json.detail).toMatch(/does not answer to the host "evil\.example:\d+"/);
    }
    const socket = await socketOutcome(socketUrl, { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` });
    expect(socket).toEqual({ frames: 0, code: 4403, reason: 'host not allowed' });
    // Names of the loopback address the server is bound to are its own.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: host } })).status, host).toBe(200);
    }
    const local = await socketOutcome(socketUrl, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` }, true);
    expect(local.frames).toBeGreaterThan(0);
  });
});

describe('a refused socket', () => {
  it('is cut by the server when the page never acknowledges the close (not held for ws\'s 30 s)', async () => {
    const ts = await start({ multiuser: false });
    const socket = tcpConnect(ts.server.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      [
        'GET /sync/library/system HTTP/1.1',
        `Host: 127.0.0.1:${ts.server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        `Origin: ${EVIL}`,
        '',
        '',
      ].join('\r\n'),
    );
    // Never answers the close frame; the server ends the connection by itself.
    await closed;
    const bytes = Buffer.concat(received);
    expect(bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    const frame = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect([frame[0], frame.readUInt16BE(2)]).toEqual([0x88, 4403]);
  });
});

describe('multiuser: a foreign page on a fresh install', () => {
  it('cannot create the administrator (setup), nor log in', async () => {
    const ts = await start({ multiuser: true });
    const setup = { email: 'admin@example.com', password: 'admin-password-1' };
    const refused = await jsonRequest(ts.url, 'POST', '/api/v1/auth/setup', setup, { headers: { Origin: EVIL } });
    expect(refused.status).toBe(403);
    expect((await api(ts)('GET', '/api/v1/auth/status')).body.setup_required).toBe(true);
    expect(await ts.server.services.users.list()).toEqual([]);

    const own = `http://127.0.0.1:${ts.server.port}`;
    expect((await jsonRequest(ts.url, 'POST', '/api/v1/auth/setup', setup, { headers: { Origin: own } })).status).toBe(200);
    const login = await jsonRequest(ts.url, 'POST', '/api/v1/auth/login', setup, { headers: { Origin: EVIL } });
    expect(login.status).toBe(403);
  });
});

describe('allow flags', () => {
  it('--allowed-origins lets a listed page write; --allowed-hosts lets a listed name in', async () => {
    const ts = await start({
      multiuser: false,
      config: { allowedOrigins: ['https://invoke.example:8443'], allowedHosts: ['flowshelf.lan'] },
    });
    const port = ts.server.port;
    expect((await importRequest(ts, 'From InvokeAI', { Origin: 'https://invoke.example:8443' })).status).toBe(200);
    expect((await importRequest(ts, 'From a look-alike', { Origin: 'https://invoke.example' })).status).toBe(403);
    expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: `flowshelf.lan:${port}` } })).status).toBe(200);
    expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: `other.lan:${port}` } })).status).toBe(421);
    // The app opened under the listed name is same-origin there.
    const opened = await socketOutcome(`${ts.wsUrl}/library/system`, { Host: `flowshelf.lan:${port}`, Origin: `http://flowshelf.lan:${port}` }, true);
    expect(opened.frames).toBeGreaterThan(0);
    const fromInvoke = await socketOutcome(`${ts.wsUrl}/library/system`, { Origin: 'https://invoke.example:8443' }, true);
    expect(fromInvoke.frames).toBeGreaterThan(0);
    expect(await names(ts)).toEqual(['From InvokeAI']);
  });

  it("--allowed-hosts '*' turns the Host check off (Origin is still checked)", async () => {
    const ts = await start({ multiuser: false, config: { allowedHosts: ['*'] } });
    expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: 'anything.example' } })).status).toBe(200);
    expect((await importRequest(ts, 'x', { Origin: EVIL })).status).toBe(403);
  });

  it('bound to every interface: IP literals, localhost and the machine name are served, other names are not', async () => {
    const ts = await start({ multiuser: false, config: { host: '0.0.0.0' } });
    const port = ts.server.port;
    for (const host of [`192.0.2.7:${port}`, `[2001:db8::7]:${port}`, `localhost:${port}`]) {
      expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: host } })).status, host).toBe(200);
    }
    expect((await rawRequest(ts.url, '/api/v1/auth/status', { headers: { Host: `evil.example:${port}` } })).status).toBe(421);
  });

  it('are flags and environment variables (the flag wins); bad values name the flag', () => {
    const env = { FLOWSHELF_ALLOWED_ORIGINS: 'http://a.example', FLOWSHELF_ALLOWED_HOSTS: 'a.lan' };
    expect(parseConfig([], env)).toMatchObject({ allowedOrigins: ['http://a.example'], allowedHosts: ['a.lan'] });
    const flags = parseConfig(['--allowed-origins', 'https://B.example:8443/, http://c.example', '--allowed-hosts', 'B.lan,[::1],*'], env);
    expect(flags).toMatchObject({ allowedOrigins: ['https://b.example:8443', 'http://c.example'], allowedHosts: ['b.lan', '[::1]', '*'] });
    expect(parseConfig([], {})).toMatchObject({ allowedOrigins: [], allowedHosts: [] });
    const error = (argv: string[]) => {
      try {
        parseConfig(argv, {});
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(error(['--allowed-origins', 'evil.example'])).toMatch(/^--allowed-origins: "evil\.example" is not an origin/);
    expect(error(['--allowed-origins', 'http://a.example/path'])).toMatch(/^--allowed-origins: /);
    expect(error(['--allowed-origins', 'ftp://a.example'])).toMatch(/^--allowed-origins: /);
    expect(error(['--allowed-hosts', 'a.lan:8080'])).toMatch(/^--allowed-hosts: "a\.lan:8080" is not a host name/);
    expect(error(['--allowed-hosts', 'http://a.lan'])).toMatch(/^--allowed-hosts: /);
  });
});
