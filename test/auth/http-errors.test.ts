// Every failure of the HTTP API is JSON {"detail": ...} with a fitting status, never HTML or a stack.
import Fastify from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { installErrorHandlers } from '../../server/http/errors.js';
import { api, startTestServer, type TestServer } from '../helpers/server.js';

describe('API errors', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ config: { maxFrameBytes: 64 * 1024 } });
  });
  afterEach(async () => {
    await ts.close();
  });

  it('malformed JSON is 400 JSON', async () => {
    const res = await fetch(`${ts.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ detail: 'Request body is not valid JSON' });
  });

  it('a body over the limit is 413 JSON', async () => {
    const res = await api(ts)('POST', '/api/v1/auth/setup', { email: 'a@example.com', password: 'x'.repeat(100 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: 'Request body is too large' });
    expect(await ts.server.services.users.hasAdmin()).toBe(false);
  });

  it('an unsupported content type is 415 JSON', async () => {
    const res = await fetch(`${ts.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' });
    expect(res.status).toBe(415);
    expect(Object.keys((await res.json()) as object)).toEqual(['detail']);
  });

  it('a path that is not valid UTF-8 is 400 JSON, a path parameter too long for the router 414 JSON', async () => {
    const cases: [string, number, string][] = [
      ['/api/v1/workflows/i/%ff%fe', 400, 'The request path is not valid percent-encoded UTF-8'],
      ['/api/v1/auth/users/%c3', 400, 'The request path is not valid percent-encoded UTF-8'],
      [`/api/v1/workflows/i/${'x'.repeat(5000)}`, 414, 'A path parameter is too long'],
    ];
    for (const [path, status, detail] of cases) {
      const res = await fetch(ts.url + path);
      expect(res.status, path.slice(0, 40)).toBe(status);
      expect(res.headers.get('content-type'), path.slice(0, 40)).toMatch(/^application\/json/);
      expect(await res.json(), path.slice(0, 40)).toEqual({ detail });
    }
  });

  it('unknown API routes and methods are 404 JSON, never the web app', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['POST', '/api/v1/auth/status'],
      ['DELETE', '/'],
    ] as const) {
      const res = await api(ts)(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toEqual({ detail: 'Not Found' });
    }
  });

  it('a body that is not an object is 422 naming the body', async () => {
    const res = await api(ts)('POST', '/api/v1/auth/login', ['a']);
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([{ loc: ['body'], msg: expect.any(String), type: 'dict_type' }]);
  });
});

describe('unexpected errors', () => {
  it('are 500 {"detail": "Internal Server Error"} and logged without headers or query string', async () => {
    const app = Fastify({ logger: false });
    installErrorHandlers(app);
    app.get('/boom', async () => {
      throw new Error('kaboom');
    });
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
    try {
      const res = await app.inject({ method: 'GET', url: '/boom?token=secret-token', headers: { authorization: 'Bearer secret-bearer' } });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ detail: 'Internal Server Error' });
      expect(res.body).not.toContain('kaboom');
    } finally {
      spy.mockRestore();
      await app.close();
    }
    expect(logged.join('\n')).toContain('kaboom');
    expect(logged.join('\n')).not.toMatch(/secret-token|secret-bearer/);
  });
});

describe('the web app', () => {
  let dir: string;
  let server: RunningServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-static-'));
    const client = join(dir, 'client');
    mkdirSync(join(client, 'assets'), { recursive: true });
    writeFileSync(join(client, 'index.html'), '<!doctype html><title>Flowshelf</title>');
    writeFileSync(join(client, 'main.js'), 'console.log(1)');
    writeFileSync(join(client, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    writeFileSync(join(client, 'assets', 'icon.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    server = await startServer({ ...parseConfig([], {}), port: 0, dataDir: join(dir, 'data') }, { clientDir: client });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files with their content types, revalidated every time', async () => {
    const cases = [
      ['/', 'text/html'],
      ['/main.js', 'text/javascript'],
      ['/assets/icon.svg', 'image/svg+xml'],
      ['/sw.js', 'text/javascript'],
    ] as const;
    for (const [path, type] of cases) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect((await res.text()).length, path).toBeGreaterThan(0);
    }
  });

  it('answers index.html for client routes so a reload works', async () => {
    const res = await fetch(`${server.url}/workflows/abc-123`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Flowshelf</title>');
  });

  it('answers 304 when the ETag still matches', async () => {
    const first = await fetch(`${server.url}/main.js`);
    const etag = first.headers.get('etag')!;
    expect(await first.text()).toBe('console.log(1)');
    const again = await fetch(`${server.url}/main.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('shuts down even while a client holds a response it never reads', async () => {
    // Large enough that the response cannot finish while nobody reads it (socket buffers fill up).
    writeFileSync(join(dir, 'client', 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 1));
    const held = await fetch(`${server.url}/big.bin`);
    expect(held.status).toBe(200);
    await server.close();
    await expect(held.arrayBuffer()).rejects.toThrow();
  });

  it('missing assets are 404 JSON, and paths cannot climb out of the folder', async () => {
    const missing = await fetch(`${server.url}/missing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    const raw = await rawGet(server.port, '/../secret.txt');
    expect(raw.status).toBe(404);
    expect(raw.body).not.toContain('outside');
    const encoded = await rawGet(server.port, '/%2e%2e/secret.txt');
    expect(encoded.status).toBe(404);
    expect(encoded.body).not.toContain('outside');
  });
});

/** fetch() normalises `..` away; this sends the path exactly as written. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
