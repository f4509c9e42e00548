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
    });
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
