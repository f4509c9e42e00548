// The hooks the Redis client tests of this folder share (redis-fanout.test.ts, user-events.test.ts):
// one real redis-server per file (started in beforeAll, stopped in afterAll); per test, the clients
// and TCP proxies it opened are closed after it and what the clients logged is cleared.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startRedis, type RedisService } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** The options every client under test starts from (a test overrides some of them). */
export interface RedisClientDefaults {
  url: string;
  log: (message: string) => void;
  pingIntervalMs: number;
}

export interface RedisFile {
  /** This file's redis-server. */
  readonly redis: RedisService;
  /** What the clients of the current test logged. */
  readonly logs: string[];
  /** This file's Redis, logging into `logs`, a PING every 250 ms. */
  clientDefaults(): RedisClientDefaults;
  /** Closes `client` after the current test (clients in the order they were opened); returns it. */
  closeAfterTest<C extends { close(): Promise<void> }>(client: C): C;
  /** A TCP proxy in front of this file's Redis (to cut or stall one client's connection), closed after the test. */
  proxy(): Promise<TcpProxy>;
}

export function useRedisFile(): RedisFile {
  let redis: RedisService | undefined;
  const open: { close(): Promise<void> }[] = [];
  const proxies: TcpProxy[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const client of open.splice(0)) await client.close();
    for (const p of proxies.splice(0)) await p.close();
    logs.length = 0;
  });

  return {
    get redis() {
      return redis!;
    },
    logs,
    clientDefaults: () => ({ url: redis!.url, log: (m) => logs.push(m), pingIntervalMs: 250 }),
    closeAfterTest(client) {
      open.push(client);
      return client;
    },
    async proxy() {
      const p = await startTcpProxy(redis!.port);
      proxies.push(p);
      return p;
    },
  };
}
