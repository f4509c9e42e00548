// GET /healthz and GET /readyz (docs/deploy.md): no authentication, nothing revealed but the state;
// readiness goes 503 "shutting down" as soon as close() starts, while the node still drains.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const open: TestServer[] = [];
afterEach(async () => {
  for (const ts of open.splice(0)) await ts.close();
});

async function get(ts: TestServer, path: string) {
  const res = await fetch(ts.url + path);
  return { status: res.status, body: (await res.json()) as unknown, cache: res.headers.get('cache-control') };
}

describe('health endpoints', () => {
  it('answer without a token, with nothing but the state', async () => {
    const ts = await startTestServer();
    open.push(ts);
    expect(await get(ts, '/healthz')).toEqual({ status: 200, body: { status: 'ok' }, cache: 'no-store' });
    expect(await get(ts, '/readyz')).toEqual({ status: 200, body: { status: 'ready' }, cache: 'no-store' });
  });

  it('readiness is 503 "shutting down" once close() has started, while the node still drains', async () => {
    const ts = await startTestServer();
    // A server-side write in progress holds the drain (the sync server waits for it before closing).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = ts.server.services.sync.withDocument('library/system', () => held);
    await new Promise((resolve) => setImmediate(resolve));
    const closing = ts.close();
    try {
      expect(await get(ts, '/readyz')).toEqual({ status: 503, body: { detail: 'shutting down' }, cache: 'no-store' });
      expect((await get(ts, '/healthz')).status).toBe(200);
    } finally {
      release();
      await writing;
      await closing;
    }
  });
});
