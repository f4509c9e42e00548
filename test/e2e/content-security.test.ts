// The web app under its own Content-Security-Policy (server/http/security-headers.ts), in Chromium:
// it loads compressed, syncs over its WebSocket and edits with no policy violation, and a page from
// another origin cannot frame it.
import { describe, expect, it } from 'vitest';
import { e2eSuite, waitForStatus } from './harness.js';

const suite = e2eSuite(['--single-user']);

describe('content security', () => {
  it('the app runs with no CSP violation, its bundle arrives compressed, and it cannot be framed', async () => {
    const page = await suite.newDevice();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const bundle = page.waitForResponse((r) => new URL(r.url()).pathname === '/main.js');
    await page.goto('/');
    const response = await bundle;
    expect((await response.allHeaders())['content-encoding']).toBe('br');
    await page.getByRole('navigation', { name: 'Library views' }).waitFor();
    await waitForStatus(page, 'online');
    await page.getByRole('button', { name: 'New Workflow' }).click();
    await page.getByRole('button', { name: 'Save As' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save Workflow As' });
    await dialog.getByLabel('Workflow name').fill('Under CSP');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/edit\//);
    expect(violations).toEqual([]);

    // No page may frame the app, not even its own (frame-ancestors 'none'): Chromium shows its error page.
    await page.evaluate(`new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.onload = () => resolve();
      frame.src = '/';
      document.body.append(frame);
    })`);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame?.url()).toMatch(/^chrome-error:/);
  });
});
