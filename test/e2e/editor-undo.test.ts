// Undo is per device and over the user's own edits only (issue 7, point 5, done-when): two devices
// of the same user edit one workflow; B's saved edit reaches A's open editor; A's undo takes back A's
// own edit and keeps B's, and what A then saves is exactly that.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, createUsers, e2eSuite, signIn, twoNodeWorkflow } from './harness.js';

let adminToken: string;
const suite = e2eSuite([], async (app) => {
  adminToken = await createUsers(app);
});

type Stored = { workflow: { nodes: { id: string; position: { x: number; y: number } }[] } };

const node = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id}"]`);
const transform = (page: Page, id: string) => node(page, id).getAttribute('transform');

async function openInEditor(page: Page, id: string): Promise<void> {
  await signIn(page, 'alice@example.test');
  await page.goto(`/#/edit/${id}`);
  await node(page, 'n1').waitFor();
}

/** Moves a node from the keyboard: focusing it selects it, each ArrowRight moves it 10 units. */
async function nudgeRight(page: Page, id: string, times: number): Promise<void> {
  await node(page, id).focus();
  for (let i = 0; i < times; i++) await node(page, id).press('ArrowRight');
}

describe('undo in the editor, two devices', () => {
  it('after a remote edit arrives, undo takes back only this device’s own edit', async () => {
    const { workflow_id: id } = await api<{ workflow_id: string }>(
      suite.app,
      'POST',
      '/workflows/',
      { workflow: twoNodeWorkflow('Two devices') },
      adminToken,
    );
    const a = await suite.newDevice();
    const b = await suite.newDevice();
    await openInEditor(a, id);
    await openInEditor(b, id);

    // A moves n1 (not saved: a draft edit on device A).
    await nudgeRight(a, 'n1', 3);
    expect(await transform(a, 'n1')).toBe('translate(30,40)');

    // B moves n2 and saves; the change reaches A's open editor through the sync.
    await nudgeRight(b, 'n2', 5);
    await b.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => transform(a, 'n2')).toBe('translate(470,40)');

    // A undoes: its own move goes, B's stays; the remote edit was never on A's stack.
    await node(a, 'n1').press('Control+z');
    await expect.poll(() => transform(a, 'n1')).toBe('translate(0,40)');
    expect(await transform(a, 'n2')).toBe('translate(470,40)');
    expect(await a.getByRole('button', { name: 'Undo' }).isDisabled()).toBe(true);

    // Redo brings A's move back; A saves it, with B's edit kept.
    await a.getByRole('button', { name: 'Redo' }).click();
    await expect.poll(() => transform(a, 'n1')).toBe('translate(30,40)');
    await a.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(async () => {
        const stored = await api<Stored>(suite.app, 'GET', `/workflows/i/${id}`, undefined, adminToken);
        return stored.workflow.nodes.map((n) => [n.id, n.position.x]);
      })
      .toEqual([
        ['n1', 30],
        ['n2', 470],
      ]);
  });
});
