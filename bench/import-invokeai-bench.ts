// The time `flowshelf import-invokeai` takes to move in an InvokeAI installation (issue 11, item 5:
// "30 users and 3,000 workflows (600 shared) imported in 8 s" before accounts and thumbnails came
// along). Builds an InvokeAI database with its migrations' schema (users with bcrypt hashes, the
// workflows cycling through InvokeAI's default workflows made user workflows), optionally a
// thumbnail folder, runs the built CLI (dry run, then the import) and prints the wall times.
//   node scripts/build.mjs && node dist/bench/import-invokeai-bench.js [--users 30] [--workflows 3000] [--shared 600] [--thumbnails 0]
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { projectRoot } from '../server/config.js';
import { buildInvokeaiDatabase } from './invokeai-db.js';

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
const dir = mkdtempSync(join(tmpdir(), 'flowshelf-import-bench-'));
try {
  const source = join(dir, 'invokeai.db');
  const ids = buildInvokeaiDatabase(source, { users, workflows, shared });
  const db = new Database(source);
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
