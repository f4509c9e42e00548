import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, projectRoot } from '../../server/config.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../shared/protocol.js';

const root = resolve(import.meta.dirname, '..', '..');

function configError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('has the contract defaults', () => {
    expect(parseConfig([], {})).toEqual({
      port: 9090,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      multiuser: true,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      defaultsDir: join(root, 'server', 'library', 'default-workflows'),
      allowedOrigins: [],
      allowedHosts: [],
      userQuotaBytes: 256 * 1024 * 1024,
      maxPublishedWorkflowBytes: 1024 * 1024,
      maxPublishedBytesPerUser: 4 * 1024 * 1024,
      publishBytesPerSecond: 128 * 1024,
      maxSocketsPerUser: 64,
      maxSocketsPerIp: 256,
      maxPendingSockets: 1024,
      maxConnectionsPerIp: 256,
      requestTimeoutMs: 30_000,
      databaseUrl: null,
      redisUrl: null,
      versionIntervalMs: 300_000,
      versionRetention: [
        { keep: 'all', forMs: 30 * 86_400_000 },
        { keep: 'daily', forMs: 365 * 86_400_000 },
      ],
      trashMs: 30 * 86_400_000,
    });
  });

  it('reads the version history options from flags or the environment (flag wins) and names the flag of a bad value', () => {
    const env = { FLOWSHELF_VERSION_INTERVAL_SECONDS: '60', FLOWSHELF_VERSION_RETENTION: 'all:1d', FLOWSHELF_TRASH_DAYS: '7' };
    expect(parseConfig([], env)).toMatchObject({ versionIntervalMs: 60_000, versionRetention: [{ keep: 'all', forMs: 86_400_000 }], trashMs: 7 * 86_400_000 });
    expect(parseConfig(['--version-interval-seconds', '10', '--version-retention', 'all:2h,daily:4w', '--trash-days', '1'], env)).toMatchObject({
      versionIntervalMs: 10_000,
      versionRetention: [
        { keep: 'all', forMs: 2 * 3_600_000 },
        { keep: 'daily', forMs: 28 * 86_400_000 },
      ],
      trashMs: 86_400_000,
    });
    expect(() => parseConfig(['--version-retention', 'all:30d,daily:10d'], {})).toThrow(/^--version-retention: .*further back/);
    expect(() => parseConfig(['--version-retention', 'weekly:3'], {})).toThrow(/^--version-retention: /);
    expect(() => parseConfig(['--trash-days', '0'], {})).toThrow(/--trash-days/);
    expect(() => parseConfig(['--version-interval-seconds', 'soon'], {})).toThrow(/--version-interval-seconds/);
  });

  it('reads the PostgreSQL and Redis URLs from flags or the environment (flag wins), refusing other schemes without echoing the value', () => {
    const env = { FLOWSHELF_DATABASE_URL: 'postgres://env:pw@db:5432/flowshelf', FLOWSHELF_REDIS_URL: 'redis://env-redis:6379' };
    expect(parseConfig([], env)).toMatchObject({ databaseUrl: 'postgres://env:pw@db:5432/flowshelf', redisUrl: 'redis://env-redis:6379' });
    expect(
      parseConfig(['--database-url', 'postgresql://flag@db/flowshelf?sslmode=require', '--redis-url', 'rediss://:secret@redis.example:6380/0'], env),
    ).toMatchObject({ databaseUrl: 'postgresql://flag@db/flowshelf?sslmode=require', redisUrl: 'rediss://:secret@redis.example:6380/0' });
    expect(parseConfig([], { FLOWSHELF_DATABASE_URL: '', FLOWSHELF_REDIS_URL: ' ' })).toMatchObject({ databaseUrl: null, redisUrl: null });

    expect(configError(['--database-url', 'mysql://u:hunter2@db/x'])).toBe('--database-url must be a postgres:// or postgresql:// URL, got a mysql:// URL');
    expect(configError([], { FLOWSHELF_DATABASE_URL: 'hunter2 db' })).toBe(
      '--database-url must be a postgres:// or postgresql:// URL (the value, not shown, does not parse as a URL)',
    );
    expect(configError(['--redis-url', 'http://u:hunter2@redis'])).toBe('--redis-url must be a redis:// or rediss:// URL, got a http:// URL');
    expect(configError([], { FLOWSHELF_REDIS_URL: 'postgres://db/x' })).toMatch(/^--redis-url must be a redis:\/\/ or rediss:\/\/ URL/);
    // Redis links nodes of one PostgreSQL database; without one there is nothing to link.
    expect(configError(['--redis-url', 'redis://:hunter2@redis:6379'])).toBe(
      '--redis-url needs --database-url: nodes linked by Redis must share one PostgreSQL database',
    );
    for (const [argv, env2] of [[['--database-url', 'mysql://u:hunter2@db/x']], [[], { FLOWSHELF_REDIS_URL: 'http://u:hunter2@r' }]] as const) {
      expect(configError([...argv], env2 ? { ...env2 } : {})).not.toContain('hunter2');
    }
  });

  it('reads the connection caps and the request timeout from flags or the environment (flag wins), naming the flag on bad values', () => {
    const env = {
      FLOWSHELF_MAX_SOCKETS_PER_USER: '8',
      FLOWSHELF_MAX_SOCKETS_PER_IP: '9',
      FLOWSHELF_MAX_PENDING_SOCKETS: '10',
      FLOWSHELF_MAX_CONNECTIONS_PER_IP: '11',
      FLOWSHELF_REQUEST_TIMEOUT_SECONDS: '12',
    };
    expect(parseConfig([], env)).toMatchObject({
      maxSocketsPerUser: 8,
      maxSocketsPerIp: 9,
      maxPendingSockets: 10,
      maxConnectionsPerIp: 11,
      requestTimeoutMs: 12_000,
    });
    const flags = ['--max-sockets-per-user', '2', '--max-sockets-per-ip', '3', '--max-pending-sockets', '4', '--max-connections-per-ip', '5', '--request-timeout-seconds', '6'];
    expect(parseConfig(flags, env)).toMatchObject({
      maxSocketsPerUser: 2,
      maxSocketsPerIp: 3,
      maxPendingSockets: 4,
      maxConnectionsPerIp: 5,
      requestTimeoutMs: 6_000,
    });
    expect(configError(['--max-sockets-per-user', '0'])).toBe('--max-sockets-per-user must be between 1 and 1000000, got 0');
    expect(configError([], { FLOWSHELF_MAX_CONNECTIONS_PER_IP: 'many' })).toBe('--max-connections-per-ip must be a whole number, got "many"');
    expect(configError(['--request-timeout-seconds', '0'])).toBe('--request-timeout-seconds must be between 1 and 3600, got 0');
  });

  it('reads the per-user storage quota in MiB from --user-quota-mb or FLOWSHELF_USER_QUOTA_MB (flag wins, 0 = unlimited)', () => {
    expect(parseConfig([], { FLOWSHELF_USER_QUOTA_MB: '0' }).userQuotaBytes).toBe(0);
    expect(parseConfig(['--user-quota-mb', '2'], { FLOWSHELF_USER_QUOTA_MB: '0' }).userQuotaBytes).toBe(2 * 1024 * 1024);
    expect(configError(['--user-quota-mb', '1.5'])).toMatch(/^--user-quota-mb must be a whole number/);
    expect(configError([], { FLOWSHELF_USER_QUOTA_MB: '-3' })).toMatch(/^--user-quota-mb /);
  });

  it('reads the environment', () => {
    const config = parseConfig([], {
      PORT: '8000',
      HOST: '0.0.0.0',
      FLOWSHELF_DATA_DIR: '/tmp/fs-data',
      FLOWSHELF_MULTIUSER: 'false',
      FLOWSHELF_MAX_FRAME_BYTES: '65536',
      FLOWSHELF_DEFAULTS_DIR: '/tmp/defaults',
    });
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      dataDir: '/tmp/fs-data',
      multiuser: false,
      maxFrameBytes: 65536,
      defaultsDir: '/tmp/defaults',
    });
  });

  it('lets the flag win over the environment', () => {
    const env = { PORT: '8000', HOST: '0.0.0.0', FLOWSHELF_DATA_DIR: '/env', FLOWSHELF_MULTIUSER: 'true', FLOWSHELF_MAX_FRAME_BYTES: '2048' };
    const config = parseConfig(
      ['--port', '0', '--host=::1', '--data-dir', '/flag', '--single-user', '--max-frame-bytes', '4096', '--defaults-dir', '/d'],
      env,
    );
    expect(config).toMatchObject({ port: 0, host: '::1', dataDir: '/flag', multiuser: false, maxFrameBytes: 4096, defaultsDir: '/d' });
  });

  it('refuses unknown flags with one line naming the flag', () => {
    expect(configError(['--prot', '80'])).toBe('unknown option --prot');
    expect(configError(['serve'])).toBe('unexpected argument "serve"');
    expect(configError(['--port'])).toBe('--port needs a value');
    expect(configError(['--single-user=yes'])).toBe('--single-user does not take a value');
  });

  it('refuses bad values with one line naming the flag', () => {
    expect(configError(['--port', 'eighty'])).toMatch(/^--port must be a whole number/);
    expect(configError(['--port', '70000'])).toMatch(/^--port must be between 0 and 65535/);
    expect(configError([], { PORT: '-1' })).toMatch(/^--port /);
    expect(configError(['--max-frame-bytes', '1.5'])).toMatch(/^--max-frame-bytes /);
    expect(configError(['--host', ' '])).toBe('--host must not be empty');
    expect(configError([], { FLOWSHELF_MULTIUSER: 'maybe' })).toMatch(/^FLOWSHELF_MULTIUSER/);
  });
});

describe('projectRoot', () => {
  it('is the folder with package.json, from server/ and from dist/server/ alike', () => {
    expect(projectRoot()).toBe(root);
    expect(existsSync(join(projectRoot(), 'package.json'))).toBe(true);
    expect(projectRoot(join(root, 'dist', 'server'))).toBe(root);
  });
});
