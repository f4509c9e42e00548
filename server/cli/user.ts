// `flowshelf user add|list|remove`: account management without the web app, through the same
// UserStore rules as the API (unique emails, the last administrator stays).
import type { Database } from 'better-sqlite3';
import { UserError, UserStore } from '../auth/users.js';
import { removeStoredLibrary } from '../library/user-removal.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { SqliteIndexStore } from '../storage/sqlite/index-store.js';
import { SqliteUserRepository } from '../storage/sqlite/user-store.js';
import { CliError, dataDirOption, openCliDatabase, parseCommandArgs, UsageError, type CliCommand, type CliIO } from './common.js';
import { runningServerPid } from '../library/server-lock.js';
import { dataDirOf } from './library-common.js';

const USAGE = [
  'flowshelf user add --email E --password P [--admin] [--name N] [--data-dir D]',
  'flowshelf user list [--data-dir D]',
  'flowshelf user remove --email E [--data-dir D]',
].join('\n       ');

async function withStore<T>(dataDir: string | undefined, io: CliIO, fn: (users: UserStore, db: Database) => Promise<T>): Promise<T> {
  const db = openCliDatabase(dataDir, io.env);
  try {
    return await fn(new UserStore(new SqliteUserRepository(db)), db);
  } catch (err) {
    if (err instanceof UserError) throw new CliError(err.message);
    throw err;
  } finally {
    db.close();
  }
}

async function add(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, {
    ...dataDirOption,
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    admin: { type: 'boolean' },
  });
  if (!values.email) throw new UsageError('user add needs --email');
  if (!values.password) throw new UsageError('user add needs --password');
  const { email, password } = values;
  await withStore(values['data-dir'], io, async (users) => {
    const user = await users.create({ email, password, displayName: values.name ?? null, isAdmin: values.admin ?? false });
    io.out(`added ${user.isAdmin ? 'administrator' : 'user'} ${user.email} (${user.userId})`);
  });
}

async function list(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, dataDirOption);
  await withStore(values['data-dir'], io, async (users) => {
    const accounts = await users.list();
    const rows = accounts.map((u) => [u.email, u.displayName ?? '', u.isAdmin ? 'yes' : 'no', u.isActive ? 'yes' : 'no', u.hasPassword ? 'set' : 'none', u.userId]);
    if (rows.length === 0) {
      io.out('no users yet (create the administrator with: flowshelf user add --email E --password P --admin)');
      return;
    }
    for (const line of table(['email', 'name', 'admin', 'active', 'password', 'id'], rows)) io.out(line);
  });
}

async function remove(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, { ...dataDirOption, email: { type: 'string' } });
  if (!values.email) throw new UsageError('user remove needs --email');
  const email = values.email;
  const serverPid = runningServerPid(dataDirOf(values['data-dir'], io.env));
  await withStore(values['data-dir'], io, async (users, db) => {
    const user = await users.getByEmail(email);
    if (!user || user.userId === 'system') throw new CliError(`no user with email ${email}`);
    // The same operation as the API's (UserStore.remove). A running server holds documents in memory
    // and would write them back, so beside one only the account goes here (access ends at once) and
    // the server removes the library itself within seconds (its sweep); otherwise the stored library
    // is removed now and the next start publishes `public` without it.
    let workflows = 0;
    if (serverPid === null) {
      users.onRemoved(async (userId) => {
        workflows = await removeStoredLibrary(userId, { store: new SqliteStore(db), index: new SqliteIndexStore(db) });
      });
    }
    await users.remove(user.userId);
    io.out(
      serverPid === null
        ? `removed ${user.email} (${user.userId}) and their library (${workflows} workflow${workflows === 1 ? '' : 's'})`
        : `removed ${user.email} (${user.userId}); the running server (pid ${serverPid}) removes their library`,
    );
  });
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const SUBCOMMANDS: Record<string, (args: string[], io: CliIO) => Promise<void>> = { add, list, remove };

export const userCommand: CliCommand = {
  summary: 'add, list or remove user accounts',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!run) throw new UsageError(sub === undefined ? 'user needs a subcommand: add, list or remove' : `unknown user subcommand "${sub}"`);
    await run(rest, io);
  },
};
