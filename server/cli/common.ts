// What every CLI command shares: argument parsing with one-line errors, and opening the same
// database the server uses (--data-dir / FLOWSHELF_DATA_DIR), safely beside a running server (WAL).
import type { Database } from 'better-sqlite3';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, databaseFile, describeParseError, resolveDataDir } from '../config.js';
import { openDatabase } from '../db/database.js';

/** Wrong use of the command: exit code 2 and the usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not do its job (no such user, last admin, ...): exit code 1 unless told (a refusal: 2). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export interface CliCommand {
  /** One line for `flowshelf help`. */
  summary: string;
  usage: string;
  /** Resolves when done; throws UsageError / CliError (or anything else) on failure. */
  run(args: string[], io: CliIO): Promise<void>;
}

export interface CliIO {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
}

export const dataDirOption = { 'data-dir': { type: 'string' } } as const;

export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
}

/** Opens (and migrates) the server's database. */
export function openCliDatabase(dataDirFlag: string | undefined, env: NodeJS.ProcessEnv): Database {
  let dataDir: string;
  try {
    dataDir = resolveDataDir(dataDirFlag, env);
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
  return openDatabase(databaseFile({ dataDir }));
}
