// The acceptance suite every WorkflowIndexStore must pass (run per backend: sqlite-index-store.test.ts,
// postgres-index-store.test.ts). The list queries carry InvokeAI's MERGED visibility rules (reference
// §2 matrix) and the fixes of docs/invokeai-compat.md; the writes are the idempotent ones several
// nodes rely on (doc_seq never goes back, opens only forward, the first claim of an id wins).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndexRow, ListItem, ListQuery, Viewer, WorkflowIndexStore } from '../../server/storage/index-store.js';
import type { ThumbnailStore } from '../../server/storage/thumbnail-store.js';

export interface IndexFixture {
  index: WorkflowIndexStore;
  /** Over the same database (list items carry thumbnail versions; a removed row takes its image). */
  thumbnails: ThumbnailStore;
  dispose(): Promise<void>;
}

const alice: Viewer = { userId: 'alice', isAdmin: false, multiuser: true };
const bob: Viewer = { userId: 'bob', isAdmin: false, multiuser: true };
const admin: Viewer = { userId: 'root', isAdmin: true, multiuser: true };

export function row(id: string, userId: string, over: Partial<IndexRow> = {}): IndexRow {
  const category = over.category ?? (id.startsWith('default_') ? 'default' : 'user');
  return {
    workflow_id: id,
    user_id: userId,
    category,
    name: id,
    description: '',
    tags: '',
    is_public: false,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    opened_at: null,
    valid: true,
    invalid_reason: null,
    workflow: '{}',
    doc_seq: 1,
    ...over,
  };
}

const all: ListQuery = { page: 0, perPage: null, orderBy: 'name', direction: 'ASC' };

/** Seeded (mulberry32), so the data set is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rows every case starts with. */
function baseRows(): IndexRow[] {
  return [
    row('a-private', 'alice'),
    row('a-shared', 'alice', { is_public: true, tags: 'flux, shared' }),
    row('b-private', 'bob', { tags: 'SDXL' }),
    row('b-shared', 'bob', { is_public: true, tags: 'sd1.5, shared' }),
    row('s-legacy', 'system', { is_public: true, tags: 'shared' }),
    row('default_one', 'system', { tags: 'flux, text to image', doc_seq: 0 }),
    row('a-broken', 'alice', { valid: false, invalid_reason: 'meta.version: Required', workflow: null, name: 'broken' }),
  ];
}

export function indexStoreSuite(name: string, create: () => Promise<IndexFixture>): void {
  describe(`WorkflowIndexStore acceptance: ${name}`, () => {
    let fixture: IndexFixture;
    let store: WorkflowIndexStore;
    const upsert = (...rows: IndexRow[]) => store.applyChanges({ upserts: rows });
    const opened = (userId: string, workflowId: string, openedAt: string) =>
      store.applyChanges({ opened: [{ userId, workflowId, openedAt }] });
    const ids = async (v: Viewer, q: Partial<ListQuery> = {}) => (await store.list(v, { ...all, ...q })).items.map((i) => i.workflow_id);

    beforeEach(async () => {
      fixture = await create();
      store = fixture.index;
      await upsert(...baseRows());
    });

    afterEach(async () => {
      await fixture.dispose();
    });

    describe('visibility (reference §2 matrix, MERGED)', () => {
      it('a regular user listing categories=user sees only their own workflows', async () => {
        expect(await ids(alice, { categories: ['user'] })).toEqual(['a-private', 'a-shared', 'a-broken']);
        expect(await ids(bob, { categories: ['user'] })).toEqual(['b-private', 'b-shared']);
      });

      it('a regular user listing user+is_public=true sees every public user workflow incl. system-owned', async () => {
        expect(await ids(bob, { categories: ['user'], isPublic: true })).toEqual(['a-shared', 'b-shared', 's-legacy']);
      });

      it('a regular user listing without categories sees own + defaults, never other private ones', async () => {
        expect(await ids(bob)).toEqual(['b-private', 'b-shared', 'default_one']);
        expect(await ids(bob, { categories: ['user', 'default'] })).toEqual(['b-private', 'b-shared', 'default_one']);
      });

      it("an admin sees every valid user workflow, but not other users' invalid ones", async () => {
        expect(await ids(admin, { categories: ['user'] })).toEqual(['a-private', 'a-shared', 'b-private', 'b-shared', 's-legacy']);
        expect(await ids(admin)).toContain('default_one');
      });

      it('single-user mode sees everything of the system user', async () => {
        const solo: Viewer = { userId: 'system', isAdmin: true, multiuser: false };
        expect(await ids(solo, { categories: ['default'] })).toEqual(['default_one']);
        expect(await ids(solo, { isPublic: true })).toEqual(['a-shared', 'b-shared', 's-legacy']);
      });

      it('the owner sees an invalid entry flagged with its reason; nobody else sees it', async () => {
        const broken = (await store.list(alice, all)).items.find((i) => i.workflow_id === 'a-broken');
        expect(broken?.invalid_reason).toBe('meta.version: Required');
        expect(await ids(admin)).not.toContain('a-broken');
        expect(await store.tags(admin, {})).not.toContain('broken');
      });

      it('a withheld shared workflow is private to everyone but its owner and admins, who see the reason', async () => {
        await store.setUnpublishedReasons([{ workflowId: 'a-shared', userId: 'alice', reason: 'too large' }]);
        expect(await ids(bob, { categories: ['user'], isPublic: true })).toEqual(['b-shared', 's-legacy']);
        const item = async (v: Viewer) => (await store.list(v, all)).items.find((i) => i.workflow_id === 'a-shared');
        expect((await item(alice))?.unpublished_reason).toBe('too large');
        expect((await item(admin))?.unpublished_reason).toBe('too large');
        expect((await store.publishable()).map((r) => r.workflow_id)).not.toContain('a-shared');
        // The indexer's upserts leave the publisher's verdict alone.
        await upsert(row('a-shared', 'alice', { is_public: true, tags: 'flux, shared', doc_seq: 2, name: 'renamed' }));
        expect((await store.row('a-shared', 'alice'))?.unpublished_reason).toBe('too large');
      });
    });

    describe('filters', () => {
      it('tags match as ASCII case-insensitive substrings, OR between tags', async () => {
        expect(await ids(admin, { tags: ['sd'] })).toEqual(['b-private', 'b-shared']);
        expect(await ids(admin, { tags: ['FLUX', 'sdxl'] })).toEqual(['a-shared', 'b-private', 'default_one']);
      });

      it('LIKE wildcards and the escape character in a tag or query are literal', async () => {
        await upsert(
          row('c1', 'alice', { name: 'a_b' }),
          row('c2', 'alice', { name: 'axb' }),
          row('c3', 'alice', { name: '100% done', tags: 'x_y' }),
          row('c4', 'alice', { name: 'back\\slash' }),
        );
        expect(await ids(alice, { query: 'a_b' })).toEqual(['c1']);
        expect(await ids(alice, { query: '%' })).toEqual(['c3']);
        expect(await ids(alice, { query: '0% D' })).toEqual(['c3']);
        expect(await ids(alice, { tags: ['x_y'] })).toEqual(['c3']);
        expect(await ids(alice, { tags: ['_'] })).toEqual(['c3']);
        expect(await ids(alice, { query: 'k\\s' })).toEqual(['c4']);
        expect(await ids(alice, { query: '\\' })).toEqual(['c4']);
      });

      it('query matches name, description and tags, ASCII case-insensitively; blank query is ignored', async () => {
        await upsert(row('d1', 'alice', { name: 'zzz', description: 'an Upscaler' }));
        expect(await ids(alice, { query: ' UPSCALER ' })).toEqual(['d1']);
        expect(await ids(alice, { query: 'Text To' })).toEqual(['default_one']);
        expect(await ids(alice, { query: '   ' })).toHaveLength((await ids(alice)).length);
      });

      it('only ASCII letters fold, in the filters and in the name order (SQLite LIKE and NOCASE)', async () => {
        await upsert(
          row('e1', 'alice', { name: 'Élan pie', tags: 'Ünique' }),
          row('e2', 'alice', { name: 'éclair pie' }),
          row('e3', 'alice', { name: 'Zed pie' }),
        );
        expect(await ids(alice, { query: 'élan' })).toEqual([]);
        expect(await ids(alice, { query: 'ÉLAN' })).toEqual(['e1']);
        expect(await ids(alice, { query: 'éLaN' })).toEqual([]);
        expect(await ids(alice, { tags: ['ünique'] })).toEqual([]);
        expect(await ids(alice, { tags: ['ÜNIQUE'] })).toEqual(['e1']);
        // Byte order after folding A-Z: every non-ASCII first letter sorts after 'z', É (C3 89) before é (C3 A9).
        expect(await ids(alice, { query: 'pie' })).toEqual(['e3', 'e1', 'e2']);
      });

      it('U+0000 (and U+0001) in names, descriptions and tags round-trip, are searchable and sort as SQLite does', async () => {
        await upsert(
          row('z1', 'bob', { name: 'nul\u0000 pie', description: 'd\u0000e', tags: 'one\u0001, ta\u0000g' }),
          row('z2', 'bob', { name: 'nul\u0001 pie' }),
          row('z3', 'bob', { name: 'nul pie' }),
          row('z4', 'bob', { name: 'other\u0000\u0002 pie' }),
        );
        expect(await store.row('z1', 'bob')).toMatchObject({ name: 'nul\u0000 pie', description: 'd\u0000e', tags: 'one\u0001, ta\u0000g' });
        const items = (await store.list(bob, { ...all, categories: ['user'], query: 'nul' })).items;
        // Byte order: U+0000 before U+0001 before the space of 'nul pie'. (Past a U+0000 SQLite's NOCASE
        // compares lengths only, so no two names here differ after one.)
        expect(items.map((i) => i.workflow_id)).toEqual(['z1', 'z2', 'z3']);
        expect(items[0]).toMatchObject({ name: 'nul\u0000 pie', description: 'd\u0000e', tags: 'one\u0001, ta\u0000g' });
        const paged = (await store.list(bob, { ...all, categories: ['user'], query: 'other', perPage: 2, page: 0 })).items;
        expect(paged.map((i) => [i.workflow_id, i.name])).toEqual([['z4', 'other\u0000\u0002 pie']]);
        // (SQLite's LIKE reads text up to a U+0000 only, so searching past one is not asserted here.)
        expect(await ids(bob, { query: 'l\u0001' })).toEqual(['z2']);
        expect(await ids(bob, { tags: ['ONE\u0001'] })).toEqual(['z1']);
        expect(await store.countsByTag(bob, ['TA', 'one\u0001'], { categories: ['user'] })).toEqual({ TA: 1, 'one\u0001': 1 });
        expect(await store.tags(bob, { categories: ['user'] })).toEqual(['SDXL', 'one\u0001', 'sd1.5', 'shared', 'ta\u0000g']);
        await store.setUnpublishedReasons([{ workflowId: 'z1', userId: 'bob', reason: 'withheld: \u0000' }]);
        expect((await store.row('z1', 'bob'))?.unpublished_reason).toBe('withheld: \u0000');
      });

      it('opened is per user: one user opening a workflow does not mark it opened for another', async () => {
        await opened('alice', 'default_one', '2026-02-01T00:00:00.000Z');
        expect(await ids(alice, { hasBeenOpened: true })).toEqual(['default_one']);
        expect(await ids(bob, { hasBeenOpened: true })).toEqual([]);
        expect(await ids(bob, { hasBeenOpened: false })).toContain('default_one');
        const item = (await store.list(alice, { ...all, hasBeenOpened: true })).items[0];
        expect(item?.opened_at).toBe('2026-02-01T00:00:00.000Z');
      });

      it('list items carry the thumbnail version of the row owner only', async () => {
        await fixture.thumbnails.put('a-shared', 'alice', Buffer.from([1]), 'v1');
        await fixture.thumbnails.put('b-shared', 'alice', Buffer.from([1]), 'not-bobs');
        const items = (await store.list(admin, all)).items;
        const version = (id: string) => items.find((i) => i.workflow_id === id)?.thumbnail_version;
        expect(version('a-shared')).toBe('v1');
        expect(version('b-shared')).toBeNull();
      });
    });

    describe('order and pagination', () => {
      it('equal sort keys are ordered by workflow_id, so pages never repeat or skip an item', async () => {
        await upsert(...Array.from({ length: 25 }, (_, i) => row(`same-${String(i).padStart(2, '0')}`, 'bob', { name: 'Same' })));
        const seen: string[] = [];
        for (let page = 0; page < 5; page++) {
          const p = await store.list(bob, { ...all, categories: ['user'], orderBy: 'updated_at', page, perPage: 6 });
          expect(p.pages).toBe(5);
          expect(p.total).toBe(27);
          seen.push(...p.items.map((i) => i.workflow_id));
        }
        expect(new Set(seen).size).toBe(27);
        expect(seen.slice(0, 3)).toEqual(['b-private', 'b-shared', 'same-00']);
      });

      it('names sort ASCII case-insensitively, then by id, and DESC reverses the order', async () => {
        await upsert(
          row('n1', 'bob', { name: 'apple pie' }),
          row('n2', 'bob', { name: 'Banana pie' }),
          row('n3', 'bob', { name: 'APPLE PIE' }),
          row('n4', 'bob', { name: 'Zucchini pie' }),
          row('n5', 'bob', { name: 'b_ pie' }),
        );
        // A-Z fold to a-z (SQLite's NOCASE), so '_' (0x5F) sorts before every letter.
        expect(await ids(bob, { categories: ['user'], query: 'pie' })).toEqual(['n1', 'n3', 'n5', 'n2', 'n4']);
        expect(await ids(bob, { categories: ['user'], query: 'pie', direction: 'DESC' })).toEqual(['n4', 'n2', 'n5', 'n3', 'n1']);
      });

      it('long names index and sort exactly by their whole name, also past a long shared prefix', async () => {
        // Longer than any B-tree row (2,704 bytes) and than the prefix the PostgreSQL indexes key.
        const prefix = 'Ä'.repeat(150) + 'x'.repeat(300);
        await upsert(
          row('l1', 'bob', { name: `${prefix}b` }),
          row('l2', 'bob', { name: `${prefix.toUpperCase()}A` }),
          row('l3', 'bob', { name: `${prefix}` }),
          row('l4', 'bob', { name: 'é'.repeat(200_000) }),
          row('l5', 'bob', { name: `${prefix}a` }),
        );
        // Folded (A-Z only, as NOCASE), l2 and l5 are the same name, so the id decides between them; the
        // prefix alone is shortest; 'é' (C3 A9) sorts after 'Ä' (C3 84), and every letter before both.
        expect(await ids(bob, { categories: ['user'], query: 'xx' })).toEqual(['l3', 'l2', 'l5', 'l1']);
        const everything = (await store.list(bob, { ...all, categories: ['user'] })).items.map((i) => i.workflow_id);
        expect(everything).toEqual(['b-private', 'b-shared', 'l3', 'l2', 'l5', 'l1', 'l4']);
        const paged: string[] = [];
        for (let page = 0; page < 4; page++) {
          paged.push(...(await store.list(bob, { ...all, categories: ['user'], page, perPage: 2 })).items.map((i) => i.workflow_id));
        }
        expect(paged).toEqual(everything);
        expect(await ids(bob, { categories: ['user'], direction: 'DESC' })).toEqual([...everything].reverse());
        expect((await store.row('l4', 'bob'))?.name).toHaveLength(200_000);
      });

      it('a workflow with thousands of tags indexes and is found by any of them', async () => {
        const next = random(7);
        const tags = Array.from({ length: 3_000 }, (_, i) => `t${i}-${Math.floor(next() * 1e9).toString(36)}`);
        await upsert(row('many-tags', 'bob', { tags: tags.join(', ') }), row('few-tags', 'bob', { tags: 'one' }));
        expect(await ids(bob, { categories: ['user'], tags: [tags[2_999]!] })).toEqual(['many-tags']);
        expect((await store.countsByTag(bob, [tags[0]!, 'one'], { categories: ['user'] }))).toEqual({ [tags[0]!]: 1, one: 1 });
        expect(await store.tags(bob, { categories: ['user'] })).toHaveLength(3_004);
      });

      it('per_page absent returns one page with per_page = total', async () => {
        const p = await store.list(bob, all);
        expect(p).toMatchObject({ page: 0, pages: 1, per_page: 3, total: 3 });
      });

      it('opened_at order puts never-opened first ascending and last descending', async () => {
        await opened('bob', 'b-shared', '2026-03-01T00:00:00.000Z');
        await opened('bob', 'default_one', '2026-03-02T00:00:00.000Z');
        expect(await ids(bob, { orderBy: 'opened_at', direction: 'DESC' })).toEqual(['default_one', 'b-shared', 'b-private']);
        expect(await ids(bob, { orderBy: 'opened_at', direction: 'ASC' })).toEqual(['b-private', 'b-shared', 'default_one']);
      });

      it('is_public order puts private rows first ascending', async () => {
        expect(await ids(bob, { orderBy: 'is_public' })).toEqual(['b-private', 'default_one', 'b-shared']);
      });

      it('a page past the end has no items and the right total', async () => {
        const p = await store.list(admin, { ...all, perPage: 2, page: 1_000_000_000 });
        expect(p.items).toEqual([]);
        expect(p.total).toBe(6);
        expect(p.pages).toBe(3);
      });
    });

    describe('the library views (the six list shapes) over a seeded data set, against a plain oracle', () => {
      const USERS = 6;
      const PER_USER = 40;
      const words = ['flux', 'SDXL', 'upscaling', 'portrait', 'video', 'control', 'lora', 'in_paint'];
      let rows: IndexRow[];
      let opens: { userId: string; workflowId: string; openedAt: string }[];

      beforeEach(async () => {
        const rnd = random(7);
        const pick = () => words[Math.floor(rnd() * words.length)]!;
        rows = [];
        opens = [];
        for (let u = 0; u < USERS; u++) {
          for (let w = 0; w < PER_USER; w++) {
            const shared = rnd() < 0.3;
            const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 3e10)).toISOString();
            const name = `${rnd() < 0.5 ? 'Workflow' : 'workflow'} ${Math.floor(rnd() * 30)}`;
            rows.push(
              row(`wf-${u}-${String(w).padStart(2, '0')}`, `user-${u}`, {
                name,
                description: `about ${pick()}`,
                tags: [pick(), pick(), ...(shared ? ['shared'] : [])].join(', '),
                is_public: shared,
                created_at: at,
                updated_at: at,
              }),
            );
            if (rnd() < 0.2) opens.push({ userId: 'user-1', workflowId: `wf-${u}-${String(w).padStart(2, '0')}`, openedAt: at });
          }
        }
        await store.applyChanges({ upserts: rows, opened: opens });
      });

      const regular: Viewer = { userId: 'user-1', isAdmin: false, multiuser: true };
      const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const byName = (a: IndexRow, b: IndexRow) => cmp(fold(a.name), fold(b.name)) || cmp(a.workflow_id, b.workflow_id) || cmp(a.user_id, b.user_id);
      const byUpdated = (a: IndexRow, b: IndexRow) => cmp(a.updated_at, b.updated_at) || cmp(a.workflow_id, b.workflow_id) || cmp(a.user_id, b.user_id);
      const has = (text: string, part: string) => fold(text).includes(fold(part));
      /** Every row in the store: the generated ones and the base rows of every case. */
      const generated = () => [...baseRows(), ...rows];
      const userRows = () => generated().filter((r) => r.valid && r.category === 'user');
      const pageOf = (sorted: IndexRow[], page: number, perPage: number) => sorted.slice(page * perPage, (page + 1) * perPage).map((r) => r.workflow_id);
      const itemIds = (items: ListItem[]) => items.map((i) => i.workflow_id);
      const base: ListQuery = { page: 0, perPage: 30, orderBy: 'name', direction: 'ASC' };

      it('Your Workflows: a regular user, name ascending, second page', async () => {
        const mine = generated().filter((r) => r.user_id === 'user-1').sort(byName);
        const p = await store.list(regular, { ...base, categories: ['user'], page: 1 });
        expect(p.total).toBe(PER_USER);
        expect(itemIds(p.items)).toEqual(pageOf(mine, 1, 30));
      });

      it('Shared Workflows: every shared user workflow, name ascending', async () => {
        const shared = userRows().filter((r) => r.is_public).sort(byName);
        const p = await store.list(regular, { ...base, categories: ['user'], isPublic: true, perPage: null });
        expect(p.total).toBe(shared.length);
        expect(itemIds(p.items)).toEqual(shared.map((r) => r.workflow_id));
      });

      it('an admin, every user workflow, updated_at descending, a deep page', async () => {
        const sorted = userRows().sort(byUpdated).reverse();
        const p = await store.list(admin, { ...base, categories: ['user'], orderBy: 'updated_at', direction: 'DESC', page: 6 });
        expect(p.total).toBe(sorted.length);
        expect(p.pages).toBe(Math.ceil(sorted.length / 30));
        expect(itemIds(p.items)).toEqual(pageOf(sorted, 6, 30));
      });

      it('search with a tag filter (an escaped "_" in the tag), name ascending', async () => {
        const found = generated()
          .filter((r) => r.valid)
          .filter((r) => has(r.name, 'FLOW 1') || has(r.description, 'FLOW 1') || has(r.tags, 'FLOW 1'))
          .filter((r) => has(r.tags, 'IN_PAINT') || has(r.tags, 'video'))
          .sort(byName);
        const p = await store.list(admin, { ...base, query: 'FLOW 1', tags: ['IN_PAINT', 'video'], perPage: null });
        expect(itemIds(p.items)).toEqual(found.map((r) => r.workflow_id));
        expect(found.length).toBeGreaterThan(0);
      });

      it('Recently Opened: per user, opened_at descending', async () => {
        const when = new Map(opens.map((o) => [o.workflowId, o.openedAt]));
        const recent = generated()
          .filter((r) => r.user_id === 'user-1' && when.has(r.workflow_id))
          .sort((a, b) => cmp(when.get(a.workflow_id)!, when.get(b.workflow_id)!) || cmp(a.workflow_id, b.workflow_id))
          .reverse();
        const p = await store.list(regular, { ...base, categories: ['user', 'default'], hasBeenOpened: true, orderBy: 'opened_at', direction: 'DESC' });
        expect(itemIds(p.items)).toEqual(recent.slice(0, 30).map((r) => r.workflow_id));
        expect(p.items.every((i) => i.opened_at === when.get(i.workflow_id))).toBe(true);
      });

      it('tags and counts by tag of what a regular user sees', async () => {
        const visible = generated().filter((r) => r.user_id === 'user-1');
        const expected = [...new Set(visible.flatMap((r) => r.tags.split(',').map((t) => t.trim())))].sort();
        expect(await store.tags(regular, { categories: ['user'] })).toEqual(expected);
        const counts = await store.countsByTag(regular, ['flux', 'sdxl', 'in_paint'], { categories: ['user'] });
        expect(counts).toEqual({
          flux: visible.filter((r) => has(r.tags, 'flux')).length,
          sdxl: visible.filter((r) => has(r.tags, 'sdxl')).length,
          in_paint: visible.filter((r) => has(r.tags, 'in_paint')).length,
        });
      });
    });

    describe('tags and counts', () => {
      it('tags lists visible tags, unique and sorted case-sensitively', async () => {
        expect(await store.tags(bob, { categories: ['user'] })).toEqual(['SDXL', 'sd1.5', 'shared']);
        expect(await store.tags(bob, { categories: ['default'] })).toEqual(['flux', 'text to image']);
      });

      it('takes as many tags as a request line carries (2,300) in counts_by_tag and in the list filter', async () => {
        // One statement per request overflowed SQLite's 2,000 result columns, and 1,000 ORs its parser's depth.
        const many = [...Array.from({ length: 2300 }, (_, i) => `absent-${i}`), 'flux', 'flux'];
        const counts = await store.countsByTag(admin, many, {});
        expect(counts.flux).toBe(2);
        expect(counts['absent-7']).toBe(0);
        expect(Object.keys(counts)).toHaveLength(2301);
        expect(await ids(admin, { tags: many })).toEqual(['a-shared', 'default_one']);
      });

      it('counts_by_tag counts substring matches among visible rows', async () => {
        expect(await store.countsByTag(bob, ['sd', 'flux'], { categories: ['user'] })).toEqual({ sd: 2, flux: 0 });
        expect(await store.countsByTag(admin, ['flux'], {})).toEqual({ flux: 2 });
      });

      it('tag spellings that differ in case are one tag to the filter and the counts; /tags lists both, as InvokeAI', async () => {
        await upsert(row('t1', 'bob', { tags: 'Text to Image 2' }), row('t2', 'bob', { tags: 'text to image 2' }));
        expect(await ids(bob, { categories: ['user'], tags: ['TEXT TO IMAGE 2'] })).toEqual(['t1', 't2']);
        expect(await store.countsByTag(bob, ['Text to Image 2', 'text to image 2'], { categories: ['user'] })).toEqual({
          'Text to Image 2': 2,
          'text to image 2': 2,
        });
        expect((await store.tags(bob, { categories: ['user'] })).filter((t) => /image/i.test(t))).toEqual(['Text to Image 2', 'text to image 2']);
      });

      it('counts_by_category applies the owner filter when user is asked for', async () => {
        expect(await store.countsByCategory(bob, ['user', 'default'], {})).toEqual({ user: 2, default: 1 });
        expect(await store.countsByCategory(bob, ['user'], { isPublic: true })).toEqual({ user: 3 });
        expect(await store.countsByCategory(admin, ['user'], {})).toEqual({ user: 5 });
      });
    });

    describe('idempotent writes (several nodes index the same documents)', () => {
      it('an upsert never replaces a row read from a newer document, and says what really changed', async () => {
        expect((await upsert(row('x', 'alice', { name: 'seq 5', doc_seq: 5 }))).changed).toEqual(['x']);
        // A node that read the document at seq 3 comes late: ignored.
        expect((await upsert(row('x', 'alice', { name: 'seq 3', doc_seq: 3 }))).changed).toEqual([]);
        expect(await store.row('x', 'alice')).toMatchObject({ name: 'seq 5', doc_seq: 5 });
        // The same content at a later seq: stored (doc_seq moves) but no change to republish.
        expect((await upsert(row('x', 'alice', { name: 'seq 5', doc_seq: 6 }))).changed).toEqual([]);
        expect((await store.row('x', 'alice'))?.doc_seq).toBe(6);
        // Indexing the same seq again (a second node) changes nothing either.
        expect((await upsert(row('x', 'alice', { name: 'seq 5', doc_seq: 6 }))).changed).toEqual([]);
        expect((await upsert(row('x', 'alice', { name: 'seq 7', doc_seq: 7 }))).changed).toEqual(['x']);
      });

      it('a delete read from an older document than the stored row is ignored', async () => {
        await upsert(row('x', 'alice', { doc_seq: 9 }));
        expect((await store.applyChanges({ deletes: [{ workflowId: 'x', userId: 'alice', category: 'user', docSeq: 8 }] })).changed).toEqual([]);
        expect(await store.row('x', 'alice')).not.toBeNull();
        expect((await store.applyChanges({ deletes: [{ workflowId: 'x', userId: 'alice', category: 'user', docSeq: 9 }] })).changed).toEqual(['x']);
        expect(await store.row('x', 'alice')).toBeNull();
        // Deleting what is not there changes nothing.
        expect((await store.applyChanges({ deletes: [{ workflowId: 'x', userId: 'alice', category: 'user' }] })).changed).toEqual([]);
      });

      it('a batch is one transaction: rows, opens and the indexed seq together', async () => {
        const result = await store.applyChanges({
          upserts: [row('y1', 'alice', { doc_seq: 4 }), row('y2', 'alice', { doc_seq: 4 })],
          deletes: [{ workflowId: 'a-private', userId: 'alice', category: 'user', docSeq: 4 }],
          opened: [{ userId: 'alice', workflowId: 'y1', openedAt: '2026-05-01T00:00:00.000Z' }],
          indexedSeqs: [{ document: 'library/alice', seq: 4 }],
        });
        expect(result.changed.sort()).toEqual(['a-private', 'y1', 'y2']);
        expect(await store.indexedSeq('library/alice')).toBe(4);
        expect(await store.openedAt('alice', 'y1')).toBe('2026-05-01T00:00:00.000Z');
        expect(await store.idsOf('alice', 'user').then((l) => l.sort())).toEqual(['a-broken', 'a-shared', 'y1', 'y2']);
      });

      it('a failing batch leaves nothing of itself', async () => {
        const bad = { ...row('z', 'alice'), category: 'nonsense' } as unknown as IndexRow;
        await expect(
          store.applyChanges({ upserts: [row('z-ok', 'alice'), bad], indexedSeqs: [{ document: 'library/alice', seq: 99 }] }),
        ).rejects.toThrow();
        expect(await store.row('z-ok', 'alice')).toBeNull();
        expect(await store.indexedSeq('library/alice')).toBeNull();
      });

      it('an entry the database cannot hold does not keep the rest of its batch out of the index', async () => {
        // Raw U+0000 in the stored JSON (the indexer writes JSON.stringify's output, which escapes it)
        // and in an id: SQLite keeps both; PostgreSQL's text refuses them.
        const result = await store.applyChanges({
          upserts: [row('ok-1', 'alice', { doc_seq: 5 }), row('raw-json', 'alice', { workflow: '{"a":"\u0000"}', doc_seq: 5 }), row('id\u0000', 'alice', { doc_seq: 5 }), row('ok-2', 'alice', { doc_seq: 5 })],
          opened: [{ userId: 'alice', workflowId: 'id\u0000', openedAt: '2026-05-01T00:00:00.000Z' }, { userId: 'alice', workflowId: 'ok-2', openedAt: '2026-05-01T00:00:00.000Z' }],
          indexedSeqs: [{ document: 'library/alice', seq: 5 }],
        });
        expect(result.changed).toEqual(expect.arrayContaining(['ok-1', 'ok-2', 'raw-json']));
        expect(await store.row('ok-1', 'alice')).toMatchObject({ valid: true });
        expect(await store.openedAt('alice', 'ok-2')).toBe('2026-05-01T00:00:00.000Z');
        expect(await store.indexedSeq('library/alice')).toBe(5);
        // Kept as given, or (where the database refuses it) flagged invalid with the database's reason.
        const raw = await store.row('raw-json', 'alice');
        if (raw?.valid) expect(raw.workflow).toBe('{"a":"\u0000"}');
        else expect(raw).toMatchObject({ valid: false, workflow: null, invalid_reason: expect.stringMatching(/^the database refused this entry: /) });
      });

      it('opens only move forward, compared as times (fractions of different lengths)', async () => {
        await opened('bob', 'a-shared', '2026-03-01T00:00:00.5Z');
        await opened('bob', 'a-shared', '2026-03-01T00:00:00.100Z');
        expect(await store.openedAt('bob', 'a-shared')).toBe('2026-03-01T00:00:00.5Z');
        await opened('bob', 'a-shared', '2026-02-01T00:00:00.000Z');
        expect(await store.openedAt('bob', 'a-shared')).toBe('2026-03-01T00:00:00.5Z');
        await opened('bob', 'a-shared', '2026-03-01T00:00:00.600Z');
        expect(await store.openedAt('bob', 'a-shared')).toBe('2026-03-01T00:00:00.600Z');
      });

      it('the indexed seq is set as given (a mark for a full reindex included)', async () => {
        await store.applyChanges({ indexedSeqs: [{ document: 'library/alice', seq: 12 }] });
        await store.applyChanges({ indexedSeqs: [{ document: 'library/alice', seq: -1 }] });
        expect(await store.indexedSeq('library/alice')).toBe(-1);
        expect(await store.indexedDocuments()).toEqual(['library/alice']);
      });
    });

    describe('workflow owners', () => {
      it('the first claim wins; later claims see the owner; the record outlives the rows', async () => {
        expect(await store.owner('w1')).toBeNull();
        expect(await store.claimOwner('w1', 'alice', 'user')).toEqual({ userId: 'alice', category: 'user' });
        expect(await store.claimOwner('w1', 'bob', 'user')).toEqual({ userId: 'alice', category: 'user' });
        await store.deleteUser('alice', 'library/alice');
        expect(await store.owner('w1')).toEqual({ userId: 'alice', category: 'user' });
      });

      it('claims made at the same moment agree on one owner', async () => {
        const claimers = Array.from({ length: 12 }, (_, i) => `user-${i}`);
        const owners = await Promise.all(claimers.map((userId) => store.claimOwner('contested', userId, 'user')));
        const winner = owners[0]!;
        expect(claimers).toContain(winner.userId);
        expect(owners.every((o) => o?.userId === winner.userId)).toBe(true);
        expect(await store.owner('contested')).toEqual(winner);
      });

      it('reserved default_ ids are never claimed by a library, only by the defaults', async () => {
        expect(await store.claimOwner('default_x', 'alice', 'user')).toBeNull();
        expect(await store.claimOwner('default_x', 'system', 'default')).toEqual({ userId: 'system', category: 'default' });
        expect(await store.claimOwner('default_x', 'alice', 'user')).toEqual({ userId: 'system', category: 'default' });
      });
    });

    describe('publisher reads', () => {
      it('sharedRowsOf lists valid shared rows oldest first with their UTF-8 size, and stale verdicts', async () => {
        await upsert(row('a-old', 'alice', { is_public: true, created_at: '2025-01-01T00:00:00.000Z', workflow: '{"n":"é"}' }));
        await store.setUnpublishedReasons([{ workflowId: 'a-private', userId: 'alice', reason: 'stale' }]);
        const { shared, stale } = await store.sharedRowsOf('alice');
        expect(shared).toEqual([
          { workflow_id: 'a-old', bytes: 10, unpublished_reason: null },
          { workflow_id: 'a-shared', bytes: 2, unpublished_reason: null },
        ]);
        expect(stale).toEqual(['a-private']);
        expect(await store.usersWithSharedRows()).toEqual(['alice', 'bob', 'system']);
      });

      it('publishable holds the defaults and valid shared rows, oldest first; rowsForId every copy', async () => {
        expect((await store.publishable()).map((r) => r.workflow_id).sort()).toEqual(['a-shared', 'b-shared', 'default_one', 's-legacy']);
        await upsert(row('a-shared', 'bob', { created_at: '2027-01-01T00:00:00.000Z' }));
        const copies = await store.rowsForId('a-shared');
        expect(copies.map((r) => r.user_id)).toEqual(['alice', 'bob']);
        expect(copies[0]).toMatchObject({ is_public: true, valid: true, doc_seq: 1, unpublished_reason: null });
      });
    });

    describe('housekeeping', () => {
      it("deleting the last row of an id removes its opened records and its owner's thumbnail", async () => {
        await opened('bob', 'a-shared', '2026-03-01T00:00:00.000Z');
        await fixture.thumbnails.put('a-shared', 'alice', Buffer.from([1, 2, 3]), 'v1');
        await store.applyChanges({ deletes: [{ workflowId: 'a-shared', userId: 'alice', category: 'user' }] });
        expect(await store.openedAt('bob', 'a-shared')).toBeNull();
        expect(await fixture.thumbnails.get('a-shared', 'alice')).toBeNull();
      });

      it('deleteUser forgets the rows, opened records, thumbnails and document state of that user only', async () => {
        await opened('alice', 'b-shared', '2026-03-01T00:00:00.000Z');
        await opened('bob', 'b-shared', '2026-03-01T00:00:00.000Z');
        await fixture.thumbnails.put('a-private', 'alice', Buffer.from([1]), 'v1');
        await fixture.thumbnails.put('b-private', 'bob', Buffer.from([1]), 'v1');
        await store.applyChanges({ indexedSeqs: [{ document: 'library/alice', seq: 7 }, { document: 'library/bob', seq: 3 }] });
        expect((await store.indexedUsers()).sort()).toEqual(['alice', 'bob', 'system']);
        expect((await store.deleteUser('alice', 'library/alice')).sort()).toEqual(['a-broken', 'a-private', 'a-shared']);
        expect(await ids(admin, { categories: ['user'] })).toEqual(['b-private', 'b-shared', 's-legacy']);
        expect(await store.openedAt('alice', 'b-shared')).toBeNull();
        expect(await store.openedAt('bob', 'b-shared')).not.toBeNull();
        expect(await store.indexedSeq('library/alice')).toBeNull();
        expect(await store.indexedSeq('library/bob')).toBe(3);
        expect(await fixture.thumbnails.bytesOf('alice')).toBe(0);
        expect(await fixture.thumbnails.bytesOf('bob')).toBe(1);
        expect(await store.usersWithRows()).toEqual(['bob', 'system']);
        expect(await store.indexedUsers()).toEqual(['bob', 'system']);
      });
    });
  });
}
