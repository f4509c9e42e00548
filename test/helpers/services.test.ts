// The test harness itself: real PostgreSQL and Redis start, answer, and are gone after stop().
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres, startRedis } from './services.js';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

describe('test services', () => {
  it('PostgreSQL starts, hands out a non-superuser database, and is gone after stop', async () => {
    const postgres = await startPostgres();
    let stopped = false;
    try {
      const url = await postgres.createDatabase();
      expect(url).toMatch(/^postgres:\/\/flowshelf_role_\w+:[0-9a-f]+@127\.0\.0\.1:\d+\/flowshelf_\w+$/);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ superuser: boolean; owner: string; me: string }>(
          `SELECT r.rolsuper AS superuser, pg_get_userbyid(d.datdba) AS owner, current_user AS me
             FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
        );
        expect(rows[0]).toEqual({ superuser: false, owner: rows[0]!.me, me: rows[0]!.me });
        // The owner can create tables in its own database (PostgreSQL 15 no longer grants public CREATE to all).
        await client.query('CREATE TABLE probe (n integer)');
        await client.query('INSERT INTO probe VALUES (1)');
        expect((await client.query('SELECT count(*)::int AS c FROM probe')).rows[0]).toEqual({ c: 1 });
      } finally {
        await client.end();
      }
      // Two databases of one server are separate.
      expect(await postgres.createDatabase()).not.toBe(url);

      // pause/resume keeps the data and the port.
      await postgres.pause();
      expect(await refusesConnections(postgres.port)).toBe(true);
      await postgres.resume();
      const again = new pg.Client({ connectionString: url });
      await again.connect();
      expect((await again.query('SELECT count(*)::int AS c FROM probe')).rows[0]).toEqual({ c: 1 });
      await again.end();

      const port = postgres.port;
      await postgres.stop();
      stopped = true;
      expect(await refusesConnections(port)).toBe(true);
    } finally {
      if (!stopped) await postgres.stop();
    }
  });

  it('PostgreSQL crashed (immediate shutdown) keeps every acknowledged commit after its restart', async () => {
    const postgres = await startPostgres();
    try {
      const url = await postgres.createDatabase();
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined); // the crash cuts this connection
      await client.connect();
      await client.query('CREATE TABLE acked (n integer)');
      for (let n = 1; n <= 200; n++) await client.query('INSERT INTO acked VALUES ($1)', [n]);
      await postgres.pause({ crash: true });
      await client.end().catch(() => undefined);
      await postgres.resume();
      const after = new pg.Client({ connectionString: url });
      await after.connect();
      expect((await after.query('SELECT count(*)::int AS c FROM acked')).rows[0]).toEqual({ c: 200 });
      await after.end();
    } finally {
      await postgres.stop();
    }
  });

  it('Redis starts, answers PING, restarts empty on the same port, and is gone after stop', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      await client.set('k', 'v');
      await redis.restart();
      // ioredis reconnects to the same address by itself; the restarted server is empty.
      expect(await client.get('k')).toBeNull();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await redis.stop();
    }
    expect(await refusesConnections(redis.port)).toBe(true);
  });

  it('removes its temp folders on stop', async () => {
    const postgres = await startPostgres();
    const redis = await startRedis();
    expect(existsSync(postgres.folder)).toBe(true);
    expect(existsSync(redis.folder)).toBe(true);
    await postgres.stop();
    await redis.stop();
    expect(existsSync(postgres.folder)).toBe(false);
    expect(existsSync(redis.folder)).toBe(false);
  });
});
