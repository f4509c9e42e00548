// `npm test`: the one gate. Types, build, node suites (vitest), component suites (web-test-runner in
// Chromium) and end-to-end suites (playwright-core driving Chromium against a real server); the node
// and end-to-end suites that run a server run a second time with the server on PostgreSQL.
// Ends with the line `N passed, N failed` that CI reads; exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChrome } from './chrome.mjs';
import { ensureServices } from './services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${label}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.status === 0;
}

function stage(label, cmd, args) {
  // A stage with no test counts of its own (types, build) counts as one test.
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    problems.push(label);
  }
}

/**
 * Runs a suite that writes its counts to `<label>.json`; `counts` turns that report into
 * {passed, failed, skipped}. A suite that exits non-zero with no failed test (a crash, a file that
 * would not load) counts as one failure, so it can never pass unnoticed.
 */
function suite(label, cmd, args, env, counts) {
  const out = join(results, `${label.replace(/[^\w-]+/g, '-')}.json`);
  const ok = run(label, cmd, args(out), env(out));
  if (!existsSync(out)) {
    failed++;
    problems.push(`${label} (no results)`);
    return;
  }
  const r = counts(JSON.parse(readFileSync(out, 'utf8')));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  if (!ok && r.failed === 0) {
    failed++;
    problems.push(`${label} (suite error)`);
  } else if (r.failed > 0) problems.push(label);
}

function vitestSuite(label, config) {
  suite(
    label,
    bin('vitest'),
    (out) => ['run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile=${out}`],
    () => ({}),
    (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) }),
  );
}

function wtrSuite(label, config) {
  // web-test-runner.config.mjs has a reporter that writes {passed, failed, skipped} to WTR_RESULTS.
  suite(label, bin('wtr'), () => ['--config', config], (out) => ({ WTR_RESULTS: out }), (r) => r);
}

stage('typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
stage('typecheck client', bin('tsc'), ['--noEmit', '-p', 'client/tsconfig.json']);
stage('build', process.execPath, ['scripts/build.mjs']);
// The node suites start real PostgreSQL and Redis servers (test/helpers/services.ts).
ensureServices();
vitestSuite('node', 'vitest.config.ts');
// The same server-level suites again with every server on PostgreSQL (issue 8: they run on both).
vitestSuite('node (postgres)', 'vitest.postgres.config.ts');
if (existsSync(join(root, 'test', 'browser')) || existsSync(join(root, 'test', 'e2e'))) {
  process.env.CHROME_PATH = ensureChrome();
  if (existsSync(join(root, 'test', 'browser'))) wtrSuite('components', 'web-test-runner.config.mjs');
  if (existsSync(join(root, 'test', 'e2e'))) {
    vitestSuite('e2e', 'vitest.e2e.config.ts');
    vitestSuite('e2e (postgres)', 'vitest.e2e.postgres.config.ts');
  }
}

console.log('');
if (problems.length) console.log(`failing: ${problems.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
