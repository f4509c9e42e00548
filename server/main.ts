// `npm start`: parse the configuration, start the server, log one line, stop cleanly on a signal.
import { relative } from 'node:path';
import { startServer, type RunningServer } from './app.js';
import { ConfigError, databaseFile, parseConfig, type Config } from './config.js';

function configOrExit(): Config {
  try {
    return parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flowshelf: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function startLine(server: RunningServer): string {
  const mode = server.config.multiuser ? 'multiuser' : 'single-user';
  const { backend } = server;
  if (backend.kind === 'postgres') {
    // The URL as the backend shows it: its password hidden.
    const { from, to } = backend.migration;
    const migrated = from !== to ? `, migrated schema ${from} to ${to}` : '';
    const redis = server.config.redisUrl !== null ? ', Redis fan-out' : ', one node (no Redis)';
    return `Flowshelf listening on ${server.url} (${mode}, PostgreSQL ${backend.location}${migrated}${redis})`;
  }
  const file = databaseFile(server.config);
  const shown = relative(process.cwd(), file);
  const dataFile = shown.startsWith('..') || shown === '' ? file : `./${shown}`;
  const { from, to, backup } = backend.migration;
  // One line per start (contract §1); an upgrade of an existing database says where its backup is.
  const migrated = backup ? `, migrated schema ${from} to ${to}, backup ${backup}` : '';
  return `Flowshelf listening on ${server.url} (${mode}, data ${dataFile}${migrated})`;
}

async function main(): Promise<void> {
  const config = configOrExit();

  // Handlers go in before anything starts: a signal that arrives while the database is being opened
  // or migrated waits for the start to finish and then closes cleanly, instead of killing the process
  // half-way.
  let server: RunningServer | undefined;
  let stopRequested = false;
  const stop = () => {
    if (stopRequested && server === undefined) return;
    stopRequested = true;
    if (server === undefined) return;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`flowshelf: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  server = await startServer(config);
  if (stopRequested) {
    stop();
    return;
  }
  console.log(startLine(server));
}

main().catch((err: unknown) => {
  // Start-up failures (port in use, migration refused) are one line; the cause is in the message.
  process.stderr.write(`flowshelf: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
