// Finds the Chromium or Chrome that the browser suites drive. No test tool downloads a browser of its
// own (contract §1): CHROME_PATH, then the usual install paths; where none exists and Debian's apt is
// usable as root, Debian's `chromium` is installed; otherwise we stop with one line saying what to do.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Flags that keep Chromium quiet and working on a closed network, as root, without a GPU. */
export const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function findChrome() {
  if (process.env.CHROME_PATH) return existsSync(process.env.CHROME_PATH) ? process.env.CHROME_PATH : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function ensureChrome() {
  const found = findChrome();
  if (found) return found;
  const canApt = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) {
    console.error(
      'No Chromium or Chrome found: install one (Debian: apt-get install chromium) or set CHROME_PATH to its binary.',
    );
    process.exit(2);
  }
  console.log('Chromium not found: installing Debian chromium with apt-get ...');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const after = findChrome();
  if (!after) {
    console.error('apt-get installed chromium but no binary was found: set CHROME_PATH to its binary.');
    process.exit(2);
  }
  return after;
}
