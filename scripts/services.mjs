// Finds the PostgreSQL and Redis servers that the node suites start (test/helpers/services.ts): Debian's
// `postgresql` (binaries in /usr/lib/postgresql/<version>/bin, or FLOWSHELF_PG_BIN) and `redis-server`.
// Where one is missing and Debian's apt is usable as root, the package is installed; otherwise we stop
// with one line saying what to do (as scripts/chrome.mjs does for Chromium).
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function findPostgres() {
  if (process.env.FLOWSHELF_PG_BIN) return existsSync(join(process.env.FLOWSHELF_PG_BIN, 'postgres'));
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'postgres')));
}

function findRedis() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function ensureServices() {
  const missing = [];
  if (!findPostgres()) missing.push('postgresql');
  if (!findRedis()) missing.push('redis-server');
  if (missing.length === 0) return;
  const canApt = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) {
    console.error(`The tests need ${missing.join(' and ')}: install ${missing.length > 1 ? 'them' : 'it'} (Debian: apt-get install ${missing.join(' ')}; or set FLOWSHELF_PG_BIN to PostgreSQL's bin folder).`);
    process.exit(2);
  }
  console.log(`${missing.join(' and ')} not found: installing Debian ${missing.join(' ')} with apt-get ...`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!findPostgres() || !findRedis()) {
    console.error('apt-get installed the packages but a server binary was not found: set FLOWSHELF_PG_BIN or put redis-server on PATH.');
    process.exit(2);
  }
}
