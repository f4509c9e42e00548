// /api/v1/workflows behaviour beyond the visibility matrix: wire shapes, validation, the InvokeAI
// quirks kept or fixed (docs/invokeai-compat.md), thumbnails, and JSON file import/export.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createUser, setupAdmin, startTestServer, type Api, type TestServer, type TestUser } from '../helpers/server.js';
import { createWorkflow, fixtures, userWorkflow } from './fixtures.js';

let ts: TestServer;
let alice: TestUser;
let bob: TestUser;
let asAlice: Api;
let asBob: Api;

beforeAll(async () => {
  ts = await startTestServer();
  const admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  asAlice = api(ts, alice.token);
  asBob = api(ts, bob.token);
});
afterAll(async () => {
  await ts.close();
});

async function upload(path: string, method: string, token: string, field: string, data: Buffer, type: string, filename = 'x') {
  const form = new FormData();
  form.append(field, new Blob([data], { type }), filename);
  const res = await fetch(ts.url + path, { method, headers: { authorization: `Bearer ${token}` }, body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('round trip', () => {
  it('each of the 26 InvokeAI workflows comes back from GET exactly as created (id assigned by the server)', async () => {
    const all = fixtures();
    expect(all).toHaveLength(26);
    for (const { file, json } of all) {
      const { id: _ignored, ...withoutId } = json;
      const sent = { ...withoutId, meta: { ...json.meta, category: 'user' } };
      const created = await asAlice('POST', '/api/v1/workflows', { workflow: sent });
      expect(created.status, file).toBe(200);
      const id = created.body.workflow_id;
      expect(created.body).toMatchObject({ name: json.name, user_id: alice.userId, is_public: false, opened_at: null });
      const got = await asAlice('GET', `/api/v1/workflows/i/${id}`);
      expect(got.status, file).toBe(200);
      expect(got.body.workflow, file).toEqual({ ...sent, id });
      expect(Object.keys(got.body).sort()).toEqual(
        ['created_at', 'is_public', 'name', 'opened_at', 'thumbnail_url', 'updated_at', 'user_id', 'workflow', 'workflow_id'],
      );
    }
  });
});

describe('validation and InvokeAI quirks', () => {
  it('a PATCH whose body id differs from the path id is a 400 and changes nothing (InvokeAI updates the body id)', async () => {
    const a = await createWorkflow(asAlice, 'first');
    const b = await createWorkflow(asAlice, 'second');
    const res = await asAlice('PATCH', `/api/v1/workflows/i/${a.workflow_id}`, { workflow: { ...b.workflow, name: 'renamed' } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(b.workflow_id);
    expect((await asAlice('GET', `/api/v1/workflows/i/${b.workflow_id}`)).body.name).toBe('second');
  });

  it('creating a workflow with category default is a 403 (InvokeAI: 500)', async () => {
    const res = await asAlice('POST', '/api/v1/workflows', { workflow: userWorkflow('x', { meta: { version: '3.0.0', category: 'default' } }) });
    expect(res.status).toBe(403);
  });

  it('a body that fails validation is a 422 in FastAPI\'s shape naming the field, and nothing is created', async () => {
    const before = (await asAlice('GET', '/api/v1/workflows?categories=user')).body.total;
    const bad = await asAlice('POST', '/api/v1/workflows', { workflow: userWorkflow('x', { meta: { version: 'one', category: 'user' } }) });
    expect(bad).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'workflow', 'meta', 'version'], msg: 'Invalid workflow meta version: one', type: 'value_error' }] },
    });
    const missing = await asAlice('POST', '/api/v1/workflows', { workflow: { ...userWorkflow('x'), nodes: undefined } });
    expect(missing.body).toEqual({ detail: [{ loc: ['body', 'workflow', 'nodes'], msg: 'Field required', type: 'missing' }] });
    const badNode = userWorkflow('x');
    badNode.nodes = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 7 }];
    const node = await asAlice('POST', '/api/v1/workflows', { workflow: badNode });
    expect(node.body.detail).toEqual([{ loc: ['body', 'workflow', 'nodes', 3, 'id'], msg: expect.stringMatching(/string/), type: 'value_error' }]);
    const none = await asAlice('POST', '/api/v1/workflows', {});
    expect(none).toMatchObject({ status: 422, body: { detail: [{ loc: ['body', 'workflow'], msg: 'Field required', type: 'missing' }] } });
    expect((await asAlice('GET', '/api/v1/workflows?categories=user')).body.total).toBe(before);
  });

  it('bad query values are a 422 in FastAPI\'s shape naming the parameter', async () => {
    const cases: [string, (string | number)[], string][] = [
      ['order_by=size', ['query', 'order_by'], 'enum'],
      ['direction=UP', ['query', 'direction'], 'enum'],
      ['categories=project', ['query', 'categories', 0], 'enum'],
      ['is_public=maybe', ['query', 'is_public'], 'bool_parsing'],
      ['per_page=-1', ['query', 'per_page'], 'greater_than_equal'],
      ['page=-1', ['query', 'page'], 'greater_than_equal'],
      ['page=abc', ['query', 'page'], 'int_parsing'],
    ];
    for (const [query, loc, type] of cases) {
      const res = await asAlice('GET', `/api/v1/workflows?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.detail, query).toEqual([{ loc, msg: expect.any(String), type }]);
    }
    expect(await asAlice('GET', '/api/v1/workflows/counts_by_category')).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['query', 'categories'], msg: 'Field required', type: 'missing' }] },
    });
  });

  it('an out-of-range page or per_page says the allowed range, not "not an integer"', async () => {
    const exact: [string, string][] = [
      ['page=-1', 'Input should be greater than or equal to 0'],
      ['per_page=-5', 'Input should be greater than or equal to 0'],
      ['per_page=1.5', 'Input should be a valid integer'],
      ['page=abc', 'Input should be a valid integer'],
    ];
    for (const [query, msg] of exact) {
      const res = await asAlice('GET', `/api/v1/workflows?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.detail[0].msg, query).toBe(msg);
    }
  });

  it('per_page above 10,000 is accepted, and per_page=0 answers everything in one page, as InvokeAI does', async () => {
    const all = await asAlice('GET', '/api/v1/workflows?categories=user');
    expect(all.status).toBe(200);
    const big = await asAlice('GET', '/api/v1/workflows?categories=user&per_page=50000');
    expect(big).toMatchObject({ status: 200, body: { page: 0, per_page: 50000, pages: all.body.total > 0 ? 1 : 0, total: all.body.total } });
    expect(big.body.items).toHaveLength(all.body.total);
    const zero = await asAlice('GET', '/api/v1/workflows?categories=user&per_page=0&page=3');
    expect(zero).toMatchObject({ status: 200, body: { page: 3, per_page: all.body.total, pages: 1, total: all.body.total } });
    expect(zero.body.items).toHaveLength(all.body.total);
  });

  it('the shared tag follows is_public, also when a later save from the editor drops it', async () => {
    const wf = await createWorkflow(asAlice, 'tagged');
    const shared = await asAlice('PATCH', `/api/v1/workflows/i/${wf.workflow_id}/is_public`, { is_public: true });
    expect(shared.body).toMatchObject({ is_public: true, workflow: { tags: 'flux, test, shared' } });
    // InvokeAI's editor never sees the server-side tag edit and saves the old tags back.
    const saved = await asAlice('PATCH', `/api/v1/workflows/i/${wf.workflow_id}`, { workflow: { ...wf.workflow, tags: 'flux, test' } });
    expect(saved.body).toMatchObject({ is_public: true, workflow: { tags: 'flux, test, shared' } });
    const listed = (await asAlice('GET', '/api/v1/workflows?query=tagged')).body.items[0];
    expect(listed.tags).toBe('flux, test, shared');
    const unshared = await asAlice('PATCH', `/api/v1/workflows/i/${wf.workflow_id}/is_public`, { is_public: false });
    expect(unshared.body.workflow.tags).toBe('flux, test');
  });

  it('opening is recorded per user and does not bump updated_at (InvokeAI: one global column, trigger bumps it)', async () => {
    const wf = await createWorkflow(asBob, 'opened by alice', { shared: true });
    expect((await asAlice('PUT', `/api/v1/workflows/i/${wf.workflow_id}/opened_at`)).status).toBe(200);
    const recentAlice = await asAlice('GET', '/api/v1/workflows?categories=user&categories=default&has_been_opened=true&is_public=true');
    expect(recentAlice.body.items.map((i: any) => i.workflow_id)).toContain(wf.workflow_id);
    const recentBob = await asBob('GET', '/api/v1/workflows?has_been_opened=true');
    expect(recentBob.body.items.map((i: any) => i.workflow_id)).not.toContain(wf.workflow_id);
    const seenByBob = await asBob('GET', `/api/v1/workflows/i/${wf.workflow_id}`);
    expect(seenByBob.body.opened_at).toBeNull();
    expect(seenByBob.body.updated_at).toBe(wf.updated_at);
    expect((await asAlice('GET', `/api/v1/workflows/i/${wf.workflow_id}`)).body.opened_at).not.toBeNull();
  });

  it('the owner opening a workflow also records it in their library document entry', async () => {
    const wf = await createWorkflow(asBob, 'own open');
    await asBob('PUT', `/api/v1/workflows/i/${wf.workflow_id}/opened_at`);
    const got = await asBob('GET', `/api/v1/workflows/i/${wf.workflow_id}`);
    const doc = await ts.server.services.sync.withDocument(`library/${bob.userId}`, (d) =>
      (d.getMap('workflows').get(wf.workflow_id) as any).get('opened_at'),
    );
    expect(doc).toBe(got.body.opened_at);
  });
});

describe('tags and counts', () => {
  it('tags, counts_by_tag (repeated tags) and counts_by_category answer for the caller', async () => {
    const own = await asBob('GET', '/api/v1/workflows/tags?categories=user');
    expect(own.body).toEqual([...own.body].sort());
    expect(own.body).toContain('flux');
    const counts = await asBob('GET', '/api/v1/workflows/counts_by_tag?tags=flux&tags=nothing-like-this&categories=default');
    expect(counts.body).toEqual({ flux: 2, 'nothing-like-this': 0 });
    const byCat = await asBob('GET', '/api/v1/workflows/counts_by_category?categories=user&categories=default');
    expect(byCat.body.default).toBe(26);
    expect(byCat.body.user).toBe((await asBob('GET', '/api/v1/workflows?categories=user')).body.total);
  });
});

describe('thumbnails', () => {
  it('an uploaded image is stored as a webp fitting 256px, served without a token and cacheable', async () => {
    const wf = await createWorkflow(asAlice, 'with thumb');
    const png = await sharp({ create: { width: 1024, height: 512, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const put = await upload(`/api/v1/workflows/i/${wf.workflow_id}/thumbnail`, 'PUT', alice.token, 'image', png, 'image/png');
    expect(put).toEqual({ status: 200, body: null });
    const item = (await asAlice('GET', '/api/v1/workflows?query=with%20thumb')).body.items[0];
    expect(item.thumbnail_url).toMatch(new RegExp(`^/api/v1/workflows/i/${wf.workflow_id}/thumbnail\\?[0-9a-f-]{36}$`));
    const res = await fetch(ts.url + item.thumbnail_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toBe('max-age=31536000');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 128 });
    expect((await asAlice('GET', `/api/v1/workflows/i/${wf.workflow_id}`)).body.thumbnail_url).toBe(item.thumbnail_url);

    expect((await asAlice('DELETE', `/api/v1/workflows/i/${wf.workflow_id}/thumbnail`)).status).toBe(200);
    expect((await fetch(ts.url + item.thumbnail_url)).status).toBe(404);
    expect((await asAlice('GET', `/api/v1/workflows/i/${wf.workflow_id}`)).body.thumbnail_url).toBeNull();
  });

  it('a non-image is a 415 "Not an image", an undecodable image a 415 "Failed to read image"', async () => {
    const wf = await createWorkflow(asAlice, 'bad thumb');
    const path = `/api/v1/workflows/i/${wf.workflow_id}/thumbnail`;
    expect(await upload(path, 'PUT', alice.token, 'image', Buffer.from('hello'), 'text/plain')).toEqual({ status: 415, body: { detail: 'Not an image' } });
    expect(await upload(path, 'PUT', alice.token, 'image', Buffer.from('not a png'), 'image/png')).toEqual({
      status: 415,
      body: { detail: 'Failed to read image: thumbnails must be PNG, JPEG, WebP or GIF images (SVG and other formats are not accepted)' },
    });
    expect((await upload(path, 'PUT', alice.token, 'picture', Buffer.from('x'), 'image/png')).status).toBe(422);
    expect((await fetch(`${ts.url}${path}`)).status).toBe(404);
  });
});

describe('JSON file export and import', () => {
  it('download sends the workflow as an attachment named after it, with the shared tag applied', async () => {
    const wf = await createWorkflow(asAlice, 'Ünïcode "quoted"', { shared: true });
    const res = await fetch(`${ts.url}/api/v1/workflows/i/${wf.workflow_id}/download`, { headers: { authorization: `Bearer ${bob.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('Ünïcode "quoted".json')}`);
    const json = JSON.parse(await res.text());
    expect(json).toEqual(wf.workflow);
    expect(json.tags).toBe('flux, test, shared');
  });

  it('import creates a new workflow owned by the caller from an uploaded JSON file', async () => {
    const { json } = fixtures()[3]!;
    const res = await upload('/api/v1/workflows/import', 'POST', bob.token, 'file', Buffer.from(JSON.stringify({ ...json, meta: { ...json.meta, category: 'user' } })), 'application/json', 'wf.json');
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(bob.userId);
    expect(res.body.workflow_id).not.toBe(json.id);
    expect(res.body.workflow.nodes).toEqual(json.nodes);
    const bad = await upload('/api/v1/workflows/import', 'POST', bob.token, 'file', Buffer.from('{nope'), 'application/json');
    expect(bad).toEqual({ status: 422, body: { detail: [{ loc: ['body', 'file'], msg: 'not valid JSON', type: 'json_invalid' }] } });
  });
});
