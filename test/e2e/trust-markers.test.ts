// What the server quarantined or withheld, as the owner sees it in the app (issue 9, parts 4 and 5),
// against the real server: Bob's library holds an entry under the id of Alice's PRIVATE workflow
// (never in `public`, so only the server's ownership records know it is hers), and a shared workflow
// larger than the server publishes. The app learns both from the owner's REST list while online.
import { describe, expect, it } from 'vitest';
import { createEntry } from '../../shared/workflow/library-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import type { WorkflowListItemDTO } from '../../shared/api-types.js';
import { connect, synced } from '../sync/clients.js';
import { PASSWORD, api, createUsers, e2eSuite, showView, signIn, tile, twoNodeWorkflow, waitForStatus } from './harness.js';

function workflow(name: string, notes = '') {
  return twoNodeWorkflow(name, { author: 'tester', description: '', tags: '', notes, edges: [] });
}

let aliceToken: string;
let bobToken: string;
let bobId: string;
// 16 KiB published per shared workflow at most: a workflow with 40 KB of notes stays unpublished.
const suite = e2eSuite(['--max-published-workflow-kb', '16'], async (app) => {
  aliceToken = await createUsers(app);
  const login = await api<{ token: string; user: { user_id: string } }>(app, 'POST', '/auth/login', {
    email: 'bob@example.test',
    password: PASSWORD,
  });
  bobToken = login.token;
  bobId = login.user.user_id;
});

async function bobsList(): Promise<WorkflowListItemDTO[]> {
  return (await api<{ items: WorkflowListItemDTO[] }>(suite.app, 'GET', '/workflows/?categories=user', undefined, bobToken)).items;
}

describe('quarantined and withheld workflows in the app', () => {
  it('shows a copy of another user\'s private id as invalid with the server\'s reason, and a withheld shared workflow as not visible to others', async () => {
    const app = suite.app;
    const { workflow_id: alicesId } = await api<{ workflow_id: string }>(app, 'POST', '/workflows/', { workflow: workflow('Alice private') }, aliceToken);
    // An administrator's new workflows start shared: Alice's stays private, so `public` never shows it.
    await api(app, 'PATCH', `/workflows/i/${alicesId}/is_public`, { is_public: false }, aliceToken);
    const { workflow_id: bigId } = await api<{ workflow_id: string }>(app, 'POST', '/workflows/', { workflow: workflow('Big shared', 'n'.repeat(40_000)) }, bobToken);
    await api(app, 'PATCH', `/workflows/i/${bigId}/is_public`, { is_public: true }, bobToken);

    // Bob's library gets an entry under Alice's id, written with the stock sync client as any client could.
    const writer = connect(`${app.url.replace(/^http/, 'ws')}/sync`, `library/${bobId}`, bobToken);
    await synced(writer);
    createEntry(writer.doc, alicesId, { ...workflow('Copied id'), id: alicesId } as Workflow, { isPublic: true });
    let flagged: WorkflowListItemDTO[] = [];
    // The server indexes sync edits within 200 ms; its list is what the app will be told.
    await expect
      .poll(async () => (flagged = (await bobsList()).filter((w) => w.invalid_reason || w.unpublished_reason)).length, { timeout: 10_000 })
      .toBe(2);
    writer.destroy();
    const copied = flagged.find((w) => w.workflow_id === alicesId);
    const big = flagged.find((w) => w.workflow_id === bigId);
    expect(copied?.invalid_reason).toMatch(/belongs to another library/);
    expect(big?.unpublished_reason).toMatch(/^not published: /);

    const page = await suite.newDevice();
    await signIn(page, 'bob@example.test');
    await waitForStatus(page, 'online');
    await showView(page, 'Your Workflows');

    const copiedTile = tile(page, 'Copied id');
    await copiedTile.getByText(copied!.invalid_reason!).waitFor();
    expect(await copiedTile.locator('.badge').allTextContents()).toEqual(['Invalid']);

    const bigTile = tile(page, 'Big shared');
    const withheld = `Shared, but not visible to others: ${big!.unpublished_reason!.replace(/^not published: /, '')}`;
    await bigTile.getByText(withheld).waitFor();
    expect(await bigTile.locator('.badge').allTextContents()).toEqual(['Not visible to others']);

    // The editor offers Save As for the quarantined copy, and Details names the withheld one.
    await copiedTile.getByRole('button', { name: 'Edit' }).click();
    await page.locator('.banner.quarantine').getByText(copied!.invalid_reason!).waitFor();
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Save As…' }).click();
    await page.getByLabel('Workflow name').fill('Mine now');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Mine now' }).waitFor();
    await expect.poll(async () => (await bobsList()).find((w) => w.name === 'Mine now')?.invalid_reason, { timeout: 10_000 }).toBe(null);

    await page.goto(`/#/edit/${bigId}`);
    await page.getByLabel('Details').getByText(withheld).waitFor();
  });
});
