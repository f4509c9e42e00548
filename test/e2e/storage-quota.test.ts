// The storage quota in the app (issue 9, finding 1): an edit over the user's quota is refused by the
// server (4429), the app says so with the usage and the limit, keeps the edit on the device (also
// across a reload), and sends it once space has been freed.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, api, createUsers, e2eSuite, signIn, twoNodeWorkflow, waitForStatus } from './harness.js';

function workflow(name: string, notes: string) {
  return twoNodeWorkflow(name, { author: 'Bob', tags: '', notes, edges: [] });
}

let bobToken: string;
const suite = e2eSuite(['--user-quota-mb', '1'], async (app) => {
  await createUsers(app);
  bobToken = (await api<{ token: string }>(app, 'POST', '/auth/login', { email: 'bob@example.test', password: PASSWORD })).token;
});
const newDevice = (): Promise<Page> => suite.newDevice();

/** Creates workflows with `notesBytes` of notes until the server answers 507; returns the created ids. */
async function fill(notesBytes: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${suite.app.url}/api/v1/workflows/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bobToken}` },
      body: JSON.stringify({ workflow: workflow(`filler ${notesBytes} ${i}`, 'n'.repeat(notesBytes)) }),
    });
    if (res.status === 507) return ids;
    expect(res.status).toBe(200);
    ids.push(((await res.json()) as { workflow_id: string }).workflow_id);
  }
  throw new Error('the quota was never reached');
}

describe('storage quota', () => {
  it('an edit over the quota is refused, shown with usage and limit, kept on the device, and synced once space is freed', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: workflow('Quota', '') }, bobToken);
    const big = await fill(64 * 1024);
    await fill(2 * 1024);

    const page = await newDevice();
    await signIn(page, 'bob@example.test');
    await page.goto(`/#/edit/${id}`);
    await page.locator('g[data-node-id=n1]').waitFor();
    await waitForStatus(page, 'online');
    // A 20 KB label does not fit in what is left.
    const label = 'L'.repeat(20_000);
    await page.locator('g[data-node-id=n1] rect.head').click();
    await page.getByLabel('Node label').fill(label);
    await page.getByLabel('Node label').blur();
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    await page.locator('fs-status-chip [data-status=over-quota]').waitFor();
    const banner = page.getByRole('alert').filter({ hasText: 'storage quota' });
    expect(await banner.textContent()).toMatch(
      /^Your library is over its storage quota \(1\.\d of 1\.0 MB\): changes stay on this device; delete workflows to free space\.$/,
    );
    const onServer = async () =>
      (await api<{ workflow: { nodes: { id: string; data: { label: string } }[] } }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, bobToken)).workflow.nodes.find(
        (n) => n.id === 'n1',
      )!.data.label;
    expect(await onServer()).toBe('');

    // Kept on the device across a reload (still refused: nothing was freed).
    await page.reload();
    await page.locator('fs-status-chip [data-status=over-quota]').waitFor();
    await page.locator('g[data-node-id=n1] text', { hasText: 'LLLLLLLLLL' }).waitFor();

    // Space is freed (another device, here the API, deletes two big workflows); the next start of
    // the app sends the kept edit.
    for (const gone of big.slice(0, 2)) await api(suite.app, 'DELETE', `/workflows/i/${gone}`, undefined, bobToken);
    await page.reload();
    await waitForStatus(page, 'online');
    await expect.poll(onServer, { timeout: 10_000 }).toBe(label);
    expect(await page.getByRole('alert').filter({ hasText: 'storage quota' }).count()).toBe(0);
  });
});
