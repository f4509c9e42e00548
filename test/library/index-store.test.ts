// The index's list/tags/counts queries against a real SQLite file, with InvokeAI's MERGED visibility
// rules (reference §2 matrix) and the fixes documented in docs/invokeai-compat.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db/database.js';
import { IndexStore, type IndexRow, type ListQuery, type Viewer } from '../../server/library/index-store.js';

let dir: string;
let db: Database;
let store: IndexStore;

const alice: Viewer = { userId: 'alice', isAdmin: false, multiuser: true };
const bob: Viewer = { userId: 'bob', isAdmin: false, multiuser: true };
const admin: Viewer = { userId: 'root', isAdmin: true, multiuser: true };

function row(id: string, userId: string, over: Partial<IndexRow> = {}): IndexRow {
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
const ids = (v: Viewer, q: Partial<ListQuery> = {}) => store.list(v, { ...all, ...q }).items.map((i) => i.workflow_id);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-index-'));
  db = openDatabase(join(dir, 'flowshelf.db'));
  store = new IndexStore(db);
  store.upsert(row('a-private', 'alice'));
  store.upsert(row('a-shared', 'alice', { is_public: true, tags: 'flux, shared' }));
  store.upsert(row('b-private', 'bob', { tags: 'SDXL' }));
  store.upsert(row('b-shared', 'bob', { is_public: true, tags: 'sd1.5, shared' }));
  store.upsert(row('s-legacy', 'system', { is_public: true, tags: 'shared' }));
  store.upsert(row('default_one', 'system', { tags: 'flux, text to image' }));
  store.upsert(
    row('a-broken', 'alice', { valid: false, invalid_reason: 'meta.version: Required', workflow: null, name: 'broken' }),
  );
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('visibility (reference §2 matrix, MERGED)', () => {
  it('a regular user listing categories=user sees only their own workflows', () => {
    expect(ids(alice, { categories: ['user'] })).toEqual(['a-private', 'a-shared', 'a-broken']);
    expect(ids(bob, { categories: ['user'] })).toEqual(['b-private', 'b-shared']);
  });

  it('a regular user listing user+is_public=true sees every public user workflow incl. system-owned', () => {
    expect(ids(bob, { categories: ['user'], isPublic: true })).toEqual(['a-shared', 'b-shared', 's-legacy']);
  });

  it('a regular user listing without categories sees own + defaults, never other private ones', () => {
    expect(ids(bob)).toEqual(['b-private', 'b-shared', 'default_one']);
    expect(ids(bob, { categories: ['user', 'default'] })).toEqual(['b-private', 'b-shared', 'default_one']);
  });

  it('an admin sees every valid user workflow, but not other users\' invalid ones', () => {
    expect(ids(admin, { categories: ['user'] })).toEqual(['a-private', 'a-shared', 'b-private', 'b-shared', 's-legacy']);
    expect(ids(admin)).toContain('default_one');
  });

  it('single-user mode sees everything of the system user', () => {
    const solo: Viewer = { userId: 'system', isAdmin: true, multiuser: false };
    expect(ids(solo, { categories: ['default'] })).toEqual(['default_one']);
    expect(ids(solo, { isPublic: true })).toEqual(['a-shared', 'b-shared', 's-legacy']);
  });

  it('the owner sees an invalid entry flagged with its reason; nobody else sees it', () => {
    const broken = store.list(alice, all).items.find((i) => i.workflow_id === 'a-broken');
    expect(broken?.invalid_reason).toBe('meta.version: Required');
    expect(ids(admin)).not.toContain('a-broken');
    expect(store.tags(admin, {})).not.toContain('broken');
  });
});

describe('filters', () => {
  it('tags match as case-insensitive substrings, OR between tags', () => {
    expect(ids(admin, { tags: ['sd'] })).toEqual(['b-private', 'b-shared']);
    expect(ids(admin, { tags: ['flux', 'sdxl'] })).toEqual(['a-shared', 'b-private', 'default_one']);
  });

  it('LIKE wildcards in a tag or query are literal (InvokeAI lets "_" match any character)', () => {
    store.upsert(row('c1', 'alice', { name: 'a_b' }));
    store.upsert(row('c2', 'alice', { name: 'axb' }));
    expect(ids(alice, { query: 'a_b' })).toEqual(['c1']);
    expect(ids(alice, { query: '%' })).toEqual([]);
  });

  it('query matches name, description and tags; blank query is ignored', () => {
    store.upsert(row('d1', 'alice', { name: 'zzz', description: 'an Upscaler' }));
    expect(ids(alice, { query: ' upscaler ' })).toEqual(['d1']);
    expect(ids(alice, { query: 'text to' })).toEqual(['default_one']);
    expect(ids(alice, { query: '   ' })).toHaveLength(ids(alice).length);
  });

  it('opened is per user: one user opening a workflow does not mark it opened for another', () => {
    store.setOpened('alice', 'default_one', '2026-02-01T00:00:00.000Z');
    expect(ids(alice, { hasBeenOpened: true })).toEqual(['default_one']);
    expect(ids(bob, { hasBeenOpened: true })).toEqual([]);
    expect(ids(bob, { hasBeenOpened: false })).toContain('default_one');
    const item = store.list(alice, { ...all, hasBeenOpened: true }).items[0];
    expect(item?.opened_at).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe('order and pagination', () => {
  it('equal sort keys are ordered by workflow_id, so pages never repeat or skip an item', () => {
    for (let i = 0; i < 25; i++) store.upsert(row(`same-${String(i).padStart(2, '0')}`, 'bob', { name: 'Same' }));
    const seen: string[] = [];
    for (let page = 0; page < 5; page++) {
      const p = store.list(bob, { ...all, categories: ['user'], orderBy: 'updated_at', page, perPage: 6 });
      expect(p.pages).toBe(5);
      expect(p.total).toBe(27);
      seen.push(...p.items.map((i) => i.workflow_id));
    }
    expect(new Set(seen).size).toBe(27);
    expect(seen.slice(0, 3)).toEqual(['b-private', 'b-shared', 'same-00']);
  });

  it('names sort case-insensitively and DESC reverses the order', () => {
    store.upsert(row('n1', 'bob', { name: 'apple pie' }));
    store.upsert(row('n2', 'bob', { name: 'Banana pie' }));
    expect(ids(bob, { categories: ['user'], query: 'pie' })).toEqual(['n1', 'n2']);
    expect(ids(bob, { categories: ['user'], query: 'pie', direction: 'DESC' })).toEqual(['n2', 'n1']);
  });

  it('per_page absent returns one page with per_page = total', () => {
    const p = store.list(bob, all);
    expect(p).toMatchObject({ page: 0, pages: 1, per_page: 3, total: 3 });
  });

  it('opened_at order puts never-opened last when descending', () => {
    store.setOpened('bob', 'b-shared', '2026-03-01T00:00:00.000Z');
    store.setOpened('bob', 'default_one', '2026-03-02T00:00:00.000Z');
    expect(ids(bob, { orderBy: 'opened_at', direction: 'DESC' })).toEqual(['default_one', 'b-shared', 'b-private']);
  });
});

describe('tags and counts', () => {
  it('tags lists visible tags, unique and sorted case-sensitively', () => {
    expect(store.tags(bob, { categories: ['user'] })).toEqual(['SDXL', 'sd1.5', 'shared']);
    expect(store.tags(bob, { categories: ['default'] })).toEqual(['flux', 'text to image']);
  });

  it('counts_by_tag counts substring matches among visible rows', () => {
    expect(store.countsByTag(bob, ['sd', 'flux'], { categories: ['user'] })).toEqual({ sd: 2, flux: 0 });
    expect(store.countsByTag(admin, ['flux'], {})).toEqual({ flux: 2 });
  });

  it('tag spellings that differ in case are one tag to the filter and the counts; /tags lists both, as InvokeAI', () => {
    store.upsert(row('t1', 'bob', { tags: 'Text to Image 2' }));
    store.upsert(row('t2', 'bob', { tags: 'text to image 2' }));
    expect(ids(bob, { categories: ['user'], tags: ['TEXT TO IMAGE 2'] })).toEqual(['t1', 't2']);
    expect(store.countsByTag(bob, ['Text to Image 2', 'text to image 2'], { categories: ['user'] })).toEqual({
      'Text to Image 2': 2,
      'text to image 2': 2,
    });
    expect(store.tags(bob, { categories: ['user'] }).filter((t) => /image/i.test(t))).toEqual(['Text to Image 2', 'text to image 2']);
  });

  it('counts_by_category applies the owner filter when user is asked for', () => {
    expect(store.countsByCategory(bob, ['user', 'default'], {})).toEqual({ user: 2, default: 1 });
    expect(store.countsByCategory(bob, ['user'], { isPublic: true })).toEqual({ user: 3 });
    expect(store.countsByCategory(admin, ['user'], {})).toEqual({ user: 5 });
  });
});

describe('housekeeping', () => {
  it('deleting the last row of an id removes its opened records and its owner\'s thumbnail', () => {
    store.setOpened('bob', 'a-shared', '2026-03-01T00:00:00.000Z');
    store.putThumbnail('a-shared', 'alice', Buffer.from([1, 2, 3]), 'v1');
    store.delete('a-shared', 'alice');
    expect(store.openedAt('bob', 'a-shared')).toBeNull();
    expect(store.thumbnail('a-shared', 'alice')).toBeNull();
  });

  it('deleteUser forgets the rows, opened records and document state of that user only', () => {
    store.setOpened('alice', 'b-shared', '2026-03-01T00:00:00.000Z');
    store.setIndexedSeq('library/alice', 7);
    store.deleteUser('alice', 'library/alice');
    expect(ids(admin, { categories: ['user'] })).toEqual(['b-private', 'b-shared', 's-legacy']);
    expect(store.openedAt('alice', 'b-shared')).toBeNull();
    expect(store.indexedSeq('library/alice')).toBeNull();
  });
});
