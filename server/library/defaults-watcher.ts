// Keeps the default workflows in step with their folder while the server runs: a changed, added or
// removed file shows in the index and `public` without a restart.
//
// The folder is watched, not each file: editors save by writing a temporary file and renaming it over
// the old one (the old inode disappears, so a per-file watch would go deaf), and a new file has no
// watch yet. Events come in bursts (write, chmod, rename, several per save), so a reload waits until
// the folder has been quiet for `debounceMs`, and reloads never overlap: events during a reload
// schedule exactly one more. A reload compares content, so spurious events change nothing.
import { watch, type FSWatcher } from 'node:fs';

export interface DefaultsWatcherOptions {
  dir: string;
  /** Re-reads the folder and republishes what changed. */
  reload: () => Promise<void>;
  log: (message: string) => void;
  debounceMs?: number;
}

export interface DefaultsWatcher {
  /** Stops watching and waits for a reload in progress. */
  close(): Promise<void>;
}

/** Starts watching `dir`; a folder that cannot be watched is logged once and left alone. */
export function watchDefaults(opts: DefaultsWatcherOptions): DefaultsWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const runReload = (): void => {
    timer = undefined;
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = opts
      .reload()
      .catch((error: unknown) => opts.log(`reloading the default workflows failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          schedule();
        }
      });
  };
  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(runReload, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(opts.dir, { persistent: false }, schedule);
    // The folder itself removed or unmounted: stop watching (and say so) rather than crash the server.
    watcher.on('error', (error) => {
      opts.log(`default workflows: stopped watching ${opts.dir} (${error.message})`);
      watcher?.close();
    });
  } catch (error) {
    opts.log(`default workflows: cannot watch ${opts.dir} (${error instanceof Error ? error.message : String(error)}); changes need a restart`);
  }

  return {
    async close() {
      closed = true;
      watcher?.close();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
