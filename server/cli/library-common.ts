// What the workflow commands (import-invokeai, workflows) share: the data folder, and the refusal to
// write documents behind a running server's back (see server/library/server-lock.ts).
import { ConfigError, resolveDataDir } from '../config.js';
import { runningServerPid } from '../library/server-lock.js';
import { CliError, UsageError } from './common.js';

export function dataDirOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  try {
    return resolveDataDir(flag, env);
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
}

/** Refuses when a server is running on the data folder: it would neither see nor index the writes. */
export function assertNoServer(dataDir: string): void {
  const pid = runningServerPid(dataDir);
  if (pid !== null) throw new CliError(`a Flowshelf server (pid ${pid}) is running on ${dataDir}: stop it first`);
}
