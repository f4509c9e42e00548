// Hostile client text through a real server on both back ends (issue 8, found by the PostgreSQL pass):
// U+0000 in a workflow's name, description, tags and JSON, in a version's device label and in a user's
// display name; a 200,000-character name and 3,000 tags. Each one is listed, read back as written and
// keeps its versions, and the rest of the library is indexed beside it.
import { afterEach, describe, expect, it } from 'vitest';
import { api, createUser, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { userWorkflow } from '../api/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`client text through the server on ${backend}`, () => {
    async function alice() {
      const ts: TestServer = await startTestServer({ backend });
      cleanups.push(() => ts.close());
      const admin = await setupAdmin(ts);
      const user = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Al\u0000ice' });
      return { ts, call: api(ts, user.token) };
    }

    it('U+0000 in name, description, tags and workflow JSON: listed, read back, versions kept', async () => {
      const { call } = await alice();
      const workflow = userWorkflow('Nul\u0000 name', { description: 'about \u0000 it', tags: 'a\u0000b, plain', notes: 'n\u0000' });
      const created = await call('POST', '/api/v1/workflows', { workflow });
      expect(created.status).toBe(200);
      const id: string = created.body.workflow_id;
      const ordinary = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Ordinary') });
      expect(ordinary.status).toBe(200);
      const got = await call('GET', `/api/v1/workflows/i/${id}`);
      expect(got.status).toBe(200);
      expect(got.body.workflow).toMatchObject({ name: 'Nul\u0000 name', description: 'about \u0000 it', tags: 'a\u0000b, plain', notes: 'n\u0000' });
      const listed = await call('GET', '/api/v1/workflows/?categories=user&per_page=50');
      expect(listed.body.items.map((i: any) => i.name).sort()).toEqual(['Nul\u0000 name', 'Ordinary']);
      const path = `/api/v1/workflows/i/${id}/versions`;
      const upload = { save_id: 's1', workflow: got.body.workflow, device: 'd', label: 'Lap\u0000top', saved_at: new Date().toISOString() };
      expect((await call('POST', path, upload)).status).toBe(201);
      const versions = await call('GET', path);
      expect(versions.status).toBe(200);
      expect(JSON.stringify(versions.body)).toContain('Lap\\u0000top');
      expect(JSON.stringify(versions.body)).toContain('Al\\u0000ice');
    });

    it('a 200,000-character name and 3,000 tags are listed beside the rest of the library', async () => {
      const { call } = await alice();
      const tags = Array.from({ length: 3_000 }, (_, i) => `tag-${i}-${(i * 7919) % 10007}`).join(', ');
      const huge = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('é'.repeat(200_000)) });
      const tagged = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Tagged', { tags }) });
      const ordinary = await call('POST', '/api/v1/workflows', { workflow: userWorkflow('Ordinary') });
      for (const created of [huge, tagged, ordinary]) expect(created.status).toBe(200);
      for (const created of [huge, tagged, ordinary]) expect((await call('GET', `/api/v1/workflows/i/${created.body.workflow_id}`)).status).toBe(200);
      const listed = await call('GET', '/api/v1/workflows/?categories=user&order_by=name&direction=ASC&per_page=50');
      expect(listed.body.items.map((i: any) => i.workflow_id)).toEqual([ordinary.body.workflow_id, tagged.body.workflow_id, huge.body.workflow_id]);
      const byTag = await call('GET', '/api/v1/workflows/?categories=user&tags=tag-2999-');
      expect(byTag.body.items.map((i: any) => i.workflow_id)).toEqual([tagged.body.workflow_id]);
    });
  });
}
