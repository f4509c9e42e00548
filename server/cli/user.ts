// `flowshelf user add|list|set-password|remove`: account management without the web app, through the
// same UserStore rules as the API (unique emails, the last administrator stays), on SQLite or PostgreSQL.
import { UserError, UserStore } from '../auth/users.js';
import { removeStoredLibrary } from '../library/user-removal.js';
import { runningServerPid } from '../library/server-lock.js';
import {
  CliError,
  holdMaintenanceLease,
  openCliStore,
  parseCommandArgs,
  storeOptions,
  UsageError,
  type CliCommand,
  type CliIO,
  type CliStore,
  type StoreFlags,
} from './common.js';

const STORE = '[--data-dir D | --database-url URL [--redis-url URL]]';
const USAGE = [
  `flowshelf user add --email E --password P [--admin] [--name N] ${STORE}`,
  `flowshelf user list ${STORE}`,
  `flowshelf user set-password --email E --password P ${STORE}`,
  `flowshelf user remove --email E ${STORE}`,
].join('\n       ');

/**
 * Runs `fn` on the store's UserStore. A change (remove, new password) is told to every node through
 * Redis's user events when --redis-url is given, so their sockets of that user close at once; without
 * it each node's periodic recheck of its sockets (2 s) closes them.
 */
async function withStore<T>(flags: StoreFlags, io: CliIO, fn: (users: UserStore, store: CliStore) => Promise<T>): Promise<T> {
  const store = await openCliStore(flags, io.env);
  try {
    const users = new UserStore(store.users);
    if (store.userEvents) {
      const events = store.userEvents;
      users.onChange((userId) => events.publish(userId));
    }
    return await fn(users, store);
  } catch (err) {
    if (err instanceof UserError) throw new CliError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

async function existing(users: UserStore, email: string) {
  const user = await users.getByEmail(email);
  if (!user || user.userId === 'system') throw new CliError(`no user with email ${email}`);
  return user;
}

async function add(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, {
    ...storeOptions,
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    admin: { type: 'boolean' },
  });
  if (!values.email) throw new UsageError('user add needs --email');
  if (!values.password) throw new UsageError('user add needs --password');
  const { email, password } = values;
  await withStore(values, io, async (users) => {
    const user = await users.create({ email, password, displayName: values.name ?? null, isAdmin: values.admin ?? false });
    io.out(`added ${user.isAdmin ? 'administrator' : 'user'} ${user.email} (${user.userId})`);
  });
}

async function list(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, storeOptions);
  await withStore(values, io, async (users) => {
    const accounts = await users.list();
    const rows = accounts.map((u) => [u.email, u.displayName ?? '', u.isAdmin ? 'yes' : 'no', u.isActive ? 'yes' : 'no', u.hasPassword ? 'set' : 'none', u.userId]);
    if (rows.length === 0) {
      io.out('no users yet (create the administrator with: flowshelf user add --email E --password P --admin)');
      return;
    }
    for (const line of table(['email', 'name', 'admin', 'active', 'password', 'id'], rows)) io.out(line);
  });
}

async function setPassword(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, { ...storeOptions, email: { type: 'string' }, password: { type: 'string' } });
  if (!values.email) throw new UsageError('user set-password needs --email');
  if (!values.password) throw new UsageError('user set-password needs --password');
  const { email, password } = values;
  await withStore(values, io, async (users) => {
    const user = await existing(users, email);
    // The API's rules; a new password signs out every session issued before it.
    await users.update(user.userId, { password });
    io.out(`set a new password for ${user.email} (${user.userId}); their sessions are signed out`);
  });
}

async function remove(args: string[], io: CliIO): Promise<void> {
  const { values } = parseCommandArgs(args, { ...storeOptions, email: { type: 'string' } });
  if (!values.email) throw new UsageError('user remove needs --email');
  const email = values.email;
  await withStore(values, io, async (users, store) => {
    const user = await existing(users, email);
    // The same operation as the API's (UserStore.remove). A running server holds documents in memory
    // and would write them back, so beside one only the account goes here (access ends at once) and
    // the server removes the library itself within seconds (its sweep); otherwise the stored library
    // is removed now and the next start publishes `public` without it. On PostgreSQL a node is running
    // when the maintenance lease cannot be taken (every live node takes it in turn).
    const serverPid = store.kind === 'sqlite' ? runningServerPid(store.dataDir) : null;
    const releaseLease = store.kind === 'postgres' ? await holdMaintenanceLease(store) : null;
    const serverRuns = store.kind === 'sqlite' ? serverPid !== null : releaseLease === null;
    try {
      let workflows = 0;
      if (!serverRuns) {
        users.onRemoved(async (userId) => {
          workflows = await removeStoredLibrary(userId, { store: store.documents, index: store.index, versions: store.versions });
        });
      }
      await users.remove(user.userId);
      const running = store.kind === 'sqlite' ? `the running server (pid ${serverPid})` : 'the running nodes';
      io.out(
        !serverRuns
          ? `removed ${user.email} (${user.userId}) and their library (${workflows} workflow${workflows === 1 ? '' : 's'})`
          : `removed ${user.email} (${user.userId}); ${running} remove${store.kind === 'sqlite' ? 's' : ''} their library`,
      );
    } finally {
      await releaseLease?.();
    }
  });
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const SUBCOMMANDS: Record<string, (args: string[], io: CliIO) => Promise<void>> = { add, list, 'set-password': setPassword, remove };

export const userCommand: CliCommand = {
  summary: 'add, list, remove user accounts or set a password',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!run) throw new UsageError(sub === undefined ? 'user needs a subcommand: add, list, set-password or remove' : `unknown user subcommand "${sub}"`);
    await run(rest, io);
  },
};
