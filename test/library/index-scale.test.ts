// The list endpoints' queries over 10,000 indexed workflows (100 users, a tenth of them shared, the
// 26 defaults). Prints the timings; asserts only the results, never the time (machines differ).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db/database.js';
import type { IndexRow, ListQuery, OpenRecord, Viewer } from '../../server/storage/index-store.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';

const USERS = 100;
const PER_USER = 100;
let dir: string;
let db: Database;
let store: SqliteIndexStore;

/** Seeded (mulberry32), so the data set is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-scale-'));
  db = openDatabase(join(dir, 'flowshelf.db'));
  store = new SqliteIndexStore(db);
  const rnd = random(42);
  const words = ['flux', 'sdxl', 'upscaling', 'portrait', 'video', 'control', 'lora', 'inpaint'];
  const upserts: IndexRow[] = [];
  const opened: OpenRecord[] = [];
  {
    for (let u = 0; u < USERS; u++) {
      for (let w = 0; w < PER_USER; w++) {
        const shared = rnd() < 0.1;
        const tags = [words[Math.floor(rnd() * words.length)]!, words[Math.floor(rnd() * words.length)]!, ...(shared ? ['shared'] : [])];
        const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 3e10)).toISOString();
        upserts.push({
          workflow_id: `wf-${u}-${w}`,
          user_id: `user-${u}`,
          category: 'user',
          name: `Workflow ${Math.floor(rnd() * 5000)}`,
          description: `about ${words[w % words.length]}`,
          tags: tags.join(', '),
          is_public: shared,
          created_at: at,
          updated_at: at,
          opened_at: null,
          valid: true,
          invalid_reason: null,
          workflow: '{}',
          doc_seq: 1,
        });
        if (rnd() < 0.05) opened.push({ userId: `user-${u}`, workflowId: `wf-${u}-${w}`, openedAt: at });
      }
    }
  }
  await store.applyChanges({ upserts, opened });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function timed<T>(label: string, fn: () => Promise<T>, runs = 20): Promise<T> {
  let result = await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) result = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  console.log(`index over ${USERS * PER_USER} workflows: ${label}: ${ms.toFixed(2)} ms`);
  return result;
}

const base: ListQuery = { page: 0, perPage: 30, orderBy: 'name', direction: 'ASC' };
const regular: Viewer = { userId: 'user-7', isAdmin: false, multiuser: true };
const admin: Viewer = { userId: 'root', isAdmin: true, multiuser: true };

it('lists a page of 30 out of 10,000 workflows for each library view', async () => {
  const yours = await timed('Your Workflows (regular user, name ASC)', () => store.list(regular, { ...base, categories: ['user'] }));
  expect(yours.total).toBe(PER_USER);
  expect(yours.items).toHaveLength(30);

  const shared = await timed('Shared Workflows (is_public, name ASC)', () => store.list(regular, { ...base, categories: ['user'], isPublic: true }));
  expect(shared.total).toBeGreaterThan(800);
  expect(shared.items.every((i) => i.is_public)).toBe(true);

  const all = await timed('admin, every user workflow, updated_at DESC, page 200', () =>
    store.list(admin, { ...base, categories: ['user'], orderBy: 'updated_at', direction: 'DESC', page: 200 }),
  );
  expect(all.total).toBe(USERS * PER_USER);
  expect(all.pages).toBe(334);

  const search = await timed('admin, search "portrait" + tag filter', () =>
    store.list(admin, { ...base, query: 'portrait', tags: ['video', 'lora'] }),
  );
  expect(search.items.every((i) => /video|lora/.test(i.tags))).toBe(true);

  const recent = await timed('Recently Opened (per user, opened_at DESC)', () =>
    store.list(regular, { ...base, categories: ['user', 'default'], hasBeenOpened: true, orderBy: 'opened_at', direction: 'DESC' }),
  );
  expect(recent.items.every((i) => i.opened_at !== null)).toBe(true);

  const tags = await timed('tags (admin)', () => store.tags(admin, {}));
  expect(tags).toContain('shared');
  await timed('counts_by_tag, 8 tags (admin)', () => store.countsByTag(admin, ['flux', 'sdxl', 'upscaling', 'portrait', 'video', 'control', 'lora', 'inpaint'], {}));
});
