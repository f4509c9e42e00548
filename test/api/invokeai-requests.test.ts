// Requests InvokeAI accepts are accepted here too (issue 11, item 2): null for "unchanged" in account
// updates, an empty body sent as JSON where no body is needed, and free-form edges without an id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { libraryDocument } from '../../shared/protocol.js';
import { api, createUser, login, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced } from '../sync/clients.js';
import { userWorkflow } from './fixtures.js';

let ts: TestServer;
let admin: TestUser;
let alice: TestUser;

beforeAll(async () => {
  ts = await startTestServer();
  admin = await setupAdmin(ts);
  alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
});
afterAll(async () => {
  await ts.close();
});

/** A raw request with `Content-Type: application/json` and an empty body, as some clients send it. */
async function emptyJson(method: string, path: string, token: string) {
  const res = await fetch(ts.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '' });
  return { status: res.status, body: (await res.json()) as any };
}

describe('null means unchanged, as in InvokeAI', () => {
  it('PATCH /auth/me with current_password and new_password null changes the name only', async () => {
    const res = await api(ts, alice.token)('PATCH', '/api/v1/auth/me', { display_name: 'Alice A.', current_password: null, new_password: null });
    expect(res).toMatchObject({ status: 200, body: { display_name: 'Alice A.' } });
    // Same password, same session.
    expect((await login(ts, 'alice@example.com', 'alice-password-1')).userId).toBe(alice.userId);
    expect((await api(ts, alice.token)('GET', '/api/v1/auth/me')).status).toBe(200);
    // display_name null leaves the name as it is.
    expect((await api(ts, alice.token)('PATCH', '/api/v1/auth/me', { display_name: null })).body.display_name).toBe('Alice A.');
  });

  it('PATCH /auth/users/{id} with password, is_admin and is_active null changes nothing but what is set', async () => {
    const res = await api(ts, admin.token)('PATCH', `/api/v1/auth/users/${alice.userId}`, {
      display_name: 'Alice B.',
      password: null,
      is_admin: null,
      is_active: null,
    });
    expect(res).toMatchObject({ status: 200, body: { display_name: 'Alice B.', is_admin: false, is_active: true } });
    expect((await api(ts, alice.token)('GET', '/api/v1/auth/me')).status).toBe(200);
    await login(ts, 'alice@example.com', 'alice-password-1');
  });
});

describe('an empty body sent as JSON', () => {
  it('is no body: logout and opened_at answer 200, a route that needs a body says which in a 422', async () => {
    expect(await emptyJson('POST', '/api/v1/auth/logout', alice.token)).toEqual({ status: 200, body: { success: true } });
    const created = await api(ts, alice.token)('POST', '/api/v1/workflows/', { workflow: userWorkflow('Opened') });
    expect(await emptyJson('PUT', `/api/v1/workflows/i/${created.body.workflow_id}/opened_at`, alice.token)).toEqual({ status: 200, body: null });
    expect(await emptyJson('POST', '/api/v1/workflows/', alice.token)).toEqual({
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] },
    });
  });
});

describe('edges without an id', () => {
  it('are kept exactly as sent, through create, update and the library document, never lost or duplicated', async () => {
    const call = api(ts, alice.token);
    const workflow = userWorkflow('Free-form edges');
    const [a, b] = workflow.nodes as { id: string }[];
    const loose = { source: a!.id, target: b!.id, type: 'default', sourceHandle: 'value', targetHandle: 'value' };
    const withId = { id: 'edge-1', source: b!.id, target: a!.id, type: 'collapsed' };
    workflow.edges = [loose, withId];
    const created = await call('POST', '/api/v1/workflows/', { workflow });
    expect(created.status).toBe(200);
    const id = created.body.workflow_id as string;
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).body.workflow.edges).toEqual([loose, withId]);

    const second = { ...loose, sourceHandle: 'other' };
    const updated = { ...created.body.workflow, edges: [loose, second, withId] };
    expect((await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: updated })).status).toBe(200);
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).body.workflow.edges).toEqual([loose, second, withId]);
    // The same save twice changes nothing (no duplicated edge).
    expect((await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: updated })).status).toBe(200);
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).body.workflow.edges).toEqual([loose, second, withId]);
    const removed = { ...updated, edges: [second] };
    expect((await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: removed })).status).toBe(200);
    expect((await call('GET', `/api/v1/workflows/i/${id}`)).body.workflow.edges).toEqual([second]);

    // What a synced app sees in the library document is the same.
    const client = connect(ts.wsUrl, libraryDocument(alice.userId), alice.token);
    try {
      await synced(client);
      const entry = (client.doc.getMap('workflows').get(id) as Y.Map<unknown>).toJSON() as { workflow: { edges: unknown[] } };
      expect(entry.workflow.edges).toEqual([second]);
    } finally {
      client.destroy();
    }
    // Ids that are there still have to be strings, unique among the edges.
    const duplicate = await call('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...updated, edges: [withId, withId] } });
    expect(duplicate.body.detail).toEqual([{ loc: ['body', 'workflow', 'edges', 1, 'id'], msg: 'Duplicate edge id: edge-1', type: 'value_error' }]);
  });
});
