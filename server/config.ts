// Start-up configuration (contract §1): every option is a command-line flag and an environment
// variable, and the flag wins. Anything unknown or malformed stops the start with one line naming it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FRAME_BYTES } from '../shared/protocol.js';
import { DEFAULT_RETENTION, parseRetention, type RetentionRule } from './library/versions.js';

export interface Config {
  port: number;
  host: string;
  /** Folder holding the SQLite file (and its migration backups). */
  dataDir: string;
  multiuser: boolean;
  /** Largest sync frame accepted from a client; larger ones close the socket with 4413. */
  maxFrameBytes: number;
  /** Folder of the default workflows published to every user. */
  defaultsDir: string;
  /** Storage quota per user (library document plus thumbnails), in bytes; 0 = unlimited. */
  userQuotaBytes: number;
  /** Origins (scheme://host[:port]) besides the server's own whose pages may write and open sockets. */
  allowedOrigins: string[];
  /** Host names or addresses the server answers to besides its own (see server/http/origin-guard.ts); '*' is any. */
  allowedHosts: string[];
  /** Largest shared workflow published into `public`, in bytes; larger ones stay shared but unpublished. */
  maxPublishedWorkflowBytes: number;
  /** Most bytes of one user's shared workflows published into `public`. */
  maxPublishedBytesPerUser: number;
  /** Average bytes per second one user's changes may write into `public` (bursts are coalesced). */
  publishBytesPerSecond: number;
  /** Open sync sockets per user; more are closed with 1013 'too many connections'. */
  maxSocketsPerUser: number;
  /** Sync sockets per client address (IPv6: per /64), authenticated or not; more are closed with 1013. */
  maxSocketsPerIp: number;
  /** Sync sockets still being authenticated, all addresses together; more are closed with 1013. */
  maxPendingSockets: number;
  /** Simultaneous HTTP connections per client address (not counting sync sockets); more are refused with 503. */
  maxConnectionsPerIp: number;
  /** Time a client has to send a whole HTTP request (headers and body), then 408. */
  requestTimeoutMs: number;
  /** postgres:// or postgresql:// URL of the database shared by several nodes; null = SQLite in dataDir. */
  databaseUrl: string | null;
  /** redis:// or rediss:// URL carrying updates, presence and user changes between nodes; null = one node. */
  redisUrl: string | null;
  /** At most one automatic version per workflow per this many ms of changes without a Save. */
  versionIntervalMs: number;
  /** Which versions are kept as they age (--version-retention, e.g. all:30d,daily:365d). */
  versionRetention: RetentionRule[];
  /** How long a deleted workflow and its versions stay in the trash, in ms. */
  trashMs: number;
}

/** Publishing limits of `public` (server/library/publisher.ts), in KiB: per workflow, per user, per second per user. */
export const DEFAULT_MAX_PUBLISHED_WORKFLOW_KB = 1024;
export const DEFAULT_MAX_PUBLISHED_KB_PER_USER = 4096;
export const DEFAULT_PUBLISH_RATE_KB_PER_SECOND = 128;

/** Default storage quota per user, in MiB (--user-quota-mb). */
export const DEFAULT_USER_QUOTA_MB = 256;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The file every piece of state lives in. */
export function databaseFile(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'flowshelf.db');
}

/**
 * The folder holding package.json, found by walking up from this module so that it is the same
 * whether the code runs from server/ (vitest, tsx) or from dist/server/ (npm start).
 */
export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'single-user': { type: 'boolean' },
  'max-frame-bytes': { type: 'string' },
  'defaults-dir': { type: 'string' },
  'user-quota-mb': { type: 'string' },
  'allowed-origins': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'max-published-workflow-kb': { type: 'string' },
  'max-published-kb-per-user': { type: 'string' },
  'publish-rate-kb-per-second': { type: 'string' },
  'max-sockets-per-user': { type: 'string' },
  'max-sockets-per-ip': { type: 'string' },
  'max-pending-sockets': { type: 'string' },
  'max-connections-per-ip': { type: 'string' },
  'request-timeout-seconds': { type: 'string' },
  'database-url': { type: 'string' },
  'redis-url': { type: 'string' },
  'version-interval-seconds': { type: 'string' },
  'version-retention': { type: 'string' },
  'trash-days': { type: 'string' },
} as const;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const values = parseFlags(argv);

  const port = integer('--port', values.port ?? env.PORT, 9090, 0, 65535);
  const host = nonEmpty('--host', values.host ?? env.HOST ?? '127.0.0.1');
  const dataDir = resolveDataDir(values['data-dir'], env);
  const multiuser = values['single-user'] ? false : multiuserFromEnv(env.FLOWSHELF_MULTIUSER);
  const maxFrameBytes = integer(
    '--max-frame-bytes',
    values['max-frame-bytes'] ?? env.FLOWSHELF_MAX_FRAME_BYTES,
    DEFAULT_MAX_FRAME_BYTES,
    1024,
    1024 * 1024 * 1024,
  );
  const defaultsDir = resolve(
    nonEmpty(
      '--defaults-dir',
      values['defaults-dir'] ?? env.FLOWSHELF_DEFAULTS_DIR ?? join(projectRoot(), 'server', 'library', 'default-workflows'),
    ),
  );
  const allowedOrigins = originList('--allowed-origins', values['allowed-origins'] ?? env.FLOWSHELF_ALLOWED_ORIGINS);
  const allowedHosts = hostList('--allowed-hosts', values['allowed-hosts'] ?? env.FLOWSHELF_ALLOWED_HOSTS);
  const userQuotaBytes =
    integer('--user-quota-mb', values['user-quota-mb'] ?? env.FLOWSHELF_USER_QUOTA_MB, DEFAULT_USER_QUOTA_MB, 0, 1024 * 1024) * 1024 * 1024;
  const kib = (flag: string, raw: string | undefined, fallback: number) => integer(flag, raw, fallback, 1, 1024 * 1024) * 1024;
  const maxPublishedWorkflowBytes = kib(
    '--max-published-workflow-kb',
    values['max-published-workflow-kb'] ?? env.FLOWSHELF_MAX_PUBLISHED_WORKFLOW_KB,
    DEFAULT_MAX_PUBLISHED_WORKFLOW_KB,
  );
  const maxPublishedBytesPerUser = kib(
    '--max-published-kb-per-user',
    values['max-published-kb-per-user'] ?? env.FLOWSHELF_MAX_PUBLISHED_KB_PER_USER,
    DEFAULT_MAX_PUBLISHED_KB_PER_USER,
  );
  const publishBytesPerSecond = kib(
    '--publish-rate-kb-per-second',
    values['publish-rate-kb-per-second'] ?? env.FLOWSHELF_PUBLISH_RATE_KB_PER_SECOND,
    DEFAULT_PUBLISH_RATE_KB_PER_SECOND,
  );
  const maxSocketsPerUser = integer('--max-sockets-per-user', values['max-sockets-per-user'] ?? env.FLOWSHELF_MAX_SOCKETS_PER_USER, 64, 1, 1_000_000);
  const maxSocketsPerIp = integer('--max-sockets-per-ip', values['max-sockets-per-ip'] ?? env.FLOWSHELF_MAX_SOCKETS_PER_IP, 256, 1, 1_000_000);
  const maxPendingSockets = integer('--max-pending-sockets', values['max-pending-sockets'] ?? env.FLOWSHELF_MAX_PENDING_SOCKETS, 1024, 1, 1_000_000);
  const maxConnectionsPerIp = integer(
    '--max-connections-per-ip',
    values['max-connections-per-ip'] ?? env.FLOWSHELF_MAX_CONNECTIONS_PER_IP,
    256,
    1,
    1_000_000,
  );
  const requestTimeoutMs =
    integer('--request-timeout-seconds', values['request-timeout-seconds'] ?? env.FLOWSHELF_REQUEST_TIMEOUT_SECONDS, 30, 1, 3600) * 1000;
  const databaseUrl = serviceUrl('--database-url', values['database-url'] ?? env.FLOWSHELF_DATABASE_URL, ['postgres:', 'postgresql:']);
  const redisUrl = serviceUrl('--redis-url', values['redis-url'] ?? env.FLOWSHELF_REDIS_URL, ['redis:', 'rediss:']);
  // Redis links nodes that share one store; nodes on SQLite share nothing (one server per data folder).
  if (redisUrl !== null && databaseUrl === null) {
    throw new ConfigError('--redis-url needs --database-url: nodes linked by Redis must share one PostgreSQL database');
  }
  const versionIntervalMs =
    integer('--version-interval-seconds', values['version-interval-seconds'] ?? env.FLOWSHELF_VERSION_INTERVAL_SECONDS, 300, 1, 86_400) * 1000;
  const versionRetention = retention(values['version-retention'] ?? env.FLOWSHELF_VERSION_RETENTION ?? DEFAULT_RETENTION);
  const trashMs = integer('--trash-days', values['trash-days'] ?? env.FLOWSHELF_TRASH_DAYS, 30, 1, 3650) * 86_400_000;
  return {
    port, host, dataDir, multiuser, maxFrameBytes, defaultsDir, allowedOrigins, allowedHosts, userQuotaBytes,
    maxPublishedWorkflowBytes, maxPublishedBytesPerUser, publishBytesPerSecond,
    maxSocketsPerUser, maxSocketsPerIp, maxPendingSockets, maxConnectionsPerIp, requestTimeoutMs,
    databaseUrl, redisUrl, versionIntervalMs, versionRetention, trashMs,
  };
}

function retention(raw: string): RetentionRule[] {
  try {
    return parseRetention(raw.trim());
  } catch (error) {
    throw new ConfigError(`--version-retention: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A service URL with one of `schemes` (kept as given: the drivers parse it), or null when unset. The
 * value is never echoed in the error: it may hold a password.
 */
function serviceUrl(flag: string, raw: string | undefined, schemes: readonly string[]): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = raw.trim();
  const expected = schemes.map((scheme) => `${scheme}//`).join(' or ');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${flag} must be a ${expected} URL (the value, not shown, does not parse as a URL)`);
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(`${flag} must be a ${expected} URL, got a ${url.protocol}// URL`);
  return value;
}

function commaList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Each entry must be exactly an origin (http or https, no path), kept in URL's normal form. */
function originList(flag: string, raw: string | undefined): string[] {
  return commaList(raw).map((entry) => {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    const bare = entry.replace(/\/$/, '').toLowerCase();
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== bare) {
      throw new ConfigError(`${flag}: "${entry}" is not an origin like https://flowshelf.example:8443`);
    }
    return url.origin;
  });
}

/** Host names or IP addresses without a port ('*' allows any host), kept as URL normalises them. */
function hostList(flag: string, raw: string | undefined): string[] {
  return commaList(raw).map((entry) => {
    if (entry === '*') return entry;
    let url: URL | null = null;
    try {
      url = new URL(`http://${entry}`);
    } catch {
      // reported below
    }
    const hasPort = /\]:|^[^[]*:/.test(entry);
    if (!url || hasPort || url.pathname !== '/' || entry.includes('@') || entry.includes('/')) {
      throw new ConfigError(`${flag}: "${entry}" is not a host name or address without a port, like flowshelf.lan`);
    }
    return url.hostname;
  });
}

/** --data-dir / FLOWSHELF_DATA_DIR / ./data, absolute. Shared with the CLI so both open the same file. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(nonEmpty('--data-dir', flag ?? env.FLOWSHELF_DATA_DIR ?? './data'));
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(describeParseError(err));
  }
}

/** Also used by the CLI, whose commands accept the same flags as the server. */
export function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  const flag = quoted?.split(' ')[0];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown option ${flag}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) return `unexpected argument "${quoted}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    return message.includes('argument missing') ? `${flag} needs a value` : `${flag} does not take a value`;
  }
  // parseArgs messages can span lines (they add hints); keep the contract's one line.
  return message.split('\n')[0] ?? 'invalid arguments';
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${flag} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw new ConfigError(`${flag} must not be empty`);
  return raw;
}

function multiuserFromEnv(raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return true;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`FLOWSHELF_MULTIUSER (--single-user) must be true or false, got "${raw}"`);
}
