// Single-user mode: no accounts, one library (library/system).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { device, ensureAppBuilt, launch, showView, startApp, tile, waitForStatus, type App } from './harness.js';

let app: App | undefined;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  ensureAppBuilt();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await app?.stop();
});

describe('single-user mode', () => {
  it('opens the library without signing in, has no sharing, and saves into the one library', async () => {
    app = await startApp(['--single-user']);
    const { context, page } = await device(browser, app);
    contexts.push(context);
    await page.goto('/');
    const nav = page.getByRole('navigation', { name: 'Library views' });
    await nav.waitFor();
    expect(await nav.getByRole('button').allTextContents()).not.toContainEqual(expect.stringContaining('Shared Workflows'));
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    await waitForStatus(page, 'online');

    await page.getByRole('button', { name: 'New Workflow' }).click();
    await page.getByRole('button', { name: 'Save As' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save Workflow As' });
    expect(await dialog.getByLabel('Shared workflow').count()).toBe(0);
    await dialog.getByLabel('Workflow name').fill('Solo');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/edit\//);
    await page.getByRole('button', { name: 'Back to library' }).click();
    await showView(page, 'Your Workflows');
    await tile(page, 'Solo').waitFor();
    // The workflow reached the server's library: the API lists it.
    await expect
      .poll(async () => {
        const r = await fetch(`${app!.url}/api/v1/workflows/?categories=user`);
        return ((await r.json()) as { items: { name: string }[] }).items.map((i) => i.name);
      })
      .toContain('Solo');
  });
});
