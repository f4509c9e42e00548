// Issue 12 end to end, in Chromium against the built server: History lists the workflow's versions, a
// chosen one is shown with its differences marked, Restore makes it the current workflow (and Undo
// takes it back); and the same-field offline conflict of the issue ends with the lost value in History,
// a notice on the device that lost it, and one click to bring it back.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, createUsers, e2eSuite, showView, signIn, tile, twoNodeWorkflow, waitForStatus } from './harness.js';

let adminToken: string;
const suite = e2eSuite([], async (app) => {
  adminToken = await createUsers(app);
});

type Stored = { workflow: { nodes: { id: string; data: { inputs: Record<string, { value: unknown }> } }[] } };
type Versions = { items: { version_id: string; kind: string; device_label: string }[] };

const node = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id}"]`);

async function stored(id: string): Promise<Stored['workflow']> {
  return (await api<Stored>(suite.app, 'GET', `/workflows/i/${id}`, undefined, adminToken)).workflow;
}

async function openInEditor(page: Page, id: string): Promise<void> {
  await signIn(page, 'alice@example.test');
  await page.goto(`/#/edit/${id}`);
  await node(page, 'n1').waitFor();
  await waitForStatus(page, 'online');
}

describe('History in the editor', () => {
  it('shows a version with its differences, restores it, and Undo takes the restore back', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Versions') }, adminToken);
    const page = await suite.newDevice();
    await openInEditor(page, id);

    // Remove n2 and save: a second version without it.
    await node(page, 'n2').focus();
    await node(page, 'n2').press('Delete');
    await expect.poll(() => node(page, 'n2').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await stored(id)).nodes.map((n) => n.id)).toEqual(['n1']);
    await expect
      .poll(async () => (await api<Versions>(suite.app, 'GET', `/workflows/i/${id}/versions`, undefined, adminToken)).items.length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);

    // History: the oldest version (both nodes) on the canvas, n2 marked as what Restore adds.
    await page.getByRole('button', { name: 'History' }).click();
    const versions = page.locator('fs-history-panel button.version');
    await expect.poll(() => versions.count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => versions.first().textContent()).toContain('Alice');
    await versions.last().click();
    await page.locator('g.mark[data-mark="added"][data-node-id="n2"]').waitFor();
    await expect.poll(() => page.locator('p.version-banner').textContent()).toContain('add 1 node');
    expect(await node(page, 'n2').count()).toBe(1);

    await page.getByRole('button', { name: 'Restore this version' }).click();
    await expect.poll(async () => (await stored(id)).nodes.map((n) => n.id)).toEqual(['n1', 'n2']);
    expect(await page.locator('g.mark').count()).toBe(0);

    // Undo takes the restore back in the editor; saving that makes it the workflow again.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => node(page, 'n2').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await stored(id)).nodes.map((n) => n.id)).toEqual(['n1']);
  });
});

describe('the same field changed on two offline devices', () => {
  it('the device that lost says so, its value is in History, and Bring back restores it', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Conflict') }, adminToken);
    const a = await suite.newDevice();
    const b = await suite.newDevice();
    for (const page of [a, b]) await openInEditor(page, id);
    await Promise.all([a.context().setOffline(true), b.context().setOffline(true)]);
    for (const page of [a, b]) await waitForStatus(page, 'offline');

    const setSeed = async (page: Page, seed: number) => {
      const input = node(page, 'n1').locator('[data-field="seed"] input');
      await input.fill(String(seed));
      await input.press('Enter');
      await input.blur();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Workflow Saved').waitFor();
    };
    await setSeed(a, 11);
    await setSeed(b, 22);

    // A reconnects first, then B.
    await a.context().setOffline(false);
    await waitForStatus(a, 'online');
    await b.context().setOffline(false);
    await waitForStatus(b, 'online');
    const seedNow = async () => (await stored(id)).nodes.find((n) => n.id === 'n1')!.data.inputs['seed']?.value;
    await expect.poll(seedNow, { timeout: 15_000 }).toSatisfy((v) => v === 11 || v === 22);
    const winner = (await seedNow()) as number;
    const [loser, lost] = winner === 11 ? [b, 22] : [a, 11];

    const notice = loser.locator('fs-conflict-notices li');
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.textContent()).toContain(`was changed to ${winner} on another device; your ${lost} is in History`);

    // The lost value is in History (the Save's upload).
    await expect
      .poll(
        async () => {
          const list = await api<Versions>(suite.app, 'GET', `/workflows/i/${id}/versions`, undefined, adminToken);
          const seeds = await Promise.all(
            list.items.map(async (v) => {
              const full = await api<Stored>(suite.app, 'GET', `/workflows/i/${id}/versions/${v.version_id}`, undefined, adminToken);
              return full.workflow.nodes.find((n) => n.id === 'n1')!.data.inputs['seed']?.value;
            }),
          );
          return seeds.includes(lost);
        },
        { timeout: 20_000 },
      )
      .toBe(true);

    await notice.getByRole('button', { name: 'Bring back' }).click();
    await expect.poll(seedNow, { timeout: 15_000 }).toBe(lost);
    expect(await loser.locator('fs-conflict-notices li').count()).toBe(0);
  });
});

async function inTrash(id: string): Promise<boolean> {
  const trash = await api<{ items: { workflow_id: string }[] }>(suite.app, 'GET', '/workflows/trash', undefined, adminToken);
  return trash.items.some((i) => i.workflow_id === id);
}

describe('Trash', () => {
  it('a workflow deleted in the library is listed in the Trash and comes back with its history', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(
      suite.app,
      'POST',
      '/workflows/',
      { workflow: twoNodeWorkflow('Binned'), is_public: false },
      adminToken,
    );
    const page = await suite.newDevice();
    await signIn(page, 'alice@example.test');
    await showView(page, 'Your Workflows');
    await tile(page, 'Binned').waitFor();
    const trashButton = page.getByRole('navigation', { name: 'Library views' }).getByRole('button', { name: 'Trash' });
    await trashButton.click();
    await page.locator('fs-trash-view').getByText('The trash is empty.').waitFor();

    // Deleted on another device (the API) while the Trash is open: it shows there without Refresh,
    // whenever the server files it.
    await api(suite.app, 'DELETE', `/workflows/i/${id}`, undefined, adminToken);
    const item = page.locator(`fs-trash-view li[data-id="${id}"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.textContent()).toContain('Binned');
    await item.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('“Binned” is back in Your Workflows.').waitFor();

    await showView(page, 'Your Workflows');
    await tile(page, 'Binned').waitFor({ timeout: 15_000 });
    const versions = await api<Versions>(suite.app, 'GET', `/workflows/i/${id}/versions`, undefined, adminToken);
    expect(versions.items.length).toBeGreaterThanOrEqual(1);

    // Deleted in the library on this device; the Trash is opened once the server has filed it (a view
    // opened before knows nothing of a deletion made while it was closed). Delete forever: asked first,
    // then gone from the trash.
    await tile(page, 'Binned').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete Workflow' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => tile(page, 'Binned').count()).toBe(0);
    await expect.poll(() => inTrash(id), { timeout: 15_000 }).toBe(true);
    await trashButton.click();
    await item.waitFor({ timeout: 15_000 });
    await item.getByRole('button', { name: 'Delete forever' }).click();
    await page.getByRole('dialog', { name: 'Delete forever' }).getByRole('button', { name: 'Delete forever' }).click();
    await item.waitFor({ state: 'detached' });
    expect(await inTrash(id)).toBe(false);
  });
});

describe('presence', () => {
  it('a device sees the owner’s other device on the tile, as an avatar in the editor, and its selected node outlined', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(
      suite.app,
      'POST',
      '/workflows/',
      { workflow: twoNodeWorkflow('Together'), is_public: false },
      adminToken,
    );
    const a = await suite.newDevice();
    const b = await suite.newDevice();
    await openInEditor(a, id);
    await signIn(b, 'alice@example.test');
    await showView(b, 'Your Workflows');
    await tile(b, 'Together').getByText('Open on 1 device').waitFor({ timeout: 15_000 });

    await b.goto(`/#/edit/${id}`);
    await node(b, 'n1').waitFor();
    await a.locator('fs-presence-bar li').waitFor({ timeout: 15_000 });
    expect(await a.locator('fs-presence-bar li').getAttribute('aria-label')).toMatch(/^Alice on Chrome on Linux$/);
    await node(b, 'n2').focus();
    await a.locator('g.remote-selection[data-node-id="n2"]').waitFor({ timeout: 15_000 });
  });
});
