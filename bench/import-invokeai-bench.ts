// The time `flowshelf import-invokeai` takes to move in an InvokeAI installation (issue 11, item 5:
// "30 users and 3,000 workflows (600 shared) imported in 8 s" before accounts and thumbnails came
// along). Builds an InvokeAI database with its migrations' schema (users with bcrypt hashes, the
// workflows cycling through InvokeAI's default workflows made user workflows), optionally a
// thumbnail folder, runs the built CLI (dry run, then the import) and prints the wall times.
//   node scripts/build.mjs && node dist/bench/import-invokeai-bench.js [--users 30] [--workflows 3000] [--shared 600] [--thumbnails 0]
import bcrypt from 'bcryptjs';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { projectRoot } from '../server/config.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '30' },
    workflows: { type: 'string', default: '3000' },
    shared: { type: 'string', default: '600' },
    thumbnails: { type: 'string', default: '0' },
  },
});
const users = Number(values.users);
const workflows = Number(values.workflows);
const shared = Number(values.shared);
const thumbnails = Number(values.thumbnails);

const root = projectRoot();
// InvokeAI's default workflows, as the server ships them.
const fixturesDir = join(root, 'server', 'library', 'default-workflows');
const bases = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(fixturesDir, f), 'utf8')) as Record<string, unknown> & { meta: Record<string, unknown> });

const dir = mkdtempSync(join(tmpdir(), 'flowshelf-import-bench-'));
try {
  const source = join(dir, 'invokeai.db');
  const db = new Database(source);
  db.exec(`
    CREATE TABLE workflow_library (
      workflow_id TEXT NOT NULL PRIMARY KEY, workflow TEXT NOT NULL,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      category TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.meta.category')) VIRTUAL NOT NULL,
      name TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.name')) VIRTUAL NOT NULL,
      description TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.description')) VIRTUAL NOT NULL);
    ALTER TABLE workflow_library ADD COLUMN tags TEXT GENERATED ALWAYS AS (json_extract(workflow, '$.tags')) VIRTUAL;
    ALTER TABLE workflow_library ADD COLUMN opened_at DATETIME;
    CREATE TABLE users (user_id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT, password_hash TEXT NOT NULL,
      is_admin BOOLEAN NOT NULL DEFAULT FALSE, is_active BOOLEAN NOT NULL DEFAULT TRUE,
      created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
      updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')), last_login_at DATETIME);
    INSERT INTO users (user_id, email, display_name, password_hash) VALUES ('system', 'system@system.invokeai', 'System', '');
    ALTER TABLE workflow_library ADD COLUMN user_id TEXT DEFAULT 'system';
    ALTER TABLE workflow_library ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
  `);
  // One real bcrypt hash (cost 4) for everyone: the import copies hashes, it never verifies them.
  const hash = bcrypt.hashSync('Bench-Pass-1', 4);
  const addUser = db.prepare('INSERT INTO users (user_id, email, display_name, password_hash, is_admin) VALUES (?, ?, ?, ?, ?)');
  const addWorkflow = db.prepare('INSERT INTO workflow_library (workflow_id, workflow, user_id, is_public) VALUES (?, ?, ?, ?)');
  const ids: string[] = [];
  db.transaction(() => {
    for (let u = 0; u < users; u++) addUser.run(`u-${u}`, `user${u}@example.com`, `User ${u}`, hash, u === 0 ? 1 : 0);
    for (let w = 0; w < workflows; w++) {
      const id = `44444444-0000-4000-8000-${String(w).padStart(12, '0')}`;
      ids.push(id);
      const base = bases[w % bases.length]!;
      const json = { ...base, id, name: `${String(base.name)} #${w}`, meta: { ...base.meta, category: 'user' } };
      // Spread evenly: with the defaults every fifth workflow is shared, 600 of 3,000.
      addWorkflow.run(id, JSON.stringify(json), `u-${w % users}`, shared > 0 && w % Math.round(workflows / shared) === 0 ? 1 : 0);
    }
  })();
  const sharedCount = (db.prepare('SELECT COUNT(*) AS n FROM workflow_library WHERE is_public').get() as { n: number }).n;
  db.close();

  const args = ['import-invokeai', source, '--data-dir', join(dir, 'data')];
  if (thumbnails > 0) {
    const folder = join(dir, 'workflow_thumbnails');
    mkdirSync(folder);
    const image = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#c33' } }).webp().toBuffer();
    for (const id of ids.slice(0, thumbnails)) writeFileSync(join(folder, `${id}.webp`), image);
    args.push('--thumbnails', folder);
  }
  const time = (extra: string[]) => {
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [join(root, 'dist', 'server', 'cli.js'), ...args, ...extra], { cwd: root, encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, summary: out.trimEnd().split('\n').at(-1) };
  };
  console.log(`source: ${users} users, ${workflows} workflows (${sharedCount} shared), ${thumbnails} thumbnails`);
  const dry = time(['--dry-run']);
  console.log(`dry run: ${dry.seconds.toFixed(2)} s  (${dry.summary})`);
  const real = time([]);
  console.log(`import:  ${real.seconds.toFixed(2)} s  (${real.summary})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
