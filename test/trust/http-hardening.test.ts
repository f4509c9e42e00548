// Issue 9, "8.": paging past any end, download names that are not well-formed or huge, security
// headers on the app and the API, and compressed app files with sane caching.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { userWorkflow } from '../api/fixtures.js';
import { api, startTestServer, type TestServer } from '../helpers/server.js';
import { rawRequest } from './http.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function singleUser(): Promise<TestServer> {
  const ts = await startTestServer({ multiuser: false });
  cleanups.push(() => ts.close());
  return ts;
}

describe('paging', () => {
  it('a page whose offset passes 2^53 is an empty page, as any page past the end, not a 500', async () => {
    const ts = await singleUser();
    const res = await api(ts)('GET', '/api/v1/workflows/?page=9007199254740991&per_page=10000');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 9007199254740991, per_page: 10000, items: [] });
    expect(res.body.total).toBeGreaterThan(0);
    const ordinary = await api(ts)('GET', '/api/v1/workflows/?page=5000&per_page=10000');
    expect(ordinary.body).toMatchObject({ page: 5000, items: [], total: res.body.total, pages: res.body.pages });
  });
});

describe('download file names', () => {
  async function download(ts: TestServer, name: string) {
    const created = await api(ts)('POST', '/api/v1/workflows/', { workflow: userWorkflow(name) });
    expect(created.status).toBe(200);
    return rawRequest(ts.url, `/api/v1/workflows/i/${created.body.workflow_id}/download`);
  }

  it('a lone surrogate in the name is replaced, not a 500', async () => {
    const ts = await singleUser();
    const res = await download(ts, 'Broken \ud800 name');
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="Broken _ name.json"; filename*=UTF-8''Broken%20%EF%BF%BD%20name.json`);
  });

  it('a huge name gives a bounded header; quotes, separators and RFC 5987 specials are escaped', async () => {
    const ts = await singleUser();
    const huge = await download(ts, 'é'.repeat(200_000));
    expect(huge.status).toBe(200);
    const header = String(huge.headers['content-disposition']);
    expect(header.length).toBeLessThan(1024);
    expect(header).toContain(`filename*=UTF-8''${'%C3%A9'.repeat(100)}.json`);

    const odd = await download(ts, `a"b\\c/d'(e)*\n%`);
    expect(odd.headers['content-disposition']).toBe(`attachment; filename="a_b_c_d'(e)*__.json"; filename*=UTF-8''a%22b_c_d%27%28e%29%2A_%25.json`);
  });
});

describe('security headers', () => {
  it('the app forbids framing and foreign scripts; the API forbids everything; no referrer leaves', async () => {
    const ts = await singleUser();
    for (const path of ['/', '/workflows/some-route', '/api/v1/auth/status', '/api/v1/nothing-here']) {
      const res = await rawRequest(ts.url, path);
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      const csp = String(res.headers['content-security-policy']);
      expect(csp, path).toContain("frame-ancestors 'none'");
      if (path.startsWith('/api/')) expect(csp).toMatch(/^default-src 'none'/);
      else expect(csp).toContain("script-src 'self'");
    }
    // Refusals carry them too.
    const refused = await rawRequest(ts.url, '/', { headers: { Host: 'evil.example' } });
    expect(refused.status).toBe(421);
    expect(refused.headers['x-frame-options']).toBe('DENY');
  });
});

describe('compressed app files', () => {
  async function withClient(files: Record<string, string>) {
    const clientDir = mkdtempSync(join(tmpdir(), 'flowshelf-client-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-data-'));
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(clientDir, name), text);
      writeFileSync(join(clientDir, `${name}.br`), brotliCompressSync(text));
      writeFileSync(join(clientDir, `${name}.gz`), gzipSync(text));
    }
    const server = await startServer({ ...parseConfig([], {}), host: '127.0.0.1', port: 0, dataDir, multiuser: false }, { clientDir });
    cleanups.push(async () => {
      await server.close();
      rmSync(clientDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { url: server.url, clientDir };
  }
  const bundle = `export const app = ${JSON.stringify('x'.repeat(50_000))};\n`;

  it('serves brotli or gzip by Accept-Encoding, with Vary and one ETag per encoding', async () => {
    const s = await withClient({ 'main.js': bundle, 'index.html': `<!doctype html>${' '.repeat(4000)}` });
    const get = (accept?: string, extra: Record<string, string> = {}) =>
      rawRequest(s.url, '/main.js', { headers: { ...(accept ? { 'accept-encoding': accept } : {}), ...extra } });

    const br = await get('gzip, deflate, br, zstd');
    expect([br.status, br.headers['content-encoding'], br.headers.vary]).toEqual([200, 'br', 'Accept-Encoding']);
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(brotliDecompressSync(br.body).toString()).toBe(bundle);
    expect(br.body.length).toBeLessThan(bundle.length / 10);

    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(bundle);
    const refusedBr = await get('br;q=0, gzip;q=0.5');
    expect(refusedBr.headers['content-encoding']).toBe('gzip');

    const plain = await get();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(bundle);

    const etags = new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]);
    expect(etags.size).toBe(3);
    expect((await get('br', { 'if-none-match': String(br.headers.etag) })).status).toBe(304);
    expect((await get('gzip', { 'if-none-match': String(br.headers.etag) })).status).toBe(200);

    const head = await rawRequest(s.url, '/main.js', { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect(Number(head.headers['content-length'])).toBe(br.body.length);
    // Client-side routes get index.html, compressed too.
    expect((await rawRequest(s.url, '/some/route', { headers: { 'accept-encoding': 'br' } })).headers['content-encoding']).toBe('br');
  });

  it('never serves a compressed copy older than its file (left over from an earlier build)', async () => {
    const s = await withClient({ 'main.js': bundle });
    const newer = 'export const app = "rebuilt";\n'.padEnd(2000, ' ');
    writeFileSync(join(s.clientDir, 'main.js'), newer);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(s.clientDir, 'main.js.br'), old, old);
    utimesSync(join(s.clientDir, 'main.js.gz'), old, old);
    const res = await rawRequest(s.url, '/main.js', { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(newer);
  });
});
