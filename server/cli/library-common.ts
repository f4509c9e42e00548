// What the workflow commands (import-invokeai, workflows) share: the data folder, and the refusal to
// write documents behind a running server's back (see server/library/server-lock.ts).
import { ConfigError, resolveDataDir } from '../config.js';
import { runningServerPid } from '../library/server-lock.js';
import { CliError, holdMaintenanceLease, openCliStore, storeConfig, UsageError, type CliIO, type CliStore, type StoreFlags } from './common.js';

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

/**
 * Opens the store for a command that writes documents behind the server's back: refused while a
 * server runs on the SQLite folder, or while any node runs on the PostgreSQL database (it holds the
 * maintenance lease); on PostgreSQL the lease is held until the command is done, so no node's
 * maintenance runs meanwhile.
 */
export async function withOfflineStore<T>(flags: StoreFlags, io: CliIO, fn: (store: CliStore) => Promise<T>): Promise<T> {
  const config = storeConfig(flags, io.env);
  if (config.databaseUrl === null) assertNoServer(config.dataDir);
  const store = await openCliStore(flags, io.env, { userEvents: false });
  try {
    const release = store.kind === 'postgres' ? await holdMaintenanceLease(store) : async () => undefined;
    if (release === null) throw new CliError(`a Flowshelf node is running on ${store.location}: stop every node first`);
    try {
      return await fn(store);
    } finally {
      await release();
    }
  } finally {
    await store.close();
  }
}
