// The CLI and server tests run the built JavaScript (as `npm run flowshelf` and `npm start` do).
// `npm test` builds first; when run alone, build here if dist/ is missing or older than the sources.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const marker = join(root, 'dist', 'server', 'cli.js');
  const stale =
    !existsSync(marker) ||
    Math.max(...['server', 'shared', 'migrations'].map((d) => newestSource(join(root, d)))) > statSync(marker).mtimeMs;
  if (stale) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/server/<script> ...args` to completion. */
export function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  const child = spawnNode(script, args, env);
  return exited(child);
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { output: { stdout: string; stderr: string } } {
  const clean = { ...process.env };
  for (const k of ['PORT', 'HOST', 'FLOWSHELF_DATA_DIR', 'FLOWSHELF_MULTIUSER']) delete clean[k];
  const child = spawn(process.execPath, [join(root, 'dist', 'server', script), ...args], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: { stdout: string; stderr: string } };
  child.output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (child.output.stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (child.output.stderr += c));
  return child;
}

export function exited(child: ChildProcess & { output: { stdout: string; stderr: string } }): Promise<Exit> {
  return new Promise((resolveExit) => {
    const done = (code: number | null) => resolveExit({ code, ...child.output });
    if (child.exitCode !== null) done(child.exitCode);
    else child.once('close', (code) => done(code));
  });
}

/** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
export function waitForLine(child: ChildProcess & { output: { stdout: string; stderr: string } }, pattern: RegExp): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const check = () => {
      const line = child.output.stdout.split('\n').find((l) => pattern.test(l));
      if (line === undefined) return false;
      child.stdout!.off('data', onData);
      child.off('close', onClose);
      resolveLine(line);
      return true;
    };
    const onData = () => void check();
    const onClose = (code: number | null) => reject(new Error(`exited with ${code} before printing ${pattern}: ${child.output.stderr}`));
    if (check()) return;
    child.stdout!.on('data', onData);
    child.once('close', onClose);
  });
}
