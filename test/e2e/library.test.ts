// The app end to end: real server (dist/), real Chromium, several users and devices.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  PASSWORD,
  SCREENSHOTS,
  root,
  addUserCopy,
  api,
  createUsers,
  showView,
  signIn,
  e2eSuite,
  tile,
  twoNodeWorkflow,
  waitForStatus,
} from './harness.js';

/** A small picture for a workflow's thumbnail: a diagonal gradient with a few "nodes". */
async function thumbnailPng(from: string, to: string): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
    <rect width="320" height="320" fill="url(#g)"/>
    <g fill="white" fill-opacity="0.85"><rect x="40" y="60" width="90" height="60" rx="10"/><rect x="190" y="120" width="90" height="60" rx="10"/><rect x="60" y="200" width="90" height="60" rx="10"/></g>
    <g stroke="white" stroke-width="5" fill="none" stroke-opacity="0.85"><path d="M130 90 C160 90 160 150 190 150"/><path d="M150 230 C180 230 170 150 190 150"/></g>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

let adminToken: string;
const suite = e2eSuite([], async (app) => {
  adminToken = await createUsers(app);
});
const newDevice = (): Promise<Page> => suite.newDevice();

describe('sharing between users', () => {
  it('a shared workflow shows read-only under Shared Workflows for another user and leaves live when unshared', async () => {
    // Alice already keeps a few real workflows (copies of defaults), with thumbnails; one is shared.
    await addUserCopy(suite.app, adminToken, 'Text to Image - SDXL.json', { isPublic: true, thumbnail: await thumbnailPng('#4263eb', '#15aabf') });
    await addUserCopy(suite.app, adminToken, 'Flux Text to Image.json', { isPublic: false, thumbnail: await thumbnailPng('#e8590c', '#fcc419') });
    await addUserCopy(suite.app, adminToken, 'MultiDiffusion SDXL.json', { isPublic: false, thumbnail: await thumbnailPng('#2b8a3e', '#94d82d') });
    const alice = await newDevice();
    await signIn(alice, 'alice@example.test');
    // Alice makes a workflow in the editor and saves it shared.
    await alice.getByRole('button', { name: 'New Workflow' }).click();
    await alice.getByRole('button', { name: 'Add node' }).click();
    await alice.getByRole('combobox', { name: 'Search node types' }).fill('noise');
    await alice.getByRole('combobox', { name: 'Search node types' }).press('Enter');
    await alice.getByRole('button', { name: 'Save As' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Save Workflow As' });
    await dialog.getByLabel('Workflow name').fill('Sunset portraits');
    await dialog.getByLabel('Shared workflow').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await alice.waitForURL(/#\/edit\//);
    await alice.getByRole('button', { name: 'Back to library' }).click();
    await showView(alice, 'Your Workflows');
    await expect.poll(() => tile(alice, 'Sunset portraits').count()).toBe(1);
    await expect.poll(() => alice.locator('fs-workflow-tile img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)).toBe(3);
    await alice.screenshot({ path: join(SCREENSHOTS, 'library.png') });
    await tile(alice, 'Text to Image - SDXL').getByRole('button', { name: 'Edit' }).click();
    await alice.locator('g.node').first().waitFor();
    await alice.screenshot({ path: join(SCREENSHOTS, 'editor.png') });
    await alice.getByRole('button', { name: 'Back to library' }).click();
    await showView(alice, 'Browse Workflows');
    await alice.locator('fs-workflow-tile').first().getByRole('button', { name: 'View' }).click();
    await alice.locator('g.node').first().waitFor();
    await alice.screenshot({ path: join(SCREENSHOTS, 'default-workflow-view.png') });
    await alice.getByRole('button', { name: 'Back to library' }).click();
    await showView(alice, 'Your Workflows');

    const bob = await newDevice();
    await signIn(bob, 'bob@example.test');
    await showView(bob, 'Shared Workflows');
    const shared = tile(bob, 'Sunset portraits');
    await shared.waitFor();
    await tile(bob, 'Text to Image - SDXL').locator('img').waitFor();
    expect(await shared.getByText('Shared', { exact: true }).count()).toBe(1);
    expect(await shared.getByRole('button').allTextContents()).toEqual(['View', 'Download']);
    await bob.screenshot({ path: join(SCREENSHOTS, 'shared-workflows.png') });
    await bob.setViewportSize({ width: 390, height: 844 });
    await bob.screenshot({ path: join(SCREENSHOTS, 'shared-workflows-phone.png') });
    await bob.setViewportSize({ width: 1280, height: 800 });

    // Bob opens it: read-only, Save As only.
    await shared.click();
    await bob.getByText('Read-only', { exact: true }).first().waitFor();
    expect(await bob.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    await bob.getByRole('button', { name: 'Back to library' }).click();

    // Alice unshares; Bob's list drops it without a reload.
    await tile(alice, 'Sunset portraits').getByRole('switch', { name: 'Shared' }).uncheck();
    await expect.poll(() => tile(bob, 'Sunset portraits').count(), { timeout: 10_000 }).toBe(0);
  });
});

describe('files', () => {
  it('loads an InvokeAI workflow file, saves it as a new workflow and downloads it again', async () => {
    const file = join(root, 'server', 'library', 'default-workflows', 'Flux Text to Image.json');
    const original = JSON.parse(readFileSync(file, 'utf8')) as { name: string; nodes: { id: string }[] };
    const page = await newDevice();
    await signIn(page, 'alice@example.test');
    await page.locator('fs-workflow-library input[type=file]').setInputFiles(file);
    await page.waitForURL(/#\/new$/);
    await page.locator('g.node').first().waitFor();
    expect(await page.locator('g.node').count()).toBe(original.nodes.length);
    await page.getByRole('button', { name: 'Save As' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save Workflow As' });
    // Loaded from a file, not from the library: the name is offered as it is, not as a copy.
    expect(await dialog.getByLabel('Workflow name').inputValue()).toBe(original.name);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/edit\//);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe(`${original.name}.json`);
    const json = JSON.parse(readFileSync((await saved.path())!, 'utf8')) as { id: string; meta: { category: string }; nodes: unknown[] };
    expect(json.meta.category).toBe('user');
    expect(json.id).not.toBe((original as unknown as { id: string }).id);
    expect(json.nodes).toHaveLength(original.nodes.length);
  });
});

describe('administrators', () => {
  it("edits another user's shared workflow in that user's library", async () => {
    const { token: bobToken } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'bob@example.test', password: PASSWORD });
    const created = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Bob original') }, bobToken);
    await api(suite.app, 'PATCH', `/workflows/i/${created.workflow_id}/is_public`, { is_public: true }, bobToken);
    const alice = await newDevice();
    await signIn(alice, 'alice@example.test');
    await showView(alice, 'Shared Workflows');
    await tile(alice, 'Bob original').getByRole('button', { name: 'Edit' }).click();
    await alice.locator('g[data-node-id=n1]').waitFor();
    await alice.getByRole('complementary', { name: 'Details' }).getByLabel('Name').fill('Bob, reviewed');
    await alice.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(async () => (await api<{ name: string }>(suite.app, 'GET', `/workflows/i/${created.workflow_id}`, undefined, bobToken)).name, {
        timeout: 10_000,
      })
      .toBe('Bob, reviewed');
  });
});

describe('offline devices', () => {
  it('two devices of one user edit different nodes offline and both edits are there after reconnecting', async () => {
    const created = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Two devices') }, adminToken);
    const id = created.workflow_id;
    const one = await newDevice();
    const two = await newDevice();
    for (const page of [one, two]) {
      await signIn(page, 'alice@example.test');
      await page.goto(`/#/edit/${id}`);
      await page.locator('g[data-node-id=n1]').waitFor();
      await waitForStatus(page, 'online');
    }
    await Promise.all([one.context().setOffline(true), two.context().setOffline(true)]);
    for (const page of [one, two]) await waitForStatus(page, 'offline');

    // Device one relabels node n1, device two node n2; each saves locally.
    const relabel = async (page: Page, nodeId: string, label: string) => {
      await page.locator(`g[data-node-id=${nodeId}] rect.head`).click();
      await page.getByLabel('Node label').fill(label);
      await page.getByLabel('Node label').press('Enter');
      await page.getByLabel('Node label').blur();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText(/local changes? not synced/).waitFor();
    };
    await relabel(one, 'n1', 'Noise from phone');
    await relabel(two, 'n2', 'Decode on laptop');
    await one.screenshot({ path: join(SCREENSHOTS, 'offline-edit.png') });

    await Promise.all([one.context().setOffline(false), two.context().setOffline(false)]);
    for (const page of [one, two]) {
      await waitForStatus(page, 'online');
      await page.locator('g[data-node-id=n1] text', { hasText: 'Noise from phone' }).waitFor({ timeout: 20_000 });
      await page.locator('g[data-node-id=n2] text', { hasText: 'Decode on laptop' }).waitFor({ timeout: 20_000 });
    }
    const stored = await api<{ workflow: { nodes: { id: string; data: { label: string } }[] } }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, adminToken);
    expect(stored.workflow.nodes.map((n) => [n.id, n.data.label])).toEqual([
      ['n1', 'Noise from phone'],
      ['n2', 'Decode on laptop'],
    ]);
  });

  it('keeps edits when the session is refused (4401), asks to sign in again, then syncs them', async () => {
    const created = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Expiring') }, adminToken);
    const id = created.workflow_id;
    const page = await newDevice();
    await signIn(page, 'alice@example.test');
    await page.waitForFunction('navigator.serviceWorker.ready.then(() => true)');
    await page.goto(`/#/edit/${id}`);
    await page.locator('g[data-node-id=n1]').waitFor();
    await waitForStatus(page, 'online');
    await page.context().setOffline(true);
    await waitForStatus(page, 'offline');
    await page.locator('g[data-node-id=n1] rect.head').click();
    await page.getByLabel('Node label').fill('Edited before expiry');
    await page.getByLabel('Node label').blur();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('1 local change not synced').waitFor();

    // The stored token is no longer accepted (as after expiry or a server-side revocation).
    await page.evaluate(`localStorage.setItem('auth_token', 'not-a-valid-token')`);
    await page.reload();
    await page.locator('g[data-node-id=n1] text', { hasText: 'Edited before expiry' }).waitFor();
    await page.context().setOffline(false);
    const dialog = page.getByRole('dialog', { name: 'Session expired' });
    await dialog.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'session-expired.png') });
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await waitForStatus(page, 'online');
    await expect
      .poll(async () => {
        const r = await api<{ workflow: { nodes: { id: string; data: { label: string } }[] } }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, adminToken);
        return r.workflow.nodes.find((n) => n.id === 'n1')!.data.label;
      }, { timeout: 10_000 })
      .toBe('Edited before expiry');
    expect(await page.getByText(/local changes? not synced/).count()).toBe(0);
  });

  it('reloads with the network cut and still shows the library (service worker + IndexedDB)', async () => {
    await api(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Available offline') }, adminToken);
    const page = await newDevice();
    await signIn(page, 'alice@example.test');
    await showView(page, 'Your Workflows');
    await tile(page, 'Available offline').waitFor();
    await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 20_000 }).catch(async () => {
      // The first load is not controlled until clients.claim(); one reload makes it so.
      await page.reload();
      await page.waitForFunction('navigator.serviceWorker.controller !== null');
    });
    await page.context().setOffline(true);
    await page.reload();
    await showView(page, 'Your Workflows');
    await tile(page, 'Available offline').waitFor();
    await waitForStatus(page, 'offline');
    await page.screenshot({ path: join(SCREENSHOTS, 'offline-reload.png') });
  });
});

describe('thumbnails', () => {
  it('uploads a thumbnail in the Details panel and shows it on the tile', async () => {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#e8590c' } }).png().toBuffer();
    const created = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('With picture') }, adminToken);
    const page = await newDevice();
    await signIn(page, 'alice@example.test');
    await page.goto(`/#/edit/${created.workflow_id}`);
    await page.locator('g[data-node-id=n1]').waitFor();
    await page.getByLabel('Upload image').setInputFiles({ name: 'orange.png', mimeType: 'image/png', buffer: png });
    await page.getByText('Workflow thumbnail updated').waitFor();
    const res = await fetch(`${suite.app.url}/api/v1/workflows/i/${created.workflow_id}/thumbnail`);
    expect(res.status).toBe(200);
    await page.getByRole('button', { name: 'Back to library' }).click();
    await showView(page, 'Your Workflows');
    const img = tile(page, 'With picture').locator('img');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
  });

  it('a thumbnail set on one device shows live on the owner\'s other device and for another user, and its removal too', async () => {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#2f9e44' } }).png().toBuffer();
    // Created by alice, an administrator: shared from the start, so bob sees it under Shared Workflows.
    const created = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Live picture') }, adminToken);
    const loaded = (img: ReturnType<typeof tile>) =>
      img
        .locator('img')
        .evaluateAll((els) => els.filter((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 0).length);

    const phone = await newDevice();
    await signIn(phone, 'alice@example.test');
    await showView(phone, 'Your Workflows');
    await tile(phone, 'Live picture').waitFor();
    const bob = await newDevice();
    await signIn(bob, 'bob@example.test');
    await showView(bob, 'Shared Workflows');
    await tile(bob, 'Live picture').waitFor();
    expect(await loaded(tile(phone, 'Live picture'))).toBe(0);
    expect(await loaded(tile(bob, 'Live picture'))).toBe(0);

    const laptop = await newDevice();
    await signIn(laptop, 'alice@example.test');
    await laptop.goto(`/#/edit/${created.workflow_id}`);
    await laptop.locator('g[data-node-id=n1]').waitFor();
    await laptop.getByLabel('Upload image').setInputFiles({ name: 'green.png', mimeType: 'image/png', buffer: png });
    await laptop.getByText('Workflow thumbnail updated').waitFor();
    // No reload anywhere: the phone and bob get the new version through their documents.
    await expect.poll(() => loaded(tile(phone, 'Live picture'))).toBe(1);
    await expect.poll(() => loaded(tile(bob, 'Live picture'))).toBe(1);
    await expect.poll(() => laptop.getByRole('img', { name: 'Thumbnail' }).isVisible()).toBe(true);

    await laptop.getByRole('button', { name: 'Remove thumbnail' }).click();
    await laptop.getByText('Workflow thumbnail removed').waitFor();
    await expect.poll(() => tile(phone, 'Live picture').locator('img').count()).toBe(0);
    await expect.poll(() => tile(bob, 'Live picture').locator('img').count()).toBe(0);
  });
});
