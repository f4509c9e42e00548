// A pid file in the data folder, held by the running server, so that commands that write documents
// behind the server's back (import-invokeai, workflows import) refuse to run while it is up: the
// server keeps loaded documents in memory and would neither see nor index such writes. For the same
// reason a second server on the same folder is refused: two processes would each keep their own copy
// of a document in memory and append diverging updates to one log, and neither's clients would see
// the other's edits.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'server.pid';

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A file left by a crash may name a pid that now belongs to an unrelated program (after a reboot, in
  // a container): where /proc tells, only a node process counts, so a stale file cannot block a start.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

export class ServerLockError extends Error {
  override name = 'ServerLockError';
}

/** Holders in this process (tests run several servers in one process), so that the last one out releases. */
const heldHere = new Map<string, number>();

/** The pid of a live server holding the data folder, or null (no file, or left by a crashed server). */
export function runningServerPid(dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(lockPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return alive(pid) ? pid : null;
}

/**
 * Marks the data folder as served by this process; the returned function releases it. Throws a
 * ServerLockError (one line, naming the pid) when another live process holds it; a file left by a
 * crashed server is taken over.
 */
export function holdServerLock(dataDir: string): () => void {
  const file = lockPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const held = heldHere.get(file) ?? 0;
  if (held === 0) {
    for (;;) {
      try {
        // 'wx': created only if absent, so two servers starting at once cannot both take it.
        writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = runningServerPid(dataDir);
      if (holder !== null && holder !== process.pid) {
        throw new ServerLockError(`another Flowshelf server (pid ${holder}) is running on ${dataDir}: stop it first or use another --data-dir`);
      }
      rmSync(file, { force: true });
    }
  }
  heldHere.set(file, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (heldHere.get(file) ?? 1) - 1;
    if (left > 0) {
      heldHere.set(file, left);
      return;
    }
    heldHere.delete(file);
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // Already gone: nothing to release.
    }
  };
}
