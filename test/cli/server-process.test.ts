// `node dist/server/main.js` as `npm start` runs it: one log line, clean exit on a signal, one-line
// refusals for bad flags and for databases it cannot use.
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { openDatabase } from '../../server/db/database.js';
import { ensureBuilt, exited, run, spawnNode, waitForLine } from './built.js';

beforeAll(() => ensureBuilt(), 120_000);

let dataDir: string;
const children: ReturnType<typeof spawnNode>[] = [];
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-main-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('logs one line with URL, mode and data file, serves, and exits 0 on SIGTERM with the data on disk', async () => {
    const child = spawnNode('main.js', ['--port', '0', '--data-dir', dataDir]);
    children.push(child);
    const line = await waitForLine(child, /^Flowshelf listening on /);
    const file = join(dataDir, 'flowshelf.db');
    expect(line).toMatch(new RegExp(`^Flowshelf listening on http://127\\.0\\.0\\.1:\\d+ \\(multiuser, data ${file.replace(/[.]/g, '\\.')}\\)$`));
    const url = /(http:\/\/\S+)/.exec(line)![1]!;

    const setup = await fetch(`${url}/api/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password: 'admin-password-1' }),
    });
    expect(setup.status).toBe(200);

    child.kill('SIGTERM');
    const exit = await exited(child);
    expect(exit.code).toBe(0);
    expect(exit.stdout.trimEnd().split('\n')).toHaveLength(1);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT email FROM users WHERE is_admin = 1").all()).toEqual([{ email: 'admin@example.com' }]);
    } finally {
      db.close();
    }
  });

  it('refuses a second server on the same data folder with one line naming the first, which keeps serving', async () => {
    const first = spawnNode('main.js', ['--port', '0', '--data-dir', dataDir]);
    children.push(first);
    const url = /(http:\/\/\S+)/.exec(await waitForLine(first, /^Flowshelf listening on /))![1]!;

    const second = await run('main.js', ['--port', '0', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe(
      `flowshelf: another Flowshelf server (pid ${first.pid}) is running on ${dataDir}: stop it first or use another --data-dir\n`,
    );
    // The refused start neither took nor dropped the first server's claim on the folder.
    expect(readFileSync(join(dataDir, 'server.pid'), 'utf8').trim()).toBe(String(first.pid));
    expect((await fetch(`${url}/api/v1/auth/status`)).status).toBe(200);

    // Once the first stops, the folder is free again; a file left by a killed server does not block.
    first.kill('SIGKILL');
    await exited(first);
    const third = spawnNode('main.js', ['--port', '0', '--data-dir', dataDir]);
    children.push(third);
    await waitForLine(third, /^Flowshelf listening on /);
    expect(readFileSync(join(dataDir, 'server.pid'), 'utf8').trim()).toBe(String(third.pid));
  });

  it('says single-user in its line when started so', async () => {
    const child = spawnNode('main.js', ['--port', '0', '--data-dir', dataDir], { FLOWSHELF_MULTIUSER: 'false' });
    children.push(child);
    expect(await waitForLine(child, /^Flowshelf listening/)).toMatch(/\(single-user, data /);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
  });

  it('stops with exit 2 and one line naming the flag on a bad flag or value', async () => {
    for (const [args, flag] of [
      [['--colour', 'red'], '--colour'],
      [['--port', 'x'], '--port'],
    ] as const) {
      const res = await run('main.js', [...args, '--data-dir', dataDir]);
      expect(res.code).toBe(2);
      expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(res.stderr).toContain(flag);
    }
  });

  it('refuses a database from a newer Flowshelf with one line and exit 1', async () => {
    const latest = migrations.length;
    const db = openDatabase(join(dataDir, 'flowshelf.db'), {
      migrations: [...migrations, { version: latest + 1, name: 'from-the-future', up() {}, verify() {} }],
    });
    db.close();
    const res = await run('main.js', ['--port', '0', '--data-dir', dataDir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `flowshelf: database is at schema ${latest + 1} but this Flowshelf only knows up to ${latest}: upgrade Flowshelf or restore a backup\n`,
    );
  });
});
