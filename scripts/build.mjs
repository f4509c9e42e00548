// Builds everything `npm start` and the tests need, fast enough to run on every start:
// - server, shared, migrations and bench are transpiled file by file (no bundling: ws and
//   better-sqlite3 must stay real node_modules, see docs/TOOLCHAIN notes in ARCHITECTURE.md);
// - the browser app and its service worker are bundled and minified by esbuild into dist/client, and
//   every text file there is precompressed (.br and .gz beside it) for server/http/static.ts.
// Type checking is not done here (esbuild strips types); `npm test` runs tsc first.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
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
// Transpiled alone, the node templates' JSON import would lose its `with { type: 'json' }` (target node20),
// which Node then refuses: that one module is bundled instead, with the JSON inlined.
await build({
  entryPoints: [join(root, 'shared', 'node-templates', 'index.ts')],
  outfile: join(root, 'dist', 'shared', 'node-templates', 'index.js'),
  bundle: true,
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

// Precompressed once here rather than per request: the server then only picks a file. Brotli at
// quality 9 is within 10% of quality 11 on the bundle at a fifteenth of the time (this runs on every
// `npm start`); source maps (only devtools fetch them) get gzip alone.
const COMPRESSIBLE = /\.(html|js|mjs|css|json|webmanifest|svg|txt|map)$/;
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
async function precompress(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return precompress(path);
      if (!COMPRESSIBLE.test(e.name)) return;
      const data = await readFile(path);
      if (data.length < 1024) return;
      const jobs = [gzipAsync(data, { level: 9 }).then((gz) => writeFile(`${path}.gz`, gz))];
      if (!e.name.endsWith('.map')) {
        const params = { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length };
        jobs.push(brotli(data, { params }).then((br) => writeFile(`${path}.br`, br)));
      }
      await Promise.all(jobs);
    }),
  );
}
await precompress(clientOut);
if (!quiet) console.log(`built dist/ in ${Date.now() - started} ms`);
