// The default set from a folder: validated, `default_` ids and category default only, bad files skipped
// with one line naming them; changed files update the index, removed files remove it. The index is the
// run's back end (SQLite file, or PostgreSQL on a PostgreSQL run).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { syncDefaults } from '../../server/library/defaults.js';
import type { Backend } from '../../server/storage/backend.js';
import type { WorkflowIndexStore } from '../../server/storage/index-store.js';
import { openTestStore } from '../helpers/test-backend.js';
import { FIXTURES_DIR } from '../api/fixtures.js';

let dir: string;
let defaults: string;
let store: Backend;
let index: WorkflowIndexStore;
let logs: string[];
const log = (line: string) => logs.push(line);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-defaults-'));
  defaults = join(dir, 'defaults');
  store = await openTestStore(dir);
  index = store.index;
  logs = [];
  mkdirSync(defaults);
  for (const f of readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json'))) copyFileSync(join(FIXTURES_DIR, f), join(defaults, f));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const defaultIds = async () => (await index.idsOf('system', 'default')).sort();

it('loads all 26 InvokeAI defaults as category default, owner system, not shared', async () => {
  expect(await syncDefaults(index, defaults, log)).toHaveLength(26);
  expect(logs).toEqual([]);
  const row = await index.row('default_444fe292-896b-44fd-bfc6-c0b5d220fffc', 'system', 'default');
  expect(row).toMatchObject({ category: 'default', user_id: 'system', is_public: false, valid: true, name: 'Text to Image - FLUX' });
  // Nothing changed on disk: a second sync changes nothing.
  expect(await syncDefaults(index, defaults, log)).toEqual([]);
});

it('skips bad files with one line naming each, and loads the rest', async () => {
  const fixture = JSON.parse(readFileSync(join(defaults, 'Flux Text to Image.json'), 'utf8'));
  writeFileSync(join(defaults, 'broken.json'), '{ not json');
  writeFileSync(join(defaults, 'no-prefix.json'), JSON.stringify({ ...fixture, id: 'mine' }));
  writeFileSync(join(defaults, 'user-category.json'), JSON.stringify({ ...fixture, id: 'default_x', meta: { ...fixture.meta, category: 'user' } }));
  writeFileSync(join(defaults, 'invalid.json'), JSON.stringify({ ...fixture, id: 'default_y', nodes: {} }));
  await syncDefaults(index, defaults, log);
  expect(await defaultIds()).toHaveLength(26);
  expect(logs).toHaveLength(4);
  expect(logs.every((l) => !l.includes('\n'))).toBe(true);
  expect(logs.find((l) => l.includes('broken.json'))).toMatch(/skipped: not JSON/);
  expect(logs.find((l) => l.includes('no-prefix.json'))).toMatch(/must start with "default_"/);
  expect(logs.find((l) => l.includes('user-category.json'))).toMatch(/meta.category must be "default"/);
  expect(logs.find((l) => l.includes('invalid.json'))).toMatch(/nodes: /);
});

it('a changed file updates its default and a removed file removes it', async () => {
  await syncDefaults(index, defaults, log);
  const file = join(defaults, 'Flux Text to Image.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...json, name: 'Renamed default' }));
  unlinkSync(join(defaults, 'SD3.5 Text to Image.json'));
  const changed = (await syncDefaults(index, defaults, log)).sort();
  expect(changed).toEqual([json.id, 'default_dbe46d95-22aa-43fb-9c16-94400d0ce2fd'].sort());
  expect((await index.row(json.id, 'system', 'default'))?.name).toBe('Renamed default');
  expect(await defaultIds()).toHaveLength(25);
});
