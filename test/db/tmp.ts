import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp folder per test; call the returned cleanup in afterEach. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-db-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
