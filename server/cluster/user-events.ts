// User changes between nodes: a user deleted, deactivated, demoted or given a new password on one node
// must lose their sockets on every node. The event only says "recheck this user": every node then reads
// the user's current rights from the store, so an event carries no state and a duplicate is harmless.
//
// Delivery to this node's own listeners never depends on Redis: publish() calls them at once, and the
// Redis message (skipped by its sender) is for the other nodes. An event Redis loses (an outage, a
// restart) is not replayed by Redis; a node that could not publish sends the ids again once it can, and
// the sync server's periodic recheck of every open socket (recheckIntervalMs, 2 s) closes what is left.
import { randomUUID } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { openRedisConnection, type RedisConnection } from './redis-connection.js';

export interface UserEvents {
  /** Tells every node (this one included) that a user changed (deleted, deactivated, demoted, password). */
  publish(userId: string): void;
  subscribe(listener: (userId: string) => void): () => void;
  close(): Promise<void>;
}

type Log = (message: string) => void;

/** Listeners called in turn; one that throws is logged and does not stop the others or the publisher. */
class Listeners {
  private readonly listeners = new Set<(userId: string) => void>();
  constructor(private readonly log: Log) {}

  add(listener: (userId: string) => void): () => void {
    // Wrapped, so the same function subscribed twice is two subscriptions that unsubscribe separately.
    const entry = (userId: string) => listener(userId);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  emit(userId: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(userId);
      } catch (error) {
        this.log(`user events: a listener failed for user ${userId}: ${String(error)}`);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** One node: the publisher's own listeners, synchronously. */
export class InProcessUserEvents implements UserEvents {
  private readonly listeners: Listeners;
  private closed = false;

  constructor(log: Log = () => undefined) {
    this.listeners = new Listeners(log);
  }

  publish(userId: string): void {
    if (!this.closed) this.listeners.emit(userId);
  }

  subscribe(listener: (userId: string) => void): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}

export interface RedisUserEventsOptions {
  url: string;
  log: Log;
  /** Prepended to the channel name (as RedisFanout's); default "flowshelf:". */
  channelPrefix?: string;
  nodeId?: string;
  /** User ids kept to resend while Redis is away (deduplicated). Default 10,000. */
  maxPendingIds?: number;
  pingIntervalMs?: number;
  connectTimeoutMs?: number;
}

const USER_CHANGED = 1;

/** Several nodes: one channel `<prefix>users` carries (node id, user id). */
export class RedisUserEvents implements UserEvents {
  readonly nodeId: string;
  private readonly channel: string;
  private readonly log: Log;
  private readonly listeners: Listeners;
  private readonly pub: RedisConnection;
  private readonly sub: RedisConnection;
  private readonly maxPendingIds: number;
  /** Ids that could not be published yet, in order (a Set keeps the first position of a repeated id). */
  private readonly pending = new Set<string>();
  private closed = false;
  private readonly firstSubscribe: Promise<void>;
  private resolveFirstSubscribe!: () => void;
  private rejectFirstSubscribe!: (error: Error) => void;

  static async connect(opts: RedisUserEventsOptions): Promise<RedisUserEvents> {
    const events = new RedisUserEvents(opts);
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    try {
      await Promise.all([events.pub.whenReady(timeoutMs), events.sub.whenReady(timeoutMs)]);
      await events.firstSubscribe;
    } catch (error) {
      await events.close();
      throw error;
    }
    return events;
  }

  private constructor(opts: RedisUserEventsOptions) {
    this.nodeId = opts.nodeId ?? randomUUID();
    this.channel = `${opts.channelPrefix ?? 'flowshelf:'}users`;
    this.log = opts.log;
    this.listeners = new Listeners(opts.log);
    this.maxPendingIds = opts.maxPendingIds ?? 10_000;
    this.firstSubscribe = new Promise((resolve, reject) => {
      this.resolveFirstSubscribe = resolve;
      this.rejectFirstSubscribe = reject;
    });
    this.firstSubscribe.catch(() => undefined); // awaited by connect(); later failures are only logged
    const pingIntervalMs = opts.pingIntervalMs ?? 5000;
    this.pub = openRedisConnection({ url: opts.url, connectionName: 'flowshelf-users-pub', log: opts.log, pingIntervalMs });
    this.sub = openRedisConnection({ url: opts.url, connectionName: 'flowshelf-users-sub', log: opts.log, pingIntervalMs });
    this.pub.client.on('ready', () => this.flushPending());
    this.sub.client.on('ready', () => {
      this.sub.client.subscribe(this.channel).then(
        () => this.resolveFirstSubscribe(),
        (error: Error) => {
          const message = `user events: SUBSCRIBE failed (${error.message})`;
          if (!this.closed) this.log(`${message}; retried on the next connection`);
          // Redis refused (an ACL without our channel): connect() fails with it.
          if (error.name === 'ReplyError') this.rejectFirstSubscribe(new Error(message));
        },
      );
    });
    this.sub.client.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString('utf8') === this.channel) this.receive(message);
    });
  }

  publish(userId: string): void {
    if (this.closed) return;
    this.listeners.emit(userId);
    this.pending.delete(userId);
    this.pending.add(userId);
    if (this.pending.size > this.maxPendingIds) {
      // Only reached after an outage with more distinct changed users than the bound: the oldest go
      // unsent, and the periodic recheck on the other nodes closes their sockets instead.
      const oldest = this.pending.values().next().value as string;
      this.pending.delete(oldest);
      this.log('user events: too many unsent user changes during a Redis outage; the oldest is left to the periodic recheck');
    }
    this.flushPending();
  }

  subscribe(listener: (userId: string) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Both connections to Redis are up (readiness: /readyz). */
  get connected(): boolean {
    return !this.closed && this.pub.ready && this.sub.ready;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.pending.clear();
    this.resolveFirstSubscribe();
    await Promise.all([this.pub.close(), this.sub.close()]);
  }

  private flushPending(): void {
    if (this.closed || !this.pub.ready) return;
    for (const userId of [...this.pending]) {
      this.pending.delete(userId);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, USER_CHANGED);
      encoding.writeVarString(encoder, this.nodeId);
      encoding.writeVarString(encoder, userId);
      this.pub.client.publish(this.channel, Buffer.from(encoding.toUint8Array(encoder))).catch(() => {
        // Lost with the connection: kept for the next one (unless published again meanwhile).
        if (!this.closed && !this.pending.has(userId) && this.pending.size < this.maxPendingIds) this.pending.add(userId);
      });
    }
  }

  private receive(data: Buffer): void {
    if (this.closed) return;
    let nodeId: string;
    let userId: string;
    try {
      const decoder = decoding.createDecoder(data);
      if (decoding.readVarUint(decoder) !== USER_CHANGED) return; // a newer node's kind
      nodeId = decoding.readVarString(decoder);
      userId = decoding.readVarString(decoder);
    } catch (error) {
      this.log(`user events: malformed message ignored (${(error as Error).message})`);
      return;
    }
    if (nodeId === this.nodeId) return; // already told its own listeners in publish()
    this.listeners.emit(userId);
  }
}
