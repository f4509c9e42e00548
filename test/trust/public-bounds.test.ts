// Issue 9, finding 5: one user cannot break `public` for everyone. A shared workflow over the
// per-workflow limit, or beyond its owner's publishing budget, stays shared in the owner's library but
// is not published, and the owner is told why over REST; others neither see it in `public` nor over
// REST. A burst of edits to a big shared workflow is coalesced by the owner's publishing rate budget:
// the stock client reading `public` receives one rewrite for five edits, and always the latest state.
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseConfig, type Config } from '../../server/config.js';
import { PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { publicMap } from '../../shared/workflow/index.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from '../sync/clients.js';
import { userWorkflow } from '../api/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KIB = 1024;

async function server(config: Partial<Config>): Promise<TestServer> {
  const ts = await startTestServer({ config });
  cleanups.push(() => ts.close());
  return ts;
}

function reader(ts: TestServer, user: TestUser): Client {
  const c = connect(ts.wsUrl, PUBLIC_DOCUMENT, user.token);
  cleanups.push(() => c.destroy());
  return c;
}

/** A user workflow whose JSON is about `bytes` long (padded in its description). */
function sized(name: string, bytes: number): Record<string, unknown> {
  const base = JSON.stringify(userWorkflow(name)).length;
  return userWorkflow(name, { description: 'x'.repeat(Math.max(0, bytes - base)) });
}

async function share(call: ReturnType<typeof api>, workflow: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/api/v1/workflows', { workflow });
  expect(created.status).toBe(200);
  const id: string = created.body.workflow_id;
  expect((await call('PATCH', `/api/v1/workflows/i/${id}/is_public`, { is_public: true })).status).toBe(200);
  return id;
}

async function people(ts: TestServer) {
  const admin = await setupAdmin(ts);
  const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1', displayName: 'Alice' });
  const bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  return { admin, alice, bob };
}

function mine(items: { workflow_id: string; is_public: boolean; unpublished_reason?: string | null }[], id: string) {
  return items.find((i) => i.workflow_id === id);
}

describe('what one user can publish is bounded', () => {
  it('a workflow over the per-workflow limit, or past the per-user budget, stays shared but unpublished, and its owner sees why', async () => {
    const ts = await server({ maxPublishedWorkflowBytes: 64 * KIB, maxPublishedBytesPerUser: 200 * KIB, publishBytesPerSecond: 64 * 1024 * KIB });
    const { alice, bob } = await people(ts);
    const asAlice = api(ts, alice.token);
    const pub = reader(ts, bob);
    await synced(pub);

    const huge = await share(asAlice, sized('Huge', 70 * KIB));
    const fits: string[] = [];
    for (let i = 0; i < 4; i++) fits.push(await share(asAlice, sized(`Fits ${i}`, 60 * KIB)));
    // A small one shared last still fits the budget the fourth 60 KB one does not.
    const small = await share(asAlice, sized('Small', 10 * KIB));
    await waitFor(() => publicMap(pub.doc).has(small), 'the small workflow in public');

    const published = (id: string) => publicMap(pub.doc).has(id);
    expect([huge, ...fits, small].map(published)).toEqual([false, true, true, true, false, true]);

    const listed = (await asAlice('GET', '/api/v1/workflows?categories=user&per_page=100')).body.items;
    expect(mine(listed, huge)).toMatchObject({ is_public: true, unpublished_reason: expect.stringMatching(/larger than the 64 KiB/) });
    expect(mine(listed, fits[3]!)).toMatchObject({ is_public: true, unpublished_reason: expect.stringMatching(/over the 200 KiB/) });
    expect(mine(listed, fits[0]!)?.unpublished_reason).toBeNull();
    // Others: not in their lists of shared workflows, not readable by id (the listing, `public` and GET agree).
    const theirs = (await api(ts, bob.token)('GET', '/api/v1/workflows?categories=user&is_public=true&per_page=100')).body.items;
    expect(theirs.map((i: { workflow_id: string }) => i.workflow_id).sort()).toEqual([fits[0], fits[1], fits[2], small].sort());
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${huge}`)).status).toBe(403);
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${fits[3]}`)).status).toBe(403);

    // Unsharing one frees budget: the withheld one is published, nothing is lost.
    expect((await asAlice('PATCH', `/api/v1/workflows/i/${fits[0]}/is_public`, { is_public: false })).status).toBe(200);
    await waitFor(() => published(fits[3]!) && !published(fits[0]!), 'the withheld workflow published once budget is free');
    const after = (await asAlice('GET', '/api/v1/workflows?categories=user&per_page=100')).body.items;
    expect(mine(after, fits[3]!)?.unpublished_reason).toBeNull();
    expect(mine(after, fits[0]!)?.unpublished_reason).toBeNull();
    expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${fits[3]}`)).status).toBe(200);
  });

  it('five one-character edits of a big shared workflow reach a stock-client reader of public as one rewrite with the last state', async () => {
    // 200 KB at 32 KiB/s: the bucket, emptied by sharing it, refills in about 6 s, far longer than five REST edits take.
    const ts = await server({ maxPublishedWorkflowBytes: 256 * KIB, publishBytesPerSecond: 32 * KIB });
    const { alice, bob } = await people(ts);
    const asAlice = api(ts, alice.token);
    const pub = reader(ts, bob);
    await synced(pub);
    const workflow = sized('Big', 200 * KIB);
    const id = await share(asAlice, workflow);
    await waitFor(() => publicMap(pub.doc).has(id), 'the big workflow in public');

    const received: Uint8Array[] = [];
    const onUpdate = (update: Uint8Array) => received.push(update);
    pub.doc.on('update', onUpdate);
    const storedBefore = await publicLogBytes(ts);
    let last = '';
    for (let i = 0; i < 5; i++) {
      last = `${workflow.description as string}${i}`;
      const edited = await asAlice('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...workflow, id, description: last } });
      expect(edited.status).toBe(200);
      // REST is never held back: others read every edit at once.
      expect((await api(ts, bob.token)('GET', `/api/v1/workflows/i/${id}`)).body.workflow.description).toBe(last);
    }
    await waitFor(() => descriptionIn(pub.doc, id) === last, 'the last edit in public', 20_000);
    pub.doc.off('update', onUpdate);
    expect(received).toHaveLength(1);
    const bytes = received.reduce((n, u) => n + u.length, 0);
    expect(bytes).toBeLessThan(2 * 200 * KIB);
    console.log(
      `[public-bounds] 5 edits of a ${Math.round(JSON.stringify(workflow).length / KIB)} KiB shared workflow: ` +
        `${received.length} update(s), ${bytes} bytes to the reader; public's stored log grew ${(await publicLogBytes(ts)) - storedBefore} bytes`,
    );
  }, 30_000);

  it('public\'s stored log is folded once as many bytes as the document holds were appended', async () => {
    const ts = await server({ maxPublishedWorkflowBytes: 512 * KIB, publishBytesPerSecond: 64 * 1024 * KIB });
    const { alice, bob } = await people(ts);
    const asAlice = api(ts, alice.token);
    const pub = reader(ts, bob);
    await synced(pub);
    const workflow = sized('Rewritten', 400 * KIB);
    const id = await share(asAlice, workflow);
    // Ten rewrites of a 400 KB entry append about 4 MB; without folding, the log keeps every one.
    for (let i = 0; i < 10; i++) {
      const description = `${workflow.description as string}${i}`;
      expect((await asAlice('PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...workflow, id, description } })).status).toBe(200);
      await waitFor(() => descriptionIn(pub.doc, id) === description, `rewrite ${i} in public`);
    }
    const documentBytes = Y.encodeStateAsUpdate(pub.doc).length;
    let stored = await publicLogBytes(ts);
    const deadline = Date.now() + 5000;
    while (stored > 2.5 * documentBytes && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stored = await publicLogBytes(ts);
    }
    expect(stored).toBeLessThanOrEqual(2.5 * documentBytes);
  });

  it('the limits are flags and environment variables with sane defaults; the flag wins; bad values name the flag', () => {
    const defaults = parseConfig([], {});
    expect(defaults).toMatchObject({ maxPublishedWorkflowBytes: 1024 * KIB, maxPublishedBytesPerUser: 4096 * KIB, publishBytesPerSecond: 128 * KIB });
    const env = { FLOWSHELF_MAX_PUBLISHED_WORKFLOW_KB: '100', FLOWSHELF_MAX_PUBLISHED_KB_PER_USER: '300', FLOWSHELF_PUBLISH_RATE_KB_PER_SECOND: '5' };
    expect(parseConfig([], env)).toMatchObject({ maxPublishedWorkflowBytes: 100 * KIB, maxPublishedBytesPerUser: 300 * KIB, publishBytesPerSecond: 5 * KIB });
    expect(parseConfig(['--max-published-workflow-kb', '200', '--publish-rate-kb-per-second', '7'], env)).toMatchObject({
      maxPublishedWorkflowBytes: 200 * KIB,
      publishBytesPerSecond: 7 * KIB,
    });
    expect(() => parseConfig(['--max-published-kb-per-user', 'lots'], {})).toThrow(/^--max-published-kb-per-user must be a whole number/);
    expect(() => parseConfig([], { FLOWSHELF_PUBLISH_RATE_KB_PER_SECOND: '0' })).toThrow(/--publish-rate-kb-per-second must be between 1/);
  });
});

function descriptionIn(doc: Y.Doc, id: string): string | undefined {
  return (publicMap(doc).get(id) as { workflow?: { description?: string } } | undefined)?.workflow?.description;
}

/** Bytes `public` takes in the store (its log plus its snapshot), read through the store port beside the running server. */
async function publicLogBytes(ts: TestServer): Promise<number> {
  const stored = await ts.server.backend.documents.load(PUBLIC_DOCUMENT);
  return (stored.snapshot?.length ?? 0) + stored.updates.reduce((n, update) => n + update.length, 0);
}
