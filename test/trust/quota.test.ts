// Per-user storage quotas (issue 9, finding 1): one user cannot fill the disk for everyone. A user's
// library document (snapshot + update log as stored) and their thumbnails count. An update that adds
// content past the quota is refused before it is applied (the socket closed with 4429, final; REST
// 507 with the reason); deletions are always taken, compaction then frees the space, and other users
// are never affected. Real server, real SQLite file, the stock y-websocket client, real HTTP.
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageProblemMessage, storageProblemOf } from '../../client/data/storage-problem.js';
import { quotaDetail } from '../../server/storage/storage-errors.js';
import { CloseCode, libraryDocument } from '../../shared/protocol.js';
import { userWorkflow } from '../api/fixtures.js';
import { api, createUser, setupAdmin, startTestServer, storeSql, type TestServer, type TestUser } from '../helpers/server.js';
import { prng } from '../shared/helpers.js';
import { type Client, connect, synced, waitFor, watched, type Watched } from '../sync/clients.js';

const QUOTA = 1024 * 1024;
const MAP = 'quota-test';
const KIB64 = 64 * 1024;

function payload(tag: string): string {
  return (tag + ':').padEnd(KIB64, tag.slice(-1));
}

/** Random pixels (seeded), so the stored webp is tens of KiB. */
function noisePng(seed: number): Promise<Buffer> {
  const random = prng(seed);
  const pixels = Buffer.alloc(256 * 256 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return sharp(pixels, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
}

/** Bytes stored for a document (snapshot + log), read through the store's DocumentStore. */
async function storedBytes(ts: TestServer, doc: string): Promise<number> {
  const stored = await ts.server.backend.documents.load(doc);
  return (stored.snapshot?.length ?? 0) + stored.updates.reduce((n, update) => n + update.length, 0);
}

/** One byte count from the store (a SUM, which PostgreSQL returns as text). */
async function countBytes(ts: TestServer, sql: string, params: unknown[]): Promise<number> {
  const [row] = await storeSql(ts.server.backend, sql, params);
  return Number(row!.n);
}

describe('per-user storage quota', () => {
  let ts: TestServer;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const clients: Client[] = [];

  beforeEach(async () => {
    ts = await startTestServer({ config: { userQuotaBytes: QUOTA } });
    admin = await setupAdmin(ts);
    alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
    bob = await createUser(ts, admin.token, { email: 'bob@example.com', password: 'bob-password-1' });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await ts.close();
  });

  function client(user: TestUser): Watched {
    const c = watched(connect(ts.wsUrl, libraryDocument(user.userId), user.token));
    clients.push(c);
    return c;
  }

  async function upload(user: TestUser, workflowId: string, image: Buffer): Promise<{ status: number; body: unknown }> {
    const form = new FormData();
    form.append('image', new Blob([image], { type: 'image/png' }), 'thumb.png');
    const res = await fetch(`${ts.url}/api/v1/workflows/i/${workflowId}/thumbnail`, { method: 'PUT', headers: { authorization: `Bearer ${user.token}` }, body: form });
    return { status: res.status, body: await res.json() };
  }

  it('sync: an update over the quota is refused before it is applied (4429, final), stays on the device, others keep working, and deleting frees the space', async () => {
    const doc = libraryDocument(alice.userId);
    const writer = client(alice);
    const otherDevice = client(alice);
    const bobDevice = client(bob);
    const bobPeer = client(bob);
    await Promise.all([synced(writer), synced(otherDevice), synced(bobDevice), synced(bobPeer)]);

    const written: string[] = [];
    for (let i = 0; i < 40 && writer.closeCodes.length === 0; i++) {
      const key = `k${i}`;
      writer.doc.getMap(MAP).set(key, payload(key));
      written.push(key);
      await waitFor(() => otherDevice.doc.getMap(MAP).has(key) || writer.closeCodes.length > 0, `${key} forwarded or refused`);
    }
    const refusedKey = written.at(-1)!;
    expect(writer.closeCodes).toEqual([CloseCode.QuotaExceeded]);
    expect(writer.closeReasons[0]).toMatch(/^storage quota exceeded: \d+ of 1048576 bytes$/);
    // What the app makes of that close: the banner names usage and limit.
    const problem = storageProblemOf(writer.closeCodes[0]!, writer.closeReasons[0]!);
    expect(problem).toMatchObject({ kind: 'quota', limitBytes: QUOTA });
    expect(storageProblemMessage(problem!)).toMatch(
      /^Your library is over its storage quota \(1\.\d of 1\.0 MB\): changes stay on this device; delete workflows to free space\.$/,
    );
    // Never applied, stored or forwarded; what was accepted stays within the quota.
    expect(otherDevice.doc.getMap(MAP).has(refusedKey)).toBe(false);
    expect(await ts.server.services.sync.withDocument(doc, (d) => d.getMap(MAP).has(refusedKey))).toBe(false);
    expect(await storedBytes(ts, doc)).toBeLessThanOrEqual(QUOTA);
    expect(written.length).toBeGreaterThan(10);
    // The refusing device keeps its edit, and being final, the stock client does not resend it in a loop.
    expect(writer.doc.getMap(MAP).get(refusedKey)).toBe(payload(refusedKey));
    expect(writer.provider.shouldConnect).toBe(false);
    // Alice's other device is untouched, and so is Bob.
    expect(otherDevice.closeCodes).toEqual([]);
    bobDevice.doc.getMap(MAP).set('bob', payload('bob'));
    await waitFor(() => bobPeer.doc.getMap(MAP).get('bob') === payload('bob'), "Bob's edit at his other device");
    expect((await api(ts, bob.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('bob keeps working') })).status).toBe(200);

    // Over the quota, deleting is always taken (no structs, only a delete set)...
    otherDevice.doc.transact(() => {
      for (const key of written.slice(0, -1)) otherDevice.doc.getMap(MAP).delete(key);
    });
    await waitFor(() => bobPeer.doc.getMap(MAP).size === 1, 'settle');
    expect(otherDevice.closeCodes).toEqual([]);
    // ...and the device's refused edit, sent again when it reconnects, now fits: compaction drops
    // the deleted content, so the stored size is measured after it.
    writer.provider.connect();
    await waitFor(() => otherDevice.doc.getMap(MAP).get(refusedKey) === payload(refusedKey), 'the refused edit at the other device after space was freed');
    await waitFor(async () => (await storedBytes(ts, doc)) < QUOTA / 4, 'the log compacted');
    expect(writer.closeCodes).toEqual([CloseCode.QuotaExceeded]);
  });

  it('sync: the refused device itself frees space: deletions sent with the refused content are measured with it, and it fits', async () => {
    const writer = client(alice);
    const otherDevice = client(alice);
    await Promise.all([synced(writer), synced(otherDevice)]);
    const written: string[] = [];
    for (let i = 0; i < 40 && writer.closeCodes.length === 0; i++) {
      const key = `k${i}`;
      writer.doc.getMap(MAP).set(key, payload(key));
      written.push(key);
      await waitFor(() => otherDevice.doc.getMap(MAP).has(key) || writer.closeCodes.length > 0, `${key} forwarded or refused`);
    }
    const refusedKey = written.at(-1)!;
    expect(writer.closeCodes).toEqual([CloseCode.QuotaExceeded]);

    // Still offline on the refused device, delete most of what was stored, then sync again: the one
    // sync step carries the refused 64 KiB and the deletions together, and is measured as a whole.
    writer.doc.transact(() => {
      for (const key of written.slice(0, -1)) writer.doc.getMap(MAP).delete(key);
    });
    writer.provider.connect();
    await waitFor(() => otherDevice.doc.getMap(MAP).get(refusedKey) === payload(refusedKey), 'the refused edit at the other device');
    expect(otherDevice.doc.getMap(MAP).toJSON()).toEqual({ [refusedKey]: payload(refusedKey) });
    expect(writer.closeCodes).toEqual([CloseCode.QuotaExceeded]);
    expect(otherDevice.closeCodes).toEqual([]);
  });

  it('sync: an update that replaces content but still grows past the quota is refused whole (4429 to its sender, others reload), never half applied', async () => {
    const doc = libraryDocument(alice.userId);
    const writer = client(alice);
    const otherDevice = client(alice);
    await Promise.all([synced(writer), synced(otherDevice)]);
    const written: string[] = [];
    for (let i = 0; i < 40 && writer.closeCodes.length === 0; i++) {
      const key = `k${i}`;
      writer.doc.getMap(MAP).set(key, payload(key));
      written.push(key);
      await waitFor(() => otherDevice.doc.getMap(MAP).has(key) || writer.closeCodes.length > 0, `${key} forwarded or refused`);
    }
    expect(writer.closeCodes).toEqual([CloseCode.QuotaExceeded]);
    const viewer = client(alice);
    await synced(viewer);
    // On the other device: replace a stored value by one four times its size (a deletion and an
    // insertion in one update).
    const replaced = written[0]!;
    otherDevice.doc.getMap(MAP).set(replaced, payload(replaced).repeat(4));
    await waitFor(() => otherDevice.closeCodes.length > 0, 'the other device refused');
    expect(otherDevice.closeCodes).toEqual([CloseCode.QuotaExceeded]);
    // Neither half was stored or forwarded: the old value is still there, and a third device, told to
    // reload (1013), has it too.
    expect(await ts.server.services.sync.withDocument(doc, (d) => d.getMap(MAP).get(replaced))).toBe(payload(replaced));
    await waitFor(() => viewer.closeCodes.length > 0, 'the third device told to reload');
    expect(viewer.closeCodes).toEqual([CloseCode.TryAgain]);
    expect(viewer.closeReasons).toEqual(['storage quota exceeded']);
    expect(viewer.doc.getMap(MAP).get(replaced)).toBe(payload(replaced));
  });

  it('REST: a write over the quota answers 507 with the reason and stores nothing; administrators are held to it too; deleting frees space', async () => {
    for (const user of [alice, admin]) {
      const call = api(ts, user.token);
      const created: string[] = [];
      let refused: { status: number; body: any } | null = null;
      for (let i = 0; i < 40 && refused === null; i++) {
        const res = await call('POST', '/api/v1/workflows', { workflow: userWorkflow(`big ${i}`, { notes: payload(`n${i}`) }) });
        if (res.status === 200) created.push(res.body.workflow_id);
        else refused = res;
      }
      expect(refused?.status).toBe(507);
      expect(refused?.body.detail).toMatch(/^Your library is over its storage quota \(\d+\.\d of 1\.0 MB\): nothing was saved; delete workflows to free space$/);
      expect(created.length).toBeGreaterThan(3);
      expect(await storedBytes(ts, libraryDocument(user.userId))).toBeLessThanOrEqual(QUOTA);
      const listed = await call('GET', '/api/v1/workflows?categories=user&per_page=100');
      // (Administrators list everyone's workflows: count the caller's own.)
      expect(listed.body.items.filter((item: { user_id: string }) => item.user_id === user.userId)).toHaveLength(created.length);
      // Other writes that grow the library are refused the same way, and change nothing. (Replacing
      // a value by one of the same size fits: compaction drops the old one, and that is what counts.)
      const before = (await call('GET', `/api/v1/workflows/i/${created[0]}`)).body.workflow;
      const patched = await call('PATCH', `/api/v1/workflows/i/${created[0]}`, { workflow: { ...before, notes: payload('patched').repeat(3) } });
      expect(patched.status).toBe(507);
      expect(patched.body.detail).toMatch(/^Your library is over its storage quota/);
      expect((await call('GET', `/api/v1/workflows/i/${created[0]}`)).body.workflow.notes).toBe(before.notes);

      // Deleting is always possible and frees the space for the next write.
      for (const id of created.slice(0, 3)) expect((await call('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
      expect((await call('POST', '/api/v1/workflows', { workflow: userWorkflow('fits again', { notes: payload('again') }) })).status).toBe(200);
    }
    // Bob was never affected.
    expect((await api(ts, bob.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('bob', { notes: payload('bob') }) })).status).toBe(200);
  });

  it('thumbnails count: images fill the quota, then images, REST and sync writes are refused; deleting an image frees it', async () => {
    const call = api(ts, alice.token);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', '/api/v1/workflows', { workflow: userWorkflow(`w${i}`) })).body.workflow_id);
    // Each upload replaces the image of one of three workflows: only the newest image of each counts,
    // and three images are far below 1 MiB however often they are replaced.
    for (let i = 0; i < 6; i++) expect((await upload(alice, ids[i % 3]!, await noisePng(i))).status).toBe(200);

    let refused: { status: number; body: any } | null = null;
    const more: string[] = [];
    for (let i = 0; i < 60 && refused === null; i++) {
      const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow(`t${i}`) });
      if (created.status !== 200) {
        refused = created;
        break;
      }
      more.push(created.body.workflow_id);
      const res = await upload(alice, created.body.workflow_id, await noisePng(100 + i));
      if (res.status !== 200) refused = res;
    }
    expect(refused?.status).toBe(507);
    expect((refused?.body as { detail: string }).detail).toMatch(/^Your library is over its storage quota/);
    const thumbnailBytes = await countBytes(ts, 'SELECT sum(length(image)) AS n FROM workflow_thumbnails WHERE user_id = ?', [alice.userId]);
    expect(thumbnailBytes + (await storedBytes(ts, libraryDocument(alice.userId)))).toBeLessThanOrEqual(QUOTA);
    expect(thumbnailBytes).toBeGreaterThan(await storedBytes(ts, libraryDocument(alice.userId)));

    // The document is small, but with the images a 64 KiB sync update no longer fits.
    const device = client(alice);
    await synced(device);
    device.doc.getMap(MAP).set('big', payload('big'));
    await waitFor(() => device.closeCodes.length > 0, 'the device refused');
    expect(device.closeCodes).toEqual([CloseCode.QuotaExceeded]);

    // Removing images frees their bytes at once.
    for (const id of more.slice(0, 4)) expect((await call('DELETE', `/api/v1/workflows/i/${id}/thumbnail`)).status).toBe(200);
    expect((await upload(alice, ids[0]!, await noisePng(999))).status).toBe(200);
  });

  it('thumbnails go with their deleted workflows: a sync update that fits without them is taken at once', async () => {
    const call = api(ts, alice.token);
    const withImages: string[] = [];
    let refused = false;
    for (let i = 0; i < 60 && !refused; i++) {
      const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow(`img${i}`) });
      if (created.status !== 200) break;
      const res = await upload(alice, created.body.workflow_id, await noisePng(200 + i));
      if (res.status === 200) withImages.push(created.body.workflow_id);
      else refused = true;
    }
    expect(refused).toBe(true);
    const over = client(alice);
    await synced(over);
    over.doc.getMap(MAP).set('big', payload('big'));
    await waitFor(() => over.closeCodes.length > 0, 'the device refused');
    expect(over.closeCodes).toEqual([CloseCode.QuotaExceeded]);

    // Deleting workflows (not their images) removes the images with the index rows; the quota's
    // remembered bytes follow, so an update using the room the images left is taken at once by the
    // next device. (It is sized so that it would not fit with the images still counted: they free
    // far more than the deleted entries do in the document.)
    const imageBytes = () => countBytes(ts, 'SELECT coalesce(sum(length(image)), 0) AS n FROM workflow_thumbnails WHERE user_id = ?', [alice.userId]);
    const imagesBefore = await imageBytes();
    for (const id of withImages.slice(0, 8)) expect((await call('DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
    // A read answers once every committed change is indexed (and so the images are gone).
    await call('GET', '/api/v1/workflows?categories=user');
    const imagesAfter = await imageBytes();
    const storedNow = await storedBytes(ts, libraryDocument(alice.userId));
    expect(imagesBefore - imagesAfter).toBeGreaterThan(200 * 1024);
    // The deleted workflows' versions stay (in the trash) and count toward the quota too (issue 12).
    const versionBytes = await countBytes(ts, 'SELECT coalesce(sum(octet_length(workflow)), 0) AS n FROM workflow_versions WHERE owner_id = ?', [alice.userId]);
    const value = 'r'.repeat(QUOTA - imagesAfter - storedNow - versionBytes - 16 * 1024);
    const writer = client(alice);
    const peer = client(alice);
    await Promise.all([synced(writer), synced(peer)]);
    writer.doc.getMap(MAP).set('room', value);
    await waitFor(() => peer.doc.getMap(MAP).get('room') === value || writer.closeCodes.length > 0, 'the update taken or refused');
    expect(writer.closeCodes).toEqual([]);
    expect(peer.doc.getMap(MAP).get('room')).toBe(value);
  });
});

it('the quota reason names the usage and the limit in MB', () => {
  expect(quotaDetail(300 * 1024 * 1024, 256 * 1024 * 1024)).toBe(
    'Your library is over its storage quota (300.0 of 256.0 MB): nothing was saved; delete workflows to free space',
  );
});
