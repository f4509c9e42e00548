// Single-user mode: no accounts, one library (library/system).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { e2eSuite, showView, tile, waitForStatus } from './harness.js';

const suite = e2eSuite(['--single-user']);
const newDevice = (): Promise<Page> => suite.newDevice();

describe('single-user mode', () => {
  it('opens the library without signing in, has no sharing, and saves into the one library', async () => {
    const page = await newDevice();
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
        const r = await fetch(`${suite.app.url}/api/v1/workflows/?categories=user`);
        return ((await r.json()) as { items: { name: string }[] }).items.map((i) => i.name);
      })
      .toContain('Solo');
  });
});
