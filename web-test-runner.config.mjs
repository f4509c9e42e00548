// Component tests in real Chromium (test/browser/**/*.test.ts).
// esbuild target es2022: its default 'auto' leaves standard decorators untransformed, which Chromium
// rejects with a SyntaxError (TOOLCHAIN.md). The results reporter writes {passed, failed, skipped}
// to $WTR_RESULTS for scripts/test.mjs.
import { writeFileSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter, summaryReporter } from '@web/test-runner';
import { fileURLToPath } from 'node:url';
import { CHROME_ARGS } from './scripts/chrome.mjs';

function countSuite(suite, totals) {
  for (const t of suite.tests) {
    if (t.skipped) totals.skipped++;
    else if (t.passed) totals.passed++;
    else totals.failed++;
  }
  for (const s of suite.suites) countSuite(s, totals);
}

/** Counts every test of the last run; a file that failed to load at all counts as one failure. */
function resultsFileReporter(path) {
  return {
    stop({ sessions }) {
      if (!path) return;
      const totals = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        if (session.testResults) countSuite(session.testResults, totals);
        if (session.errors.length > 0 || (!session.testResults && session.passed === false)) totals.failed++;
      }
      writeFileSync(path, JSON.stringify(totals));
    },
  };
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 10000 } },
  testsFinishTimeout: 60000,
  plugins: [
    esbuildPlugin({
      ts: true,
      // JSON modules (shared/node-templates/templates.json) served as JS: esbuild's es2022 output drops
      // the `with { type: 'json' }` attribute, and Chromium refuses a JSON module imported without it.
      json: true,
      target: 'es2022',
      tsconfig: fileURLToPath(new URL('./client/tsconfig.json', import.meta.url)),
    }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', args: CHROME_ARGS },
    }),
  ],
  reporters: [defaultReporter(), summaryReporter(), resultsFileReporter(process.env.WTR_RESULTS)],
};
