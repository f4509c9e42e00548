// The plans of the list queries (issue 10 item 3): every statement the workflow index runs for each list
// shape the REST API produces (InvokeAI's views, orders, tag filter, search, a deep page, the counts and
// the tags) is EXPLAINed over 10,000 workflows, on SQLite and on PostgreSQL, and must use the index meant
// for it: no full scan of workflow_index, no sort where an index gives the order, a count that joins
// only what its filters need. A change of query or index that loses a plan fails here, where a timing
// would only drift. No timings are asserted (docs/benchmarks.md, P6, measures them).
import type { Database } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { openDatabase } from '../../server/db/database.js';
import type { IndexRow, ListQuery, OpenRecord, Viewer, WorkflowIndexStore } from '../../server/storage/index-store.js';
import { PostgresIndexStore } from '../../server/storage/postgres/index-store.js';
import { migratePostgres } from '../../server/storage/postgres/migrator.js';
import { PostgresPool, type Queryable } from '../../server/storage/postgres/pool.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';

const USERS = 20;
const PER_USER = 500;
const WORDS = ['flux', 'sdxl', 'upscaling', 'portrait', 'video', 'control', 'lora', 'inpaint'];

/** Seeded (mulberry32), so the data set is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** As P6: 20 users with 500 workflows each, half of them shared, InvokeAI's 26 defaults, some opens. */
function dataSet(): { upserts: IndexRow[]; opened: OpenRecord[] } {
  const rnd = random(10);
  const pick = () => WORDS[Math.floor(rnd() * WORDS.length)]!;
  const row = (over: Partial<IndexRow> & Pick<IndexRow, 'workflow_id' | 'user_id' | 'category'>): IndexRow => ({
    name: `Workflow ${Math.floor(rnd() * 5000)}`,
    description: `about ${pick()}`,
    tags: `${pick()}, ${pick()}`,
    is_public: false,
    created_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 3e10)).toISOString(),
    updated_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 3e10)).toISOString(),
    opened_at: null,
    valid: true,
    invalid_reason: null,
    workflow: '{}',
    doc_seq: 1,
    ...over,
  });
  const upserts: IndexRow[] = [];
  const opened: OpenRecord[] = [];
  for (let d = 0; d < 26; d++) upserts.push(row({ workflow_id: `default_${d}`, user_id: 'system', category: 'default', doc_seq: 0 }));
  for (let u = 0; u < USERS; u++) {
    for (let w = 0; w < PER_USER; w++) {
      const shared = w % 2 === 0;
      const r = row({ workflow_id: `wf-${u}-${w}`, user_id: `u-${u}`, category: 'user', is_public: shared });
      upserts.push(shared ? { ...r, tags: `${r.tags}, shared` } : r);
      if (rnd() < 0.03) opened.push({ userId: `u-${u}`, workflowId: r.workflow_id, openedAt: r.updated_at });
    }
    for (let k = 0; k < 3; k++) opened.push({ userId: `u-${u}`, workflowId: `default_${(u + k) % 26}`, openedAt: new Date(Date.UTC(2026, 6, 1, 0, u, k)).toISOString() });
  }
  return { upserts, opened };
}

const regular: Viewer = { userId: 'u-1', isAdmin: false, multiuser: true };
const admin: Viewer = { userId: 'root', isAdmin: true, multiuser: true };
const single: Viewer = { userId: 'system', isAdmin: true, multiuser: false };
const page0: ListQuery = { page: 0, perPage: 30, orderBy: 'name', direction: 'ASC' };

interface Shape {
  label: string;
  run(store: WorkflowIndexStore): Promise<unknown>;
  /** The counts may join the viewer's opens (has_been_opened); nothing else. */
  countJoinsOpens?: boolean;
  /** SQLite: an index every statement of the shape must use (a regexp on EXPLAIN QUERY PLAN). */
  sqliteIndex?: RegExp;
  /** SQLite: the page is read in an index's order (no temp B-tree for the ORDER BY). */
  sqliteOrdered?: boolean;
  /** PostgreSQL: the shape reads everybody's rows for a substring (no B-tree can seek it): a scan is the plan. */
  pgScans?: boolean;
  /**
   * PostgreSQL: the count covers most of the table (every user workflow, or the shared half), where a
   * sequential scan of the narrow heap (the JSON is out of line) is PostgreSQL's cheapest plan; the page
   * itself must still come from an index.
   */
  pgCountScans?: boolean;
  /** PostgreSQL: an index the shape's statements use. */
  pgIndex?: RegExp;
}

const list = (viewer: Viewer, q: Partial<ListQuery>) => (store: WorkflowIndexStore) => store.list(viewer, { ...page0, ...q });

/** The list shapes the REST API produces (InvokeAI's web app's views and P6's queries) and what answers each. */
const SHAPES: Shape[] = [
  { label: 'Your Workflows by name', run: list(regular, { categories: ['user'] }), sqliteIndex: /idx_workflow_index_own_/, sqliteOrdered: true, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Your Workflows by updated_at desc', run: list(regular, { categories: ['user'], orderBy: 'updated_at', direction: 'DESC' }), sqliteIndex: /idx_workflow_index_own_/, sqliteOrdered: true, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Your Workflows by created_at desc', run: list(regular, { categories: ['user'], orderBy: 'created_at', direction: 'DESC' }), sqliteIndex: /idx_workflow_index_own_/, sqliteOrdered: true, pgIndex: /idx_workflow_index_own_/ },
  // opened_at lives in the viewer's opens: the viewer's own rows, sorted (no index can hold both tables' order).
  { label: 'Your Workflows by opened_at desc (the web app default)', run: list(regular, { categories: ['user'], orderBy: 'opened_at', direction: 'DESC' }), sqliteIndex: /idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Your Workflows, tag filter', run: list(regular, { categories: ['user'], tags: ['upscaling'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Your Workflows, search', run: list(regular, { categories: ['user'], query: 'portrait', orderBy: 'updated_at', direction: 'DESC' }), sqliteIndex: /idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Shared Workflows by name', pgCountScans: true, run: list(regular, { categories: ['user'], isPublic: true }), sqliteIndex: /COVERING INDEX idx_workflow_index_cat_public_name/, sqliteOrdered: true, pgIndex: /idx_workflow_index_cat_public_name/ },
  { label: 'Shared Workflows, page 100 (OFFSET 3000)', pgCountScans: true, run: list(regular, { categories: ['user'], isPublic: true, page: 100 }), sqliteIndex: /COVERING INDEX idx_workflow_index_cat_public_name/, sqliteOrdered: true, pgIndex: /idx_workflow_index_cat_public_name/ },
  { label: 'Recently Opened (has_been_opened, opened_at desc)', run: list(regular, { categories: ['user', 'default'], hasBeenOpened: true, orderBy: 'opened_at', direction: 'DESC' }), countJoinsOpens: true, sqliteIndex: /idx_workflow_opened_recent/, sqliteOrdered: true },
  { label: 'search over yours and the defaults', run: list(regular, { categories: ['user', 'default'], query: 'video', orderBy: 'created_at', direction: 'DESC' }), sqliteIndex: /idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'Browse Workflows (defaults) with a tag', run: list(regular, { categories: ['default'], tags: ['flux'] }), sqliteIndex: /idx_workflow_index_(cat_name|filter)/, pgScans: true },
  { label: 'admin: every user workflow by name', pgCountScans: true, run: list(admin, { categories: ['user'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_cat_name/, sqliteOrdered: true, pgIndex: /idx_workflow_index_cat_name/ },
  { label: 'admin: a deep page (page 200) by updated_at desc', pgCountScans: true, run: list(admin, { categories: ['user'], orderBy: 'updated_at', direction: 'DESC', page: 200 }), sqliteIndex: /COVERING INDEX idx_workflow_index_cat_updated/, sqliteOrdered: true, pgIndex: /idx_workflow_index_cat_updated/ },
  { label: 'admin: a tag filter over everybody', run: list(admin, { categories: ['user'], tags: ['upscaling'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_filter/, pgScans: true },
  { label: 'admin: a search over everybody', run: list(admin, { categories: ['user', 'default'], query: 'portrait', orderBy: 'created_at', direction: 'DESC' }), sqliteIndex: /COVERING INDEX idx_workflow_index_filter/, pgScans: true },
  { label: 'single user: by created_at', pgCountScans: true, run: list(single, { categories: ['user'], orderBy: 'created_at' }), sqliteIndex: /COVERING INDEX idx_workflow_index_cat_created/, sqliteOrdered: true, pgIndex: /idx_workflow_index_cat_created/ },
  { label: 'counts_by_category', run: (s) => s.countsByCategory(regular, ['user', 'default'], {}), sqliteIndex: /COVERING INDEX/, pgIndex: /idx_workflow_index_/ },
  { label: 'counts_by_category of opened ones', run: (s) => s.countsByCategory(regular, ['user', 'default'], { hasBeenOpened: true }), countJoinsOpens: true, sqliteIndex: /idx_workflow_opened_recent/ },
  { label: 'counts_by_tag of yours', run: (s) => s.countsByTag(regular, WORDS, { categories: ['user'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'counts_by_tag of the defaults', run: (s) => s.countsByTag(regular, WORDS, { categories: ['default'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_filter/, pgIndex: /idx_workflow_index_/ },
  { label: 'tags of yours', run: (s) => s.tags(regular, { categories: ['user'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_own_/, pgIndex: /idx_workflow_index_own_/ },
  { label: 'tags, admin', run: (s) => s.tags(admin, { categories: ['user'] }), sqliteIndex: /COVERING INDEX idx_workflow_index_filter/, pgScans: true },
];

interface Captured {
  sql: string;
  params: unknown[];
}

/** The count statements of a shape: COUNT(*), or the counts by tag (COUNT/SUM per tag). */
function isCount(sql: string): boolean {
  return /^\s*SELECT\s+(COUNT\(\*\)|COALESCE\(SUM)/i.test(sql);
}

describe('list query plans on SQLite, 10,000 workflows', () => {
  let dir: string;
  let db: Database;
  let captured: Captured[] = [];
  let store: SqliteIndexStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowshelf-plans-'));
    db = openDatabase(join(dir, 'flowshelf.db'));
    // Every statement the store runs is recorded with its parameters (then EXPLAINed as it ran).
    const recording = new Proxy(db, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql);
            return new Proxy(statement, {
              get(s, p) {
                const value = Reflect.get(s, p, s) as unknown;
                if (typeof value !== 'function') return value;
                if (p === 'all' || p === 'get') {
                  return (...params: unknown[]) => {
                    captured.push({ sql, params });
                    return (value as (...a: unknown[]) => unknown).apply(s, params);
                  };
                }
                return (value as (...a: unknown[]) => unknown).bind(s);
              },
            });
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    store = new SqliteIndexStore(recording);
    // Written through the store, which keeps the planner's statistics current on its own.
    await store.applyChanges(dataSet());
  });
  afterAll(() => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the store keeps the statistics current: after a large write sqlite_stat1 knows the table size', () => {
    const stat = db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'idx_workflow_index_own_name'").get() as { stat: string } | undefined;
    expect(stat?.stat.split(' ').map(Number).slice(0, 2)).toEqual([USERS * PER_USER + 26, expect.any(Number)]);
    // Per library about 500 rows: the planner can tell a user's rows from a category's.
    expect(Number(stat!.stat.split(' ')[1])).toBeLessThan(1000);
  });

  for (const shape of SHAPES) {
    it(shape.label, async () => {
      captured = [];
      await shape.run(store);
      expect(captured.length).toBeGreaterThan(0);
      const plans = captured.map((c) => ({
        ...c,
        plan: (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.params as [])) as { detail: string }[]).map((r) => r.detail),
      }));
      for (const { sql, plan } of plans) {
        const where = `${shape.label}\n${sql}\n${plan.join('\n')}`;
        // No full scan of a table: every table is read through an index (a covering index scan is fine).
        expect(plan.filter((line) => /^SCAN (w|o|t)$/.test(line)), where).toEqual([]);
        if (isCount(sql)) {
          expect(sql, where).not.toMatch(/workflow_thumbnails/);
          if (!shape.countJoinsOpens) expect(sql, where).not.toMatch(/workflow_opened/);
        }
      }
      // The statements that choose rows (counts, the page's keys, the tags) use the intended index.
      const choosing = plans.filter((p) => !/rowid IN/.test(p.sql));
      if (shape.sqliteIndex) {
        for (const { sql, plan } of choosing) {
          // A count may be answered by any index that holds what it filters on.
          const expected = isCount(sql) && !/SUM/.test(sql) ? new RegExp(`${shape.sqliteIndex.source}|COVERING INDEX`) : shape.sqliteIndex;
          expect(plan.join('\n'), `${shape.label}\n${sql}`).toMatch(expected);
        }
      }
      if (shape.sqliteOrdered) {
        for (const { sql, plan } of choosing) expect(plan, `${shape.label}\n${sql}`).not.toContain('USE TEMP B-TREE FOR ORDER BY');
      }
    });
  }
});

interface PgPlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PgPlanNode[];
}

function pgNodes(node: PgPlanNode): PgPlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(pgNodes)];
}

describe('list query plans on PostgreSQL, 10,000 workflows', () => {
  let postgres: PostgresService;
  let pool: PostgresPool;
  let captured: Captured[] = [];
  let store: PostgresIndexStore;

  beforeAll(async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase();
    pool = new PostgresPool(url, { max: 2 });
    await migratePostgres(pool, postgresMigrations);
    // Loaded in bulk (the write path is the suite's business; the rows are what the planner sees).
    const { upserts, opened } = dataSet();
    const column = <K extends keyof IndexRow>(key: K) => upserts.map((r) => r[key]);
    await pool.query(
      `INSERT INTO workflow_index (workflow_id, user_id, category, name, description, tags, is_public, created_at, updated_at,
         valid, workflow, doc_seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[],
         $9::text[], $10::boolean[], $11::text[], $12::bigint[])`,
      [
        column('workflow_id'), column('user_id'), column('category'), column('name'), column('description'), column('tags'),
        column('is_public'), column('created_at'), column('updated_at'), column('valid'), column('workflow'), column('doc_seq'),
      ],
    );
    await pool.query('INSERT INTO workflow_opened (user_id, workflow_id, opened_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
      opened.map((o) => o.userId), opened.map((o) => o.workflowId), opened.map((o) => o.openedAt),
    ]);
    // What autovacuum does once enough rows changed (statistics, and the visibility map that lets an
    // index answer alone), done now.
    await pool.query('VACUUM ANALYZE workflow_index');
    await pool.query('VACUUM ANALYZE workflow_opened');
    const recordingQuery = (q: Queryable): Queryable => ({
      query: (text: string, values?: unknown[]) => {
        captured.push({ sql: text, params: values ?? [] });
        return q.query(text, values);
      },
    }) as Queryable;
    const recording = new Proxy(pool, {
      get(target, prop) {
        if (prop === 'query') return recordingQuery(target).query;
        if (prop === 'transaction') {
          return (body: (tx: Queryable) => Promise<unknown>, options?: unknown) =>
            target.transaction((tx) => body(recordingQuery(tx)), options as Parameters<PostgresPool['transaction']>[1]);
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    store = new PostgresIndexStore(recording);
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
    await postgres?.stop();
  });

  for (const shape of SHAPES) {
    it(shape.label, async () => {
      captured = [];
      await shape.run(store);
      expect(captured.length).toBeGreaterThan(0);
      const used: PgPlanNode[] = [];
      for (const { sql, params } of captured) {
        const result = await pool.query<{ 'QUERY PLAN': [{ Plan: PgPlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        const nodes = pgNodes(result.rows[0]!['QUERY PLAN'][0].Plan);
        used.push(...nodes);
        const where = `${shape.label}\n${sql}\n${JSON.stringify(nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]))}`;
        if (!shape.pgScans && !(shape.pgCountScans && isCount(sql))) {
          expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'workflow_index'), where).toEqual([]);
        }
        if (isCount(sql)) {
          expect(nodes.filter((n) => n['Relation Name'] === 'workflow_thumbnails'), where).toEqual([]);
          if (!shape.countJoinsOpens) expect(nodes.filter((n) => n['Relation Name'] === 'workflow_opened'), where).toEqual([]);
        }
      }
      if (shape.pgIndex) expect(used.map((n) => n['Index Name'] ?? '').join(' '), shape.label).toMatch(shape.pgIndex);
    });
  }
});
