// Every endpoint × every caller of the reference's visibility matrix (§2, MERGED), table-driven:
// the owner, another regular user and an administrator, against a private workflow, a shared one and
// a default one; plus single-user mode, where the one caller may do everything but change defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { api, createUser, setupAdmin, startTestServer, type Api, type TestServer } from '../helpers/server.js';
import { createWorkflow, userWorkflow } from './fixtures.js';

type Caller = 'owner' | 'other' | 'admin';
type Target = 'private' | 'shared' | 'default';

const DEFAULT_ID = 'default_444fe292-896b-44fd-bfc6-c0b5d220fffc';
let png: Buffer;

interface Endpoint {
  name: string;
  /** Performs the request against workflow `id` (whose current record is `record`). */
  call(call: Api, id: string, record: any, ts: TestServer, token: string | null): Promise<number>;
  /** Expected status per caller and target. */
  expect: Record<Caller, Record<Target, number>>;
  /** Whether the call changes the target (then every case gets a fresh one). */
  mutates: boolean;
}

const readable = { owner: { private: 200, shared: 200, default: 200 }, other: { private: 403, shared: 200, default: 200 }, admin: { private: 200, shared: 200, default: 200 } };
const writable = { owner: { private: 200, shared: 200, default: 403 }, other: { private: 403, shared: 403, default: 403 }, admin: { private: 200, shared: 200, default: 403 } };

async function putThumbnail(ts: TestServer, token: string | null, id: string): Promise<number> {
  const form = new FormData();
  form.append('image', new Blob([png], { type: 'image/png' }), 'thumb.png');
  const res = await fetch(`${ts.url}/api/v1/workflows/i/${id}/thumbnail`, {
    method: 'PUT',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  await res.arrayBuffer();
  return res.status;
}

const endpoints: Endpoint[] = [
  { name: 'GET /i/{id}', mutates: false, expect: readable, call: async (c, id) => (await c('GET', `/api/v1/workflows/i/${id}`)).status },
  { name: 'GET /i/{id}/download', mutates: false, expect: readable, call: async (c, id) => (await c('GET', `/api/v1/workflows/i/${id}/download`)).status },
  {
    name: 'PUT /i/{id}/opened_at',
    mutates: false,
    // Fixed: anyone who may read a workflow records their own "opened" (InvokeAI: 403 for non-owners).
    expect: readable,
    call: async (c, id) => (await c('PUT', `/api/v1/workflows/i/${id}/opened_at`)).status,
  },
  {
    name: 'PATCH /i/{id}',
    mutates: true,
    expect: writable,
    call: async (c, id, record) => (await c('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...record.workflow, notes: 'edited' } })).status,
  },
  { name: 'PATCH /i/{id}/is_public', mutates: true, expect: writable, call: async (c, id) => (await c('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true })).status },
  { name: 'DELETE /i/{id}', mutates: true, expect: writable, call: async (c, id) => (await c('DELETE', `/api/v1/workflows/i/${id}`)).status },
  { name: 'PUT /i/{id}/thumbnail', mutates: true, expect: writable, call: async (_c, id, _r, ts, token) => putThumbnail(ts, token, id) },
  { name: 'DELETE /i/{id}/thumbnail', mutates: true, expect: writable, call: async (c, id) => (await c('DELETE', `/api/v1/workflows/i/${id}/thumbnail`)).status },
];

describe('multiuser: endpoint × caller × workflow', () => {
  let ts: TestServer;
  const tokens = {} as Record<Caller, string>;
  let ownerApi: Api;

  beforeAll(async () => {
    png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#336699' } }).png().toBuffer();
    ts = await startTestServer();
    const admin = await setupAdmin(ts);
    tokens.admin = admin.token;
    tokens.owner = (await createUser(ts, admin.token, { email: 'owner@example.com', password: 'owner-password-1' })).token;
    tokens.other = (await createUser(ts, admin.token, { email: 'other@example.com', password: 'other-password-1' })).token;
    ownerApi = api(ts, tokens.owner);
  });
  afterAll(async () => {
    await ts.close();
  });

  async function target(kind: Target): Promise<{ id: string; record: any }> {
    if (kind === 'default') {
      const record = (await api(ts, tokens.admin)('GET', `/api/v1/workflows/i/${DEFAULT_ID}`)).body;
      return { id: DEFAULT_ID, record };
    }
    const record = await createWorkflow(ownerApi, `${kind} workflow`, { shared: kind === 'shared' });
    return { id: record.workflow_id, record };
  }

  for (const endpoint of endpoints) {
    for (const caller of ['owner', 'other', 'admin'] as const) {
      for (const kind of ['private', 'shared', 'default'] as const) {
        const status = endpoint.expect[caller][kind];
        it(`${endpoint.name}: ${caller} on a ${kind} workflow → ${status}`, async () => {
          const { id, record } = await target(kind);
          expect(await endpoint.call(api(ts, tokens[caller]), id, record, ts, tokens[caller])).toBe(status);
        });
      }
      it(`${endpoint.name}: ${caller} on an unknown id → 404`, async () => {
        const { record } = await target('private');
        const unknown = '00000000-0000-4000-8000-000000000000';
        const body = { ...record, workflow: { ...record.workflow, id: unknown } };
        expect(await endpoint.call(api(ts, tokens[caller]), unknown, body, ts, tokens[caller])).toBe(404);
      });
    }
    it(`${endpoint.name}: without a token → 401`, async () => {
      const { id, record } = await target('shared');
      expect(await endpoint.call(api(ts, null), id, record, ts, null)).toBe(401);
    });
  }

  it('a refused write changes nothing', async () => {
    const { id, record } = await target('private');
    await api(ts, tokens.other)('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...record.workflow, name: 'hijacked' } });
    await api(ts, tokens.other)('DELETE', `/api/v1/workflows/i/${id}`);
    const after = await ownerApi('GET', `/api/v1/workflows/i/${id}`);
    expect(after.body.workflow.name).toBe('private workflow');
  });

  describe('lists', () => {
    let ids: Record<string, string>;
    beforeAll(async () => {
      ids = {
        ownerPrivate: (await createWorkflow(ownerApi, 'Lst-owner private', { shared: false })).workflow_id,
        ownerShared: (await createWorkflow(ownerApi, 'Lst-owner shared', { shared: true })).workflow_id,
        otherPrivate: (await createWorkflow(api(ts, tokens.other), 'Lst-other private', { shared: false })).workflow_id,
        adminCreated: (await createWorkflow(api(ts, tokens.admin), 'Lst-admin created')).workflow_id,
      };
    });
    const listIds = async (caller: Caller, query: string) => {
      const res = await api(ts, tokens[caller])('GET', `/api/v1/workflows?query=Lst-&${query}`);
      expect(res.status).toBe(200);
      return (res.body.items as any[]).map((i) => i.workflow_id).sort();
    };
    const sorted = (...names: string[]) => names.map((n) => ids[n]!).sort();

    it('categories=user: own only for a regular user, everyone\'s for an admin', async () => {
      expect(await listIds('owner', 'categories=user')).toEqual(sorted('ownerPrivate', 'ownerShared'));
      expect(await listIds('other', 'categories=user')).toEqual(sorted('otherPrivate'));
      expect(await listIds('admin', 'categories=user')).toEqual(sorted('ownerPrivate', 'ownerShared', 'otherPrivate', 'adminCreated'));
    });

    it('categories=user&is_public=true: every shared workflow for everyone (admin-created ones start shared)', async () => {
      for (const caller of ['owner', 'other', 'admin'] as const) {
        expect(await listIds(caller, 'categories=user&is_public=true')).toEqual(sorted('ownerShared', 'adminCreated'));
      }
    });

    it('categories=user&categories=default: own plus every default for a regular user', async () => {
      const res = await api(ts, tokens.other)('GET', '/api/v1/workflows?categories=user&categories=default&per_page=100');
      const items = res.body.items as any[];
      expect(items.filter((i) => i.category === 'default')).toHaveLength(26);
      expect(items.filter((i) => i.category === 'user').every((i) => i.user_id !== undefined && i.workflow_id !== ids.ownerPrivate)).toBe(true);
    });
  });
});

describe('single-user mode', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ multiuser: false });
  });
  afterAll(async () => {
    await ts.close();
  });

  it('needs no token, creates workflows public and owned by system', async () => {
    const call = api(ts);
    const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('solo') });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ user_id: 'system', is_public: true });
    expect(created.body.workflow.tags).toBe('flux, test, shared');
    const id = created.body.workflow_id;
    expect((await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...created.body.workflow, notes: 'x' } })).status).toBe(200);
    expect((await call('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: false })).status).toBe(200);
    expect((await call('PUT', `/api/v1/workflows/i/${id}/opened_at`)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
  });

  it('defaults are readable and can be opened, but not changed (403, InvokeAI: 500 or silent no-op)', async () => {
    const call = api(ts);
    const record = (await call('GET', `/api/v1/workflows/i/${DEFAULT_ID}`)).body;
    expect(record.user_id).toBe('system');
    expect((await call('PUT', `/api/v1/workflows/i/${DEFAULT_ID}/opened_at`)).status).toBe(200);
    expect((await call('PATCH', `/api/v1/workflows/i/${DEFAULT_ID}`, { workflow: record.workflow })).status).toBe(403);
    expect((await call('PATCH', `/api/v1/workflows/i/${DEFAULT_ID}/is_public`, { is_public: true })).status).toBe(403);
    expect((await call('DELETE', `/api/v1/workflows/i/${DEFAULT_ID}`)).status).toBe(403);
    const listed = await call('GET', '/api/v1/workflows?categories=default&has_been_opened=true');
    expect(listed.body.items.map((i: any) => i.workflow_id)).toEqual([DEFAULT_ID]);
  });

  it('unknown ids are 404 in single-user mode too (InvokeAI: 500 on PATCH)', async () => {
    const call = api(ts);
    const wf = { ...userWorkflow('x'), id: 'nope' };
    expect((await call('PATCH', '/api/v1/workflows/i/nope', { workflow: wf })).status).toBe(404);
    expect((await call('DELETE', '/api/v1/workflows/i/nope')).status).toBe(404);
  });
});
