// What a failing PostgreSQL looks like to the server: the pool turns a stopped, restarting or
// unreachable database into StorageError 'unavailable' (REST 503), a full one into 'full' (507), keeps
// a refused statement's own error, recovers by itself when the server is back, and never logs the
// URL's password. On a real PostgreSQL (test/helpers/services.ts), stopped and started for real.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandlers } from '../../server/http/errors.js';
import { PostgresPool, redactUrl } from '../../server/storage/postgres/pool.js';
import {
  postgresStorageErrorOf,
  StorageError,
  storageErrorOf,
  STORAGE_FAILED_DETAIL,
  STORAGE_FULL_DETAIL,
  STORAGE_UNAVAILABLE_DETAIL,
} from '../../server/storage/storage-errors.js';
import { startPostgres, type PostgresService } from '../helpers/services.js';

let postgres: PostgresService;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('PostgreSQL error codes', () => {
  it('disk_full is "full"; shutdown, startup and connection classes are "unavailable"; other resource errors "failed"', () => {
    expect(storageErrorOf(coded('53100', 'could not extend file "base/16384/16385": No space left on device'))).toMatchObject({
      kind: 'full',
      message: STORAGE_FULL_DETAIL,
    });
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53300']) {
      expect(storageErrorOf(coded(code, 'x'))).toMatchObject({ kind: 'unavailable', message: STORAGE_UNAVAILABLE_DETAIL });
    }
    expect(storageErrorOf(coded('57P01', 'terminating connection due to administrator command'))?.storeMessage).toBe(
      'database unavailable: 57P01: terminating connection due to administrator command',
    );
    expect(storageErrorOf(coded('58030', 'could not write to file'))).toMatchObject({ kind: 'failed', message: STORAGE_FAILED_DETAIL });
    expect(storageErrorOf(coded('XX001', 'invalid page in block'))?.kind).toBe('failed');
    // A refused statement is the request's problem (or a bug), not the store's.
    expect(storageErrorOf(coded('23505', 'duplicate key value violates unique constraint'))).toBeNull();
    expect(storageErrorOf(coded('42P01', 'relation "x" does not exist'))).toBeNull();
    // Node's socket codes are storage failures only where they come from the database connection.
    expect(storageErrorOf(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBeNull();
    expect(postgresStorageErrorOf(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))?.kind).toBe('unavailable');
    expect(postgresStorageErrorOf(new Error('Connection terminated unexpectedly'))?.kind).toBe('unavailable');
    expect(postgresStorageErrorOf(new Error('something else'))).toBeNull();
  });
});

describe('redactUrl', () => {
  it('hides the password and password-like parameters, keeps the rest', () => {
    expect(redactUrl('postgres://flowshelf:s3cr%40t@db.example:5432/flowshelf')).toBe('postgres://flowshelf:***@db.example:5432/flowshelf');
    expect(redactUrl('postgresql://u@h/db?sslmode=require&password=hunter2')).toBe('postgresql://u@h/db?sslmode=require&password=***');
    expect(redactUrl('postgres://h/db')).toBe('postgres://h/db');
    expect(redactUrl('not a url hunter2')).toBe('(unparseable database URL)');
  });
});

describe('PostgresPool against a real server', () => {
  it('a stopped server is "unavailable", a restarted one is used again by the same pool, and logs never carry the password', async () => {
    const url = await postgres.createDatabase();
    const password = new URL(url).password;
    const logs: string[] = [];
    const pool = new PostgresPool(url, { max: 2, log: (line) => logs.push(line) });
    try {
      await pool.query('CREATE TABLE t (n integer)');
      await pool.query('INSERT INTO t VALUES (1)');

      await postgres.pause();
      const refused = await pool.query('SELECT count(*) FROM t').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StorageError);
      expect(refused).toMatchObject({ kind: 'unavailable', message: STORAGE_UNAVAILABLE_DETAIL });
      await expect(pool.transaction((tx) => tx.query('INSERT INTO t VALUES (2)'))).rejects.toMatchObject({ kind: 'unavailable' });

      await postgres.resume();
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
      // The idle connection cut by the shutdown was reported once, with the URL redacted.
      expect(logs.length).toBeGreaterThanOrEqual(1);
      expect(logs.join('\n')).toContain('postgres://');
      expect(logs.join('\n')).not.toContain(password);
      expect(logs[0]).toMatch(/connection lost: 57P01/);
    } finally {
      await pool.close();
    }
  });

  it('a connection terminated under a running transaction rolls it back and rejects as "unavailable"', async () => {
    const url = await postgres.createDatabase();
    const pool = new PostgresPool(url, { max: 2, log: () => undefined });
    const admin = new PostgresPool(postgres.url(), { max: 1 });
    try {
      await pool.query('CREATE TABLE t (n integer)');
      const outcome = pool
        .transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (1)');
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          // An operator (or a failover) ends this session while the transaction is open.
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await tx.query('INSERT INTO t VALUES (2)');
        })
        .catch((e: unknown) => e);
      expect(await outcome).toMatchObject({ kind: 'unavailable' });
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }]);
    } finally {
      await pool.close();
      await admin.close();
    }
  });

  it('a refused statement keeps its own error, and the pool goes on', async () => {
    const pool = new PostgresPool(await postgres.createDatabase(), { max: 1 });
    try {
      await pool.query('CREATE TABLE t (n integer PRIMARY KEY)');
      await pool.query('INSERT INTO t VALUES (1)');
      const duplicate = await pool.transaction((tx) => tx.query('INSERT INTO t VALUES (1)')).catch((e: unknown) => e);
      expect(duplicate).not.toBeInstanceOf(StorageError);
      expect(duplicate).toMatchObject({ code: '23505' });
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
    } finally {
      await pool.close();
    }
  });

  it('REST answers a database outage with 503 and the reason, not 507 or 500', async () => {
    const url = await postgres.createDatabase();
    const pool = new PostgresPool(url, { max: 1, log: () => undefined });
    const app = Fastify({ logger: false });
    installErrorHandlers(app);
    app.post('/write', async () => {
      await pool.query('SELECT 1');
      return { ok: true };
    });
    const errors: string[] = [];
    const originalError = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect((await app.inject({ method: 'POST', url: '/write' })).statusCode).toBe(200);
      await postgres.pause();
      const response = await app.inject({ method: 'POST', url: '/write?token=abc' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ detail: STORAGE_UNAVAILABLE_DETAIL });
      // One line, without the query string (tokens) and without the database password.
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^storage error on POST \/write: database unavailable: /);
      expect(errors[0]).not.toContain(new URL(url).password);
    } finally {
      console.error = originalError;
      await postgres.resume();
      await app.close();
      await pool.close();
    }
  });
});
