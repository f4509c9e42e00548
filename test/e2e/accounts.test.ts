// Accounts end to end: first-run setup, user administration, profile, signing out.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PASSWORD, SCREENSHOTS, api, e2eSuite, signIn, twoNodeWorkflow } from './harness.js';

const suite = e2eSuite([]);
const newDevice = (): Promise<Page> => suite.newDevice();

describe('accounts', () => {
  it('first start asks to create the administrator, who then adds a user that can sign in', async () => {
    const admin = await newDevice();
    await admin.goto('/');
    await admin.getByRole('heading', { name: 'Create the administrator' }).waitFor();
    await admin.screenshot({ path: join(SCREENSHOTS, 'setup.png') });
    await admin.getByLabel('Email').fill('alice@example.test');
    await admin.getByLabel('Display name').fill('Alice');
    await admin.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await admin.getByLabel('Confirm password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Create administrator' }).click();
    await admin.getByRole('navigation', { name: 'Library views' }).waitFor();

    await admin.getByRole('button', { name: /Alice/ }).click();
    await admin.getByRole('menuitem', { name: 'Manage users' }).click();
    await admin.getByRole('button', { name: 'Add user' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Add user' });
    await dialog.getByLabel('Email').fill('bob@example.test');
    await dialog.getByLabel('Display name').fill('Bob');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await admin.locator('tr[data-user="bob@example.test"]').waitFor();
    await admin.screenshot({ path: join(SCREENSHOTS, 'users.png') });
    // On a phone the users are cards that fit the screen: nothing to scroll sideways to reach.
    await admin.setViewportSize({ width: 390, height: 844 });
    const overflow = await admin.locator('fs-user-admin').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect((await admin.locator('fs-user-admin').boundingBox())!.width).toBe(390);
    const remove = admin.locator('tr[data-user="bob@example.test"]').getByRole('button', { name: 'Remove' });
    expect((await remove.boundingBox())!.x + (await remove.boundingBox())!.width).toBeLessThanOrEqual(390);
    await admin.screenshot({ path: join(SCREENSHOTS, 'users-phone.png') });
    await admin.setViewportSize({ width: 1280, height: 800 });

    const bob = await newDevice();
    await signIn(bob, 'bob@example.test');
    expect(await bob.getByRole('menuitem', { name: 'Manage users' }).count()).toBe(0);

    // Deactivated users cannot sign in again.
    await admin.locator('tr[data-user="bob@example.test"]').getByRole('button', { name: 'Deactivate' }).click();
    await admin.locator('tr[data-user="bob@example.test"]', { hasText: 'Inactive' }).waitFor();
    const again = await newDevice();
    await again.goto('/');
    await again.getByLabel('Email').fill('bob@example.test');
    await again.getByLabel('Password').fill(PASSWORD);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('alert').filter({ hasText: /disabled/i }).waitFor();
  });

  it('tells a signed-in user at once when their account is deactivated (close code 4403)', async () => {
    await api(suite.app, 'POST', '/auth/setup', { email: 'alice@example.test', display_name: 'Alice', password: PASSWORD });
    const { token } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'alice@example.test', password: PASSWORD });
    const bob = await api<{ user_id: string }>(suite.app, 'POST', '/auth/users', { email: 'bob@example.test', password: PASSWORD, is_admin: false }, token);
    const page = await newDevice();
    await signIn(page, 'bob@example.test');
    await page.locator('fs-status-chip [data-status=online]').waitFor();
    await api(suite.app, 'PATCH', `/auth/users/${bob.user_id}`, { is_active: false }, token);
    await page.getByRole('alert').filter({ hasText: 'Access lost' }).waitFor();
    await page.locator('fs-status-chip [data-status=forbidden]').waitFor();
  });

  it('keeps its open sockets when the session slides on, and stays signed in and syncing after a password change', async () => {
    await api(suite.app, 'POST', '/auth/setup', { email: 'alice@example.test', display_name: 'Alice', password: PASSWORD });
    const page = await newDevice();
    let socketsOpened = 0;
    page.on('websocket', () => socketsOpened++);
    await signIn(page, 'alice@example.test');
    await page.locator('fs-status-chip [data-status=online]').waitFor();
    const opened = socketsOpened;
    // Tokens carry whole seconds: a refresh within the second of the sign-in would be the same token.
    const signedInToken = (await page.evaluate(`localStorage.getItem('auth_token')`)) as string;
    const signedInBy = Math.floor(Date.now() / 1000);
    await expect.poll(() => Date.now() / 1000 >= signedInBy + 1, { timeout: 3000 }).toBe(true);

    // A write through REST answers with X-Refreshed-Token: the app keeps the new token for its next
    // connect, and its sockets stay as they are (each reconnect would resync every document).
    await page.getByRole('button', { name: /Alice/ }).click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    let profile = page.getByRole('dialog', { name: 'Profile' });
    await profile.getByLabel('Display name').fill('Alice Liddell');
    await profile.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: /Alice Liddell/ }).waitFor();
    expect(await page.evaluate(`localStorage.getItem('auth_token')`)).not.toBe(signedInToken);
    const { token } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'alice@example.test', password: PASSWORD });
    await api(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Arrives on the open socket') }, token);
    await page.getByText('Arrives on the open socket').first().waitFor();
    expect(socketsOpened).toBe(opened);

    // A password change signs out every other session and closes its sockets (4401); this one carries
    // on with the fresh token whichever arrives first, the close or the answer.
    await page.getByRole('button', { name: /Alice Liddell/ }).click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    profile = page.getByRole('dialog', { name: 'Profile' });
    await profile.getByLabel('Current password').fill(PASSWORD);
    await profile.getByLabel('New password', { exact: true }).fill('a-new-password-2');
    await profile.getByLabel('Confirm new password').fill('a-new-password-2');
    await profile.getByRole('button', { name: 'Save' }).click();
    await profile.waitFor({ state: 'hidden' });
    await page.locator('fs-status-chip [data-status=online]').waitFor();
    const fresh = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'alice@example.test', password: 'a-new-password-2' });
    await api(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('After the password change') }, fresh.token);
    await page.getByText('After the password change').first().waitFor();
    expect(await page.getByRole('dialog', { name: 'Session expired' }).count()).toBe(0);
  });

  it('changes the display name in the profile and signs out removing this device\'s copy', async () => {
    await api(suite.app, 'POST', '/auth/setup', { email: 'alice@example.test', display_name: 'Alice', password: PASSWORD });
    const { token, user } = await api<{ token: string; user: { user_id: string } }>(suite.app, 'POST', '/auth/login', {
      email: 'alice@example.test',
      password: PASSWORD,
    });
    const { workflow_id: id } = await api<{ workflow_id: string }>(suite.app, 'POST', '/workflows/', { workflow: twoNodeWorkflow('Saved here') }, token);
    const page = await newDevice();
    await signIn(page, 'alice@example.test');
    await page.getByRole('button', { name: /Alice/ }).click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    const profile = page.getByRole('dialog', { name: 'Profile' });
    await profile.getByLabel('Display name').fill('Alice Liddell');
    await profile.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: /Alice Liddell/ }).waitFor();

    // A Save whose record for the History cannot reach the server (its upload refused at the network):
    // it waits on this device, in the user's own outbox database.
    let uploadsTried = 0;
    await page.route(`**/api/v1/workflows/i/${id}/versions`, (route) => {
      uploadsTried++;
      return route.abort();
    });
    await page.goto(`/#/edit/${id}`);
    await page.locator('g.node[data-node-id="n2"]').focus();
    await page.locator('g.node[data-node-id="n2"]').press('Delete');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Workflow Saved').waitFor();
    await expect.poll(() => uploadsTried).toBeGreaterThan(0);

    // Every database of this user's copy is named for them: the library, its Saves outbox and public.
    const mine = `flowshelf/${user.user_id}/`;
    const databases = () => page.evaluate('indexedDB.databases().then((d) => d.map((x) => x.name))') as Promise<string[]>;
    await expect
      .poll(async () => (await databases()).filter((n) => n.startsWith('flowshelf/')).sort())
      .toEqual([`${mine}library/${user.user_id}`, `${mine}library/${user.user_id}#saves`, `${mine}public`]);

    // Sign out tries the upload once more and says what is still only on this device before the copy
    // (with it the Save) is removed: a shared computer keeps nothing of Alice's for the next user.
    const triedBefore = uploadsTried;
    await page.getByRole('button', { name: /Alice Liddell/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    const confirm = page.getByRole('dialog', { name: 'Sign out' });
    await confirm.getByText('1 Save for the History could not be sent yet').waitFor();
    expect(uploadsTried).toBeGreaterThan(triedBefore);
    await confirm.getByLabel("Remove this device's copy of my workflows").check();
    await confirm.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect.poll(async () => (await databases()).filter((n) => n.startsWith('flowshelf/'))).toEqual([]);
  });
});
