// The defaults folder is watched while the server runs: a file changed in place, one replaced the way
// editors save (write a temporary file, rename it over), one added and one removed all show in the
// REST index and in every reader's `public` document without a restart.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PUBLIC_DOCUMENT } from '../../shared/protocol.js';
import { publicMap } from '../../shared/workflow/index.js';
import { api, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, synced, waitFor } from '../sync/clients.js';
import { FIXTURES_DIR } from '../api/fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FLUX = { file: 'Flux Text to Image.json', id: 'default_444fe292-896b-44fd-bfc6-c0b5d220fffc' };
const SD35 = { file: 'SD3.5 Text to Image.json', id: 'default_dbe46d95-22aa-43fb-9c16-94400d0ce2fd' };
const SDXL = { file: 'Text to Image - SDXL.json', id: 'default_5e8b008d-c697-45d0-8883-085a954c6ace' };

/** Polls an async condition until it holds (the watcher debounces, so there is no event to await). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('changed, replaced, added and removed default files show in the API and in public while the server runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-defaults-watch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const defaultsDir = join(dir, 'defaults');
  mkdirSync(defaultsDir);
  for (const { file } of [FLUX, SD35, SDXL]) copyFileSync(join(FIXTURES_DIR, file), join(defaultsDir, file));

  const ts: TestServer = await startTestServer({ config: { defaultsDir } });
  cleanups.push(() => ts.close());
  const admin = await setupAdmin(ts);
  const call = api(ts, admin.token);
  const pub = connect(ts.wsUrl, PUBLIC_DOCUMENT, admin.token);
  cleanups.push(() => pub.destroy());
  await synced(pub);
  const published = () => publicMap(pub.doc);
  expect([...published().keys()].sort()).toEqual([FLUX.id, SD35.id, SDXL.id].sort());
  const nameOf = async (id: string) => {
    const res = await call('GET', `/api/v1/workflows/i/${id}`);
    return res.status === 200 ? (res.body.workflow.name as string) : res.status;
  };
  const read = (file: string) => JSON.parse(readFileSync(join(FIXTURES_DIR, file), 'utf8'));

  // Changed in place.
  writeFileSync(join(defaultsDir, FLUX.file), JSON.stringify({ ...read(FLUX.file), name: 'Flux, edited in place' }));
  await until(async () => (await nameOf(FLUX.id)) === 'Flux, edited in place', 'the in-place edit in the API');
  await waitFor(() => (published().get(FLUX.id) as any)?.workflow?.name === 'Flux, edited in place', 'the in-place edit in public');

  // Replaced by rename, as editors save: the old inode goes away.
  const temp = join(defaultsDir, '.sdxl.json.swp');
  writeFileSync(temp, JSON.stringify({ ...read(SDXL.file), name: 'SDXL, saved by rename' }));
  renameSync(temp, join(defaultsDir, SDXL.file));
  await until(async () => (await nameOf(SDXL.id)) === 'SDXL, saved by rename', 'the rename-save in the API');
  await waitFor(() => (published().get(SDXL.id) as any)?.workflow?.name === 'SDXL, saved by rename', 'the rename-save in public');
  // A second edit of the renamed file is still seen (the folder is watched, not the old inode).
  writeFileSync(join(defaultsDir, SDXL.file), JSON.stringify({ ...read(SDXL.file), name: 'SDXL, edited again' }));
  await until(async () => (await nameOf(SDXL.id)) === 'SDXL, edited again', 'the second edit after a rename');

  // Added.
  const added = { ...read(FLUX.file), id: 'default_added-while-running', name: 'Added while running' };
  writeFileSync(join(defaultsDir, 'added.json'), JSON.stringify(added));
  await until(async () => (await nameOf(added.id)) === 'Added while running', 'the added file in the API');
  await waitFor(() => published().has(added.id), 'the added file in public');

  // Removed.
  unlinkSync(join(defaultsDir, SD35.file));
  await until(async () => (await nameOf(SD35.id)) === 404, 'the removed file to 404');
  await waitFor(() => !published().has(SD35.id), 'the removed file to leave public');

  const list = await call('GET', '/api/v1/workflows/?categories=default');
  expect(list.body.items.map((i: any) => i.workflow_id).sort()).toEqual([FLUX.id, SDXL.id, added.id].sort());
  expect((await call('GET', '/api/v1/workflows/counts_by_category?categories=default')).body).toEqual({ default: 3 });
});

it('a default whose file stops validating is dropped, and comes back when the file is fixed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-defaults-watch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const defaultsDir = join(dir, 'defaults');
  mkdirSync(defaultsDir);
  copyFileSync(join(FIXTURES_DIR, FLUX.file), join(defaultsDir, FLUX.file));
  const ts = await startTestServer({ multiuser: false, config: { defaultsDir } });
  cleanups.push(() => ts.close());
  const call = api(ts);
  const status = async () => (await call('GET', `/api/v1/workflows/i/${FLUX.id}`)).status;
  expect(await status()).toBe(200);

  writeFileSync(join(defaultsDir, FLUX.file), '{ "half": ');
  await until(async () => (await status()) === 404, 'the broken default to go');
  copyFileSync(join(FIXTURES_DIR, FLUX.file), join(defaultsDir, FLUX.file));
  await until(async () => (await status()) === 200, 'the repaired default to return');
});
