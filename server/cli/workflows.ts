// `flowshelf workflows import|export`: workflow JSON files in and out of one user's library.
// `--email system` means the system user's library (the one library of single-user mode).
// - import: each file is validated like POST /api/v1/workflows and gets a new id (as the API does);
//   a file with category "default" is imported as a user copy (as InvokeAI's "Save As" does). Written
//   through the DocumentStore, so it refuses to run while a server holds the data folder (on
//   PostgreSQL: while a node runs on the database).
// - export: every valid workflow of the library as `<name>.json` (InvokeAI's download format, shared
//   tag applied); invalid entries are listed and skipped. Read-only, so it may run beside a server.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createEntry, readAll, validateWorkflowWithoutId, type Workflow } from '../../shared/workflow/index.js';
import { normalizeEmail } from '../auth/emails.js';
import { UserStore } from '../auth/users.js';
import { databaseFile } from '../config.js';
import { changeStoredLibrary, readStoredLibrary } from '../library/offline.js';
import { CliError, openCliStore, parseCommandArgs, storeConfig, storeOptions, UsageError, type CliCommand, type CliIO } from './common.js';
import { withOfflineStore } from './library-common.js';

const USAGE = [
  'flowshelf workflows import <file.json...> --email E [--shared] [--data-dir D | --database-url URL]',
  'flowshelf workflows export --email E --out DIR [--data-dir D | --database-url URL]',
].join('\n       ');

async function ownerId(users: UserStore, email: string): Promise<string> {
  if (email === SYSTEM_USER_ID) return SYSTEM_USER_ID;
  const user = await users.getByEmail(normalizeEmail(email));
  if (!user) throw new CliError(`no user with email ${email}`);
  return user.userId;
}

/** A file name for a workflow: its name without path separators or control characters. */
export function fileNameFor(name: string, taken: Set<string>): string {
  const base = (name.trim() || 'My Workflow').replace(/[/\\:*?"<>|\x00-\x1f]/g, '_').slice(0, 200);
  let candidate = `${base}.json`;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base} (${n}).json`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

async function importFiles(args: string[], io: CliIO): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...storeOptions, email: { type: 'string' }, shared: { type: 'boolean' } },
    true,
  );
  if (!values.email) throw new UsageError('workflows import needs --email');
  if (positionals.length === 0) throw new UsageError('workflows import needs at least one JSON file');
  const email = values.email;
  // Read and check every file before writing anything: a bad file stops the import with nothing written.
  const workflows = positionals.map((file) => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliError(`${file}: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`);
    }
    const checked = validateWorkflowWithoutId(json);
    if (!checked.ok) throw new CliError(`${file}: ${checked.error}`);
    const workflow = checked.workflow;
    return { file, workflow: { ...workflow, meta: { ...workflow.meta, category: 'user' as const } } };
  });
  await withOfflineStore(values, io, async (store) => {
    const userId = await ownerId(new UserStore(store.users), email);
    const ids = await changeStoredLibrary(store.documents, userId, (doc) =>
      workflows.map(({ workflow }) => {
        const id = randomUUID();
        createEntry(doc, id, { ...workflow, id } as Workflow, { isPublic: values.shared ?? false });
        return id;
      }),
    );
    workflows.forEach(({ file, workflow }, i) => io.out(`imported ${basename(file)} as ${ids[i]} "${workflow.name}"`));
    io.out(`${workflows.length} workflow(s) imported for ${email}; the server indexes them on its next start`);
  });
}

async function exportFiles(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, { ...storeOptions, email: { type: 'string' }, out: { type: 'string' } });
  if (!values.email) throw new UsageError('workflows export needs --email');
  if (!values.out) throw new UsageError('workflows export needs --out DIR');
  const config = storeConfig(values, io.env);
  if (config.databaseUrl === null && !existsSync(databaseFile(config))) throw new CliError(`no Flowshelf database in ${config.dataDir}`);
  const store = await openCliStore(values, io.env, { userEvents: false });
  try {
    const userId = await ownerId(new UserStore(store.users), values.email);
    const entries = await readStoredLibrary(store.documents, userId, (doc) => readAll(doc));
    mkdirSync(values.out, { recursive: true });
    const taken = new Set<string>();
    let written = 0;
    for (const [id, read] of entries) {
      if (!read.valid) {
        io.out(`skipped ${id}: not a valid workflow (${read.reason})`);
        continue;
      }
      const name = fileNameFor(read.workflow.name, taken);
      writeFileSync(join(values.out, name), JSON.stringify(read.workflow, null, 2));
      written++;
      io.out(`exported ${id} to ${name}`);
    }
    io.out(`${written} workflow(s) exported to ${values.out}`);
  } finally {
    await store.close();
  }
}

const SUBCOMMANDS: Record<string, (args: string[], io: CliIO) => Promise<void>> = { import: importFiles, export: exportFiles };

export const workflowsCommand: CliCommand = {
  summary: 'import workflow JSON files into a library, or export a library as JSON files',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!run) throw new UsageError(sub === undefined ? 'workflows needs a subcommand: import or export' : `unknown workflows subcommand "${sub}"`);
    await run(rest, io);
  },
};
