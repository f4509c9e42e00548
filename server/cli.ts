// `npm run flowshelf -- <command> ...`: administration from the command line. Each command lives in
// server/cli/<command>.ts and is listed in COMMANDS. Errors are one line on stderr: exit 2 for wrong
// usage, 1 when the command itself failed.
import { CliError, UsageError, type CliCommand } from './cli/common.js';
import { userCommand } from './cli/user.js';
import { importInvokeAICommand } from './cli/import-invokeai.js';
import { workflowsCommand } from './cli/workflows.js';
import { migrateStoreCommand } from './cli/migrate-store.js';

const COMMANDS: Record<string, CliCommand> = {
  user: userCommand,
  'import-invokeai': importInvokeAICommand,
  workflows: workflowsCommand,
  'migrate-store': migrateStoreCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: flowshelf <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --data-dir D (or FLOWSHELF_DATA_DIR), like the server. user, workflows and',
    'import-invokeai also take --database-url URL (FLOWSHELF_DATABASE_URL) for PostgreSQL, and user takes',
    '--redis-url URL (FLOWSHELF_REDIS_URL) to cut a changed user on every node at once.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const about = name === 'help' && args[0] !== undefined ? COMMANDS[args[0]] : undefined;
    console.log(about ? `usage: ${about.usage}` : help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`flowshelf: unknown command "${name}" (try: flowshelf help)\n`);
    return 2;
  }
  try {
    await command.run(args, { env: process.env, out: (line) => console.log(line) });
    return 0;
  } catch (err) {
    // One line either way; `flowshelf help <command>` shows the full usage.
    if (err instanceof UsageError) {
      process.stderr.write(`flowshelf ${name}: ${err.message} (see: flowshelf help ${name})\n`);
      return 2;
    }
    // CliError is an expected refusal; anything else is unexpected, but still one line, exit 1.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`flowshelf ${name}: ${message.split('\n')[0]}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
