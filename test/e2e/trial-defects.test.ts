// Defects found in the editor trial (issue 7, point 8) that need a real server to show: the Users
// page's error line, and thumbnail requests for workflows that have no thumbnail.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, addUserCopy, api, createUsers, e2eSuite, showView, signIn, tile } from './harness.js';

const suite = e2eSuite([]);

async function addUser(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add user' });
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Add user' }).click();
}

describe('defects of the trial', () => {
  it('the duplicate-email error stays in its dialog and is gone once the next user is added', async () => {
    await createUsers(suite.app);
    const admin = await suite.newDevice();
    await signIn(admin, 'alice@example.test');
    await admin.getByRole('button', { name: /Alice/ }).click();
    await admin.getByRole('menuitem', { name: 'Manage users' }).click();
    await admin.locator('tr[data-user="bob@example.test"]').waitFor();

    // A taken email: the dialog says so and stays open.
    await addUser(admin, 'bob@example.test');
    const dialog = admin.getByRole('dialog', { name: 'Add user' });
    await dialog.getByRole('alert').filter({ hasText: /already/i }).waitFor();

    // Corrected in the same dialog: the user is added and no error is left anywhere on the page.
    await dialog.getByLabel('Email').fill('carol@example.test');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await admin.locator('tr[data-user="carol@example.test"]').waitFor();
    await dialog.waitFor({ state: 'hidden' });
    expect(await admin.locator('fs-user-admin').getByRole('alert').count()).toBe(0);

    // Refused, then cancelled: the dialog's error does not move onto the page, nor into the next dialog.
    await addUser(admin, 'carol@example.test');
    await dialog.getByRole('alert').filter({ hasText: /already/i }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await addUser(admin, 'dave@example.test');
    await admin.locator('tr[data-user="dave@example.test"]').waitFor();
    expect(await admin.locator('fs-user-admin').getByRole('alert').count()).toBe(0);
  });

  it('the library asks for a thumbnail only for workflows that have one: no 404s', async () => {
    const token = await createUsers(suite.app);
    const { token: bobToken } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'bob@example.test', password: PASSWORD });
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
      'base64',
    );
    await addUserCopy(suite.app, bobToken, 'Text to Image - SD1.5.json', { isPublic: false });
    await addUserCopy(suite.app, bobToken, 'Text to Image - SDXL.json', { isPublic: true });
    const withImage = await addUserCopy(suite.app, bobToken, 'Flux Text to Image.json', { isPublic: false, thumbnail: png });
    await addUserCopy(suite.app, token, 'FLUX Image to Image.json', { isPublic: true });

    const page = await suite.newDevice();
    const asked: { url: string; status: number }[] = [];
    page.on('response', (res) => {
      if (/\/thumbnail(\?|$)/.test(res.url())) asked.push({ url: res.url(), status: res.status() });
    });
    await signIn(page, 'bob@example.test');
    for (const view of ['Your Workflows', 'Shared Workflows', 'Browse Workflows', 'Your Workflows']) {
      await showView(page, view);
      await page.locator('fs-workflow-tile').first().waitFor();
    }
    await tile(page, 'Text to Image - FLUX').locator('img').waitFor();
    await expect.poll(() => asked.length).toBeGreaterThan(0);
    expect(asked.filter((r) => r.status === 404)).toEqual([]);
    expect(new Set(asked.map((r) => new URL(r.url).pathname))).toEqual(new Set([`/api/v1/workflows/i/${withImage}/thumbnail`]));
  });
});
