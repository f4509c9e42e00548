// Builds everything `npm start` and the tests need, fast enough to run on every start:
// - server, shared, migrations and bench are transpiled file by file (no bundling: ws and
//   better-sqlite3 must stay real node_modules, see docs/TOOLCHAIN notes in ARCHITECTURE.md);
// - the browser app and its service worker are bundled by esbuild into dist/client.
// Type checking is not done here (esbuild strips types); `npm test` runs tsc first.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const started = Date.now();

async function tsFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(rel)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(join(root, rel));
  }
  return out;
}

// dist/ is not wiped first: a running server (npm start) serves dist/client while
// `npm run flowshelf` rebuilds, and a stale file from a deleted source is harmless.
const nodeEntries = (await Promise.all(['server', 'shared', 'migrations', 'bench'].map(tsFiles))).flat();
await build({
  entryPoints: nodeEntries,
  outdir: join(root, 'dist'),
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const clientOut = join(root, 'dist', 'client');
await mkdir(clientOut, { recursive: true });
const present = ['main.ts', 'sw.ts'].map((n) => join(root, 'client', n)).filter((p) => existsSync(p));
if (present.length > 0) {
  await build({
    entryPoints: present,
    outdir: clientOut,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    tsconfig: join(root, 'client', 'tsconfig.json'),
    logLevel: 'warning',
  });
}
if (existsSync(join(root, 'client', 'public'))) {
  await cp(join(root, 'client', 'public'), clientOut, { recursive: true });
}
if (!quiet) console.log(`built dist/ in ${Date.now() - started} ms`);
