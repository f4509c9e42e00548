// Redis connections for the cluster transports (redis-fanout.ts, user-events.ts). Redis only carries
// messages between nodes here and holds nothing the store does not, so every connection is set up to
// DROP rather than queue when Redis is away: a lost message is healed by catch-up from the store, while
// a queue would grow without bound during an outage and replay stale traffic afterwards.
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL (may carry a password: it never appears in logs, see redactRedisUrl). */
  url: string;
  /** Shown in Redis' CLIENT LIST, e.g. "flowshelf-fanout-sub". */
  connectionName: string;
  log: (message: string) => void;
  /**
   * Period of the liveness PING. A connection whose PING is not answered within one period is cut
   * and reconnected: a half-open TCP connection (a Redis host that vanished without a reset) would
   * otherwise keep a subscriber deaf for the kernel's keepalive time (minutes), without any reset.
   */
  pingIntervalMs: number;
}

/** The URL without its password (and user), for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.username) parsed.username = '***';
    return parsed.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}

/** Reconnect delay: quick at first, then at most 1 s, with jitter so that N nodes do not reconnect in lockstep. */
function retryDelay(attempt: number): number {
  return Math.min(50 * attempt, 1000) + Math.floor(Math.random() * 100);
}

export interface RedisConnection {
  readonly client: Redis;
  /** True while commands can be written (status "ready"). */
  readonly ready: boolean;
  /** Resolves once the first connection is ready; rejects with a clear, redacted error after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function openRedisConnection(opts: RedisConnectionOptions): RedisConnection {
  const where = redactRedisUrl(opts.url);
  const client = new Redis(opts.url, {
    lazyConnect: true,
    connectionName: opts.connectionName,
    // While not connected, a command fails at once instead of waiting in memory (see the file comment).
    enableOfflineQueue: false,
    // Commands in flight when a connection drops are failed at once, not retried on the next one: a
    // publish replayed after a reconnect would be late, and the store already heals what it carried.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Subscriptions are restored by their owner, which must know when they are live again.
    autoResubscribe: false,
    retryStrategy: retryDelay,
    commandTimeout: opts.pingIntervalMs * 4,
  });

  let closing = false;
  // ioredis reports every failed reconnect attempt as an error event; log transitions only, so an
  // outage is one line when it starts and one when it ends instead of a line per attempt.
  let lostSince: number | null = null;
  let lastError = '';
  client.on('error', (error: Error) => {
    lastError = error.message;
    if (lostSince === null) {
      lostSince = Date.now();
      opts.log(`redis ${opts.connectionName}: connection to ${where} lost (${error.message}); reconnecting`);
    }
  });
  client.on('close', () => {
    if (lostSince === null && !closing) {
      lostSince = Date.now();
      opts.log(`redis ${opts.connectionName}: connection to ${where} closed; reconnecting`);
    }
  });
  client.on('ready', () => {
    if (lostSince !== null) opts.log(`redis ${opts.connectionName}: reconnected to ${where} after ${Date.now() - lostSince} ms`);
    lostSince = null;
  });

  let pingOutstanding = false;
  const pinger = setInterval(() => {
    if (client.status !== 'ready') return;
    if (pingOutstanding) {
      // The previous PING got no answer for a whole period: the connection is dead or Redis is stuck.
      pingOutstanding = false;
      opts.log(`redis ${opts.connectionName}: no answer from ${where} within ${opts.pingIntervalMs} ms; reconnecting`);
      client.disconnect(true);
      return;
    }
    pingOutstanding = true;
    client.ping().then(
      () => (pingOutstanding = false),
      () => (pingOutstanding = false),
    );
  }, opts.pingIntervalMs);
  pinger.unref();

  client.connect().catch(() => {
    // A failed first attempt is reported through 'error' and retried by retryStrategy.
  });

  return {
    client,
    get ready() {
      return client.status === 'ready';
    },
    whenReady(timeoutMs) {
      if (client.status === 'ready') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(new Error(`Redis at ${where} unreachable after ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}`));
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        client.once('ready', onReady);
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      // QUIT when connected (answers what is in flight first); a connection that is down just stops retrying.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
