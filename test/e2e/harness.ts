// End-to-end harness: the built server (dist/) on port 0 with its own data directory, Chromium
// driven by playwright-core, and small helpers to act in the app as a user would.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureBuilt, root, spawnNode, waitForLine } from '../cli/built.js';
import { createTestDatabase, onPostgres } from '../helpers/test-backend.js';
// @ts-expect-error plain ESM script without types
import { CHROME_ARGS } from '../../scripts/chrome.mjs';

export { root };
/**
 * Where the tests put their screenshots: .test-results/screenshots/ (ignored by git), so that a test
 * run leaves the tree clean; docs/screenshots/ (the README's pictures) only with
 * FLOWSHELF_SCREENSHOTS=docs, when the pictures are meant to be refreshed.
 */
export function screenshotDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWSHELF_SCREENSHOTS === 'docs' ? join(root, 'docs', 'screenshots') : join(root, '.test-results', 'screenshots');
}
export const SCREENSHOTS = screenshotDir();
mkdirSync(SCREENSHOTS, { recursive: true });
export const PASSWORD = 'Correct-Horse-9';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The server build (ensureBuilt) plus the browser bundle, rebuilt when client sources are newer. */
export function ensureAppBuilt(): void {
  ensureBuilt();
  const bundle = join(root, 'dist', 'client', 'main.js');
  if (!existsSync(bundle) || newest(join(root, 'client')) > statSync(bundle).mtimeMs) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  }
}

export interface App {
  url: string;
  stop(): Promise<void>;
}

/**
 * The built server on port 0 with a data folder of its own and, when the run is on PostgreSQL
 * (FLOWSHELF_TEST_BACKEND=postgres), a fresh database of its own (--database-url); stop() removes both.
 */
export async function startApp(extraArgs: string[] = []): Promise<App> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-e2e-'));
  const database = onPostgres ? await createTestDatabase() : null;
  const child = spawnNode('main.js', ['--port', '0', '--data-dir', dataDir, ...(database ? ['--database-url', database.url] : []), ...extraArgs]);
  const stop = async () => {
    if (child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  };
  let line: string;
  try {
    line = await waitForLine(child, /^Flowshelf listening on /);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = /^Flowshelf listening on (http:\/\/\S+)/.exec(line)![1]!;
  return { url, stop };
}

export async function api<T>(app: App, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Creates the administrator (alice) and a regular user (bob) through the API; returns alice's token. */
export async function createUsers(app: App): Promise<string> {
  await api(app, 'POST', '/auth/setup', { email: 'alice@example.test', display_name: 'Alice', password: PASSWORD });
  const { token } = await api<{ token: string }>(app, 'POST', '/auth/login', { email: 'alice@example.test', password: PASSWORD });
  await api(app, 'POST', '/auth/users', { email: 'bob@example.test', display_name: 'Bob', password: PASSWORD, is_admin: false }, token);
  return token;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: (CHROME_ARGS as string[]).filter((a) => a !== '--headless'),
    headless: true,
  });
}

/** A fresh browser profile (its own IndexedDB and service worker): one "device". */
export async function device(browser: Browser, app: App): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page };
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Library views' }).waitFor();
}

export async function showView(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Library views' }).getByRole('button', { name: label }).click();
}

export function tile(page: Page, name: string) {
  return page.locator('fs-workflow-tile').filter({ has: page.getByRole('heading', { name, exact: true }) });
}

export async function waitForStatus(page: Page, status: 'online' | 'offline'): Promise<void> {
  await page.locator(`fs-status-chip [data-status=${status}]`).waitFor();
}

/** A default workflow file of the server, as InvokeAI ships it. */
export function defaultWorkflowFile(fileName: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, 'server', 'library', 'default-workflows', fileName), 'utf8')) as Record<string, unknown>;
}

/**
 * Puts a copy of a default workflow into the token's user library through the API (as "Save As"
 * would), shared or not, optionally with a thumbnail; returns its id. Sharing is set explicitly: the
 * server makes an administrator's new workflows public by default.
 */
export async function addUserCopy(
  app: App,
  token: string,
  fileName: string,
  opts: { isPublic: boolean; thumbnail?: Buffer },
): Promise<string> {
  const wf = defaultWorkflowFile(fileName);
  delete wf.id;
  wf.meta = { ...(wf.meta as object), category: 'user' };
  const { workflow_id } = await api<{ workflow_id: string }>(app, 'POST', '/workflows/', { workflow: wf }, token);
  await api(app, 'PATCH', `/workflows/i/${workflow_id}/is_public`, { is_public: opts.isPublic }, token);
  const thumbnail = opts.thumbnail;
  if (thumbnail) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(thumbnail)], { type: 'image/png' }), 'thumbnail.png');
    const res = await fetch(`${app.url}/api/v1/workflows/i/${workflow_id}/thumbnail`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    if (!res.ok) throw new Error(`thumbnail upload: ${res.status} ${await res.text()}`);
  }
  return workflow_id;
}

/**
 * The lifecycle every end-to-end file shares: one Chromium per file, a fresh server (own data folder)
 * per test, and every device opened in a test closed after it. `setup` runs once the server is up.
 */
export function e2eSuite(serverArgs: string[] = [], setup?: (app: App) => Promise<void>) {
  let app: App | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    ensureAppBuilt();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    app = await startApp(serverArgs);
    await setup?.(app);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await app?.stop();
    app = undefined;
  });
  return {
    get app(): App {
      if (!app) throw new Error('the server is started per test: use suite.app inside a test');
      return app;
    },
    /** A new browser context (a device of its own: own storage, own service worker) with a page. */
    async newDevice(): Promise<Page> {
      const { context, page } = await device(browser!, this.app);
      contexts.push(context);
      return page;
    },
  };
}

/**
 * A small valid InvokeAI workflow (noise → l2i) for the e2e suites; `overrides` replaces top-level
 * fields (author, tags, notes, edges...).
 */
export function twoNodeWorkflow(name: string, overrides: Record<string, unknown> = {}) {
  const node = (id: string, type: string, x: number) => ({
    id,
    type: 'invocation',
    data: { id, type, version: '1.0.0', nodePack: 'invokeai', label: '', notes: '', isOpen: true, isIntermediate: true, useCache: true, inputs: {} },
    position: { x, y: 40 },
  });
  return {
    name,
    author: 'Alice',
    description: 'Two nodes',
    version: '1.0.0',
    contact: '',
    tags: 'portrait',
    notes: '',
    exposedFields: [],
    meta: { version: '3.0.0', category: 'user' },
    nodes: [node('n1', 'noise', 0), node('n2', 'l2i', 420)],
    edges: [{ id: 'e1', source: 'n1', sourceHandle: 'noise', target: 'n2', targetHandle: 'latents', type: 'default' }],
    ...overrides,
  };
}
