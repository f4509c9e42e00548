// P6: the six list queries of InvokeAI's workflow library over 10,000 workflows. One InvokeAI
// database (its schema and indexes, bench/invokeai-db.ts) is imported into Flowshelf with
// `flowshelf import-invokeai`, so both hold the same rows. Flowshelf answers over HTTP (its REST API,
// a regular user's token, keep-alive, the JSON parsed); InvokeAI's side is its own SQL (the list and
// the count statements exactly as workflow_records_sqlite.py get_many builds them, prepared once,
// plus the existence check of each item's thumbnail file that its router makes) run with
// better-sqlite3 in this process, so it pays no HTTP at all. Paired: the two alternate per query.
// The relay and Hocuspocus have no list API: they are not part of this workload.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../server/config.js';
import { fmt, load, median, percentile, sorted, startSide, table } from './harness.js';
import { BENCH_PASSWORD, buildInvokeaiDatabase } from './invokeai-db.js';

interface ListQuery {
  label: string;
  categories?: ('user' | 'default')[];
  tags?: string[];
  query?: string;
  isPublic?: boolean;
  orderBy: 'name' | 'updated_at' | 'created_at' | 'opened_at' | 'is_public';
  direction: 'ASC' | 'DESC';
  page: number;
  perPage: number;
}

/** What InvokeAI's web app asks (PER_PAGE 30): its views, a tag, a search, and a deep page. */
const QUERIES: ListQuery[] = [
  { label: 'yours, by name', categories: ['user'], orderBy: 'name', direction: 'ASC', page: 0, perPage: 30 },
  { label: 'yours, updated desc', categories: ['user'], orderBy: 'updated_at', direction: 'DESC', page: 0, perPage: 30 },
  { label: 'shared, by name', categories: ['user'], isPublic: true, orderBy: 'name', direction: 'ASC', page: 0, perPage: 30 },
  { label: 'yours, tag "upscaling"', categories: ['user'], tags: ['upscaling'], orderBy: 'name', direction: 'ASC', page: 0, perPage: 30 },
  { label: 'search "video", all', categories: ['user', 'default'], query: 'video', orderBy: 'created_at', direction: 'DESC', page: 0, perPage: 30 },
  { label: 'shared, page 100', categories: ['user'], isPublic: true, orderBy: 'name', direction: 'ASC', page: 100, perPage: 30 },
];

/** InvokeAI's get_many (MERGED) for a regular user in multiuser mode: the list and the count statement. */
function invokeaiStatements(db: Database.Database, q: ListQuery, userId: string) {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (q.categories && q.categories.length > 0) {
    conditions.push(`category IN (${q.categories.map(() => '?').join(', ')})`);
    params.push(...q.categories);
  }
  if (q.tags && q.tags.length > 0) {
    conditions.push(`(${q.tags.map(() => 'tags LIKE ?').join(' OR ')})`);
    params.push(...q.tags.map((t) => `%${t.trim()}%`));
  }
  const stripped = q.query?.trim();
  if (stripped) {
    conditions.push('(name LIKE ? OR description LIKE ? OR tags LIKE ?)');
    params.push(`%${stripped}%`, `%${stripped}%`, `%${stripped}%`);
  }
  // The router's owner filter: a regular user listing `user` workflows without is_public=true.
  const hasUserCategory = !q.categories || q.categories.includes('user');
  if (hasUserCategory && q.isPublic !== true) {
    conditions.push("(user_id = ? OR category = 'default')");
    params.push(userId);
  }
  if (q.isPublic === true) conditions.push('is_public = TRUE');
  if (q.isPublic === false) conditions.push('is_public = FALSE');
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const list = db.prepare(
    `SELECT workflow_id, category, name, description, created_at, updated_at, opened_at, tags, user_id, is_public FROM workflow_library${where} ORDER BY ${q.orderBy} ${q.direction} LIMIT ? OFFSET ?`,
  );
  const count = db.prepare(`SELECT COUNT(*) FROM workflow_library${where}`).pluck();
  return { list, count, params };
}

function queryString(q: ListQuery): string {
  const p = new URLSearchParams();
  for (const c of q.categories ?? []) p.append('categories', c);
  for (const t of q.tags ?? []) p.append('tags', t);
  if (q.query !== undefined) p.set('query', q.query);
  if (q.isPublic !== undefined) p.set('is_public', String(q.isPublic));
  p.set('order_by', q.orderBy);
  p.set('direction', q.direction);
  p.set('page', String(q.page));
  p.set('per_page', String(q.perPage));
  return p.toString();
}

export async function p6(workflows = 10_000, iterations = 100): Promise<void> {
  const started = performance.now();
  console.log('');
  console.log(`## P6: the six InvokeAI list queries over ${workflows} workflows: Flowshelf REST over HTTP vs InvokeAI's SQL on the same rows`);
  console.log(`load average at start: ${fmt(load())}`);
  const users = 20;
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-bench-p6-'));
  try {
    const source = join(dir, 'invokeai.db');
    buildInvokeaiDatabase(source, { users, workflows, shared: workflows / 2, defaults: true });
    const importStarted = performance.now();
    const dataDir = join(dir, 'data');
    execFileSync(process.execPath, [join(projectRoot(), 'dist', 'server', 'cli.js'), 'import-invokeai', source, '--data-dir', dataDir, '--user-quota-mb', '4096'], {
      cwd: projectRoot(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    console.log(`${users} users and ${workflows} workflows (${workflows / 2} shared, InvokeAI's defaults cycled, 8-52 KB) imported in ${fmt((performance.now() - importStarted) / 1000, 1)} s`);

    const side = await startSide('flowshelf', { users: 0, dataDir }, 'flowshelf');
    try {
      const base = side.ready.httpUrl!;
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'user1@example.com', password: BENCH_PASSWORD }),
      });
      if (!login.ok) throw new Error(`P6: login failed (${login.status}): ${await login.text()}`);
      const token = ((await login.json()) as { token: string }).token;
      const db = new Database(source, { readonly: true });
      const thumbnails = join(dir, 'workflow_thumbnails');
      const invokeai = QUERIES.map((q) => {
        const { list, count, params } = invokeaiStatements(db, q, 'u-1');
        return () => {
          const rows = list.all(...params, q.perPage, q.page * q.perPage) as { workflow_id: string }[];
          const total = count.get(...params) as number;
          // The router's thumbnail_url: a file existence check per item.
          const items = rows.map((row) => ({ ...row, thumbnail_url: existsSync(join(thumbnails, `${row.workflow_id}.webp`)) ? `/api/v1/workflows/i/${row.workflow_id}/thumbnail` : null }));
          return { total, items };
        };
      });
      let retried = false;
      const flowshelf = QUERIES.map((q) => {
        const url = `${base}/api/v1/workflows/?${queryString(q)}`;
        const get = async () => {
          const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          if (!res.ok) throw new Error(`P6: ${url} answered ${res.status}: ${await res.text()}`);
          return (await res.json()) as { total: number; items: unknown[] };
        };
        return async () => {
          try {
            return await get();
          } catch (err) {
            // The server closed an idle keep-alive connection just as fetch reused it (the InvokeAI
            // side can take longer than the server's keep-alive timeout): once more, on a new one.
            if (!(err instanceof TypeError)) throw err;
            retried = true;
            return get();
          }
        };
      });
      // Same rows: the totals must agree before anything is timed.
      for (const [i, q] of QUERIES.entries()) {
        const a = invokeai[i]!();
        const b = await flowshelf[i]!();
        if (a.total !== b.total || a.items.length !== b.items.length) {
          console.log(`P6: "${q.label}": InvokeAI total ${a.total} (${a.items.length} items), Flowshelf ${b.total} (${b.items.length} items)`);
        }
      }
      const times = QUERIES.map(() => ({ invokeai: [] as number[], flowshelf: [] as number[] }));
      for (let it = -2; it < iterations; it++) {
        for (const [i] of QUERIES.entries()) {
          const order = it % 2 === 0 ? ['invokeai', 'flowshelf'] : ['flowshelf', 'invokeai'];
          for (const which of order) {
            retried = false;
            const t0 = performance.now();
            if (which === 'invokeai') invokeai[i]!();
            else await flowshelf[i]!();
            // A request retried after a closed keep-alive connection is not a sample.
            if (it >= 0 && !retried) times[i]![which as 'invokeai' | 'flowshelf'].push(performance.now() - t0);
          }
        }
      }
      db.close();
      const ratios: number[] = [];
      table(
        ['query (30 per page)', 'InvokeAI SQL p50 (ms)', 'Flowshelf HTTP p50 (ms)', 'ratio', 'InvokeAI p99', 'Flowshelf p99'],
        QUERIES.map((q, i) => {
          const a = sorted(times[i]!.invokeai);
          const b = sorted(times[i]!.flowshelf);
          ratios.push(percentile(b, 50) / percentile(a, 50));
          return [q.label, percentile(a, 50), percentile(b, 50), `${fmt(ratios.at(-1)!)}x`, percentile(a, 99), percentile(b, 99)];
        }),
      );
      console.log(`Flowshelf / InvokeAI: median ${fmt(median(ratios))}x, range ${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))}x (${iterations} paired runs per query)`);
    } finally {
      await side.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load average at end: ${fmt(load())}; took ${fmt((performance.now() - started) / 1000, 1)} s`);
}
