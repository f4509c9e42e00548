// The fan-out port (server/sync/fanout.ts) over Redis pub/sub, for several nodes on one store.
//
// What goes through Redis: committed updates (with the store's seq) and awareness frames, one channel
// per document, plus one control channel. Redis holds nothing: no keys, no streams. A message Redis
// loses (it restarted, a connection dropped, this node could not publish) is never retried; instead the
// receivers are told to catch up from the store, which has every committed update:
//  - this node's subscriber reconnected: every channel is subscribed again, and only once Redis has
//    confirmed that are the onReset listeners called (so nothing published after the catch-up's read
//    can fall between the catch-up and the live channel);
//  - this node dropped a publish (Redis away, or too much in flight): once it can publish again it
//    sends a reset notice on the control channel, and every other node's RedisFanout calls its onReset
//    listeners. Without it, the last updates committed during an outage would reach the other nodes
//    only with the next edit of the same document (the seq gap triggers a catch-up), possibly never.
// Awareness is not healed (clients renew their state every 15 s); its drops send no notice.
//
// Channel names are `<prefix>doc:<document name>` (exact SUBSCRIBE, never a pattern, so no name can
// match another's channel) and `<prefix>control`, which no document channel can equal.
import { randomUUID } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Fanout, FanoutAwareness, FanoutHandlers, FanoutSubscription, FanoutUpdate } from '../sync/fanout.js';
import { openRedisConnection, type RedisConnection } from './redis-connection.js';

export interface RedisFanoutOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  log: (message: string) => void;
  /** Prepended to every channel name; deployments sharing one Redis need different prefixes. Default "flowshelf:". */
  channelPrefix?: string;
  /** This node's id in the messages it publishes; default a random UUID (per process start). */
  nodeId?: string;
  /** Bytes of publishes sent but not yet answered by Redis above which new publishes are dropped. Default 64 MiB. */
  maxPendingBytes?: number;
  /** Liveness PING period of both connections (see redis-connection.ts). Default 5000 ms. */
  pingIntervalMs?: number;
  /** How long connect() waits for Redis at start. Default 10000 ms. */
  connectTimeoutMs?: number;
}

export interface RedisFanoutStats {
  /** Bytes published and not yet answered by Redis. */
  pendingBytes: number;
  droppedUpdates: number;
  droppedAwareness: number;
  /** Times this node's onReset listeners were called. */
  resets: number;
}

interface Channel {
  doc: string;
  handlers: Set<FanoutHandlers>;
  /** Whether the last command issued for this channel was SUBSCRIBE (false: UNSUBSCRIBE). */
  wanted: boolean;
  /** Settles once Redis answered the last SUBSCRIBE/UNSUBSCRIBE issued for this channel (they run in turn). */
  chain: Promise<void>;
}

const Kind = { Update: 1, Awareness: 2, ResetNotice: 3 } as const;

type Message =
  | { kind: typeof Kind.Update; nodeId: string; seq: number; bytes: Uint8Array }
  | { kind: typeof Kind.Awareness; nodeId: string; bytes: Uint8Array }
  | { kind: typeof Kind.ResetNotice; nodeId: string };

// kind, nodeId, then per kind: seq and update bytes | frame bytes | nothing. lib0 varints and
// length-prefixed byte arrays: binary-safe, no JSON or base64.
function encodeMessage(message: Message): Buffer {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, message.kind);
  encoding.writeVarString(encoder, message.nodeId);
  if (message.kind === Kind.Update) {
    encoding.writeVarUint(encoder, message.seq);
    encoding.writeVarUint8Array(encoder, message.bytes);
  } else if (message.kind === Kind.Awareness) {
    encoding.writeVarUint8Array(encoder, message.bytes);
  }
  const bytes = encoding.toUint8Array(encoder);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The message, or null for a kind this version does not know (a newer node during a rolling upgrade). Throws on garbage. */
function decodeMessage(data: Uint8Array): Message | null {
  const decoder = decoding.createDecoder(data);
  const kind = decoding.readVarUint(decoder);
  const nodeId = decoding.readVarString(decoder);
  let message: Message | null;
  if (kind === Kind.Update) {
    const seq = decoding.readVarUint(decoder);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`bad seq ${seq}`);
    // A copy: the parser's buffer may be a slice of a larger read chunk that the handler would keep alive.
    message = { kind, nodeId, seq, bytes: decoding.readVarUint8Array(decoder).slice() };
  } else if (kind === Kind.Awareness) {
    message = { kind, nodeId, bytes: decoding.readVarUint8Array(decoder).slice() };
  } else if (kind === Kind.ResetNotice) {
    message = { kind, nodeId };
  } else {
    return null;
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes');
  return message;
}

/** Lone surrogates do not survive UTF-8 (two names would share a channel): such names are refused. */
const LONE_SURROGATE = /\p{Surrogate}/u;

export class RedisFanout implements Fanout {
  readonly nodeId: string;
  private readonly prefix: string;
  private readonly controlChannel: string;
  private readonly maxPendingBytes: number;
  private readonly log: (message: string) => void;
  private readonly pub: RedisConnection;
  private readonly sub: RedisConnection;
  private readonly channels = new Map<string, Channel>();
  private readonly resetListeners = new Set<() => void>();
  private closed = false;
  /** Set when a committed update could not be published; cleared when the reset notice went out. */
  private owesResetNotice = false;
  /** Incremented per subscriber 'ready'; a restore superseded by a newer connection does not fire resets. */
  private subscriberGeneration = 0;
  private restoredOnce = false;
  /** Settles with the first restore: resolved once the control channel is live, rejected if Redis refused it. */
  private readonly firstRestore: Promise<void>;
  private resolveFirstRestore!: () => void;
  private rejectFirstRestore!: (error: Error) => void;
  private lastMalformedLog = 0;
  private readonly counters: RedisFanoutStats = { pendingBytes: 0, droppedUpdates: 0, droppedAwareness: 0, resets: 0 };

  /** Connects both connections and subscribes the control channel; rejects (and closes) when Redis cannot be reached in time. */
  static async connect(opts: RedisFanoutOptions): Promise<RedisFanout> {
    const fanout = new RedisFanout(opts);
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    try {
      await Promise.all([fanout.pub.whenReady(timeoutMs), fanout.sub.whenReady(timeoutMs)]);
      await fanout.firstRestore;
    } catch (error) {
      await fanout.close();
      throw error;
    }
    return fanout;
  }

  private constructor(opts: RedisFanoutOptions) {
    this.nodeId = opts.nodeId ?? randomUUID();
    this.prefix = opts.channelPrefix ?? 'flowshelf:';
    this.controlChannel = `${this.prefix}control`;
    this.maxPendingBytes = opts.maxPendingBytes ?? 64 * 1024 * 1024;
    this.log = opts.log;
    this.firstRestore = new Promise((resolve, reject) => {
      this.resolveFirstRestore = resolve;
      this.rejectFirstRestore = reject;
    });
    this.firstRestore.catch(() => undefined); // awaited by connect(); later failures are only logged
    const pingIntervalMs = opts.pingIntervalMs ?? 5000;
    this.pub = openRedisConnection({ url: opts.url, connectionName: 'flowshelf-fanout-pub', log: opts.log, pingIntervalMs });
    this.sub = openRedisConnection({ url: opts.url, connectionName: 'flowshelf-fanout-sub', log: opts.log, pingIntervalMs });
    this.pub.client.on('ready', () => this.sendResetNoticeIfOwed());
    this.sub.client.on('ready', () => void this.restoreSubscriptions());
    this.sub.client.on('messageBuffer', (channel: Buffer, message: Buffer) => this.receive(channel.toString('utf8'), message));
  }

  stats(): RedisFanoutStats {
    return { ...this.counters };
  }

  publishUpdate(message: FanoutUpdate): void {
    this.send(message.doc, { kind: Kind.Update, nodeId: message.nodeId, seq: message.seq, bytes: message.update });
  }

  publishAwareness(message: FanoutAwareness): void {
    this.send(message.doc, { kind: Kind.Awareness, nodeId: message.nodeId, bytes: message.frame });
  }

  async subscribe(doc: string, handlers: FanoutHandlers): Promise<FanoutSubscription> {
    if (this.closed) throw new Error('fan-out closed');
    if (LONE_SURROGATE.test(doc)) throw new Error('document name is not well-formed Unicode');
    const name = this.channelOf(doc);
    let channel = this.channels.get(name);
    if (channel === undefined) {
      channel = { doc, handlers: new Set(), wanted: false, chain: Promise.resolve() };
      this.channels.set(name, channel);
    }
    // Each subscription is its own entry, so one handler object may be subscribed twice independently.
    const entry: FanoutHandlers = { update: (m) => handlers.update(m), awareness: (m) => handlers.awareness(m) };
    channel.handlers.add(entry);
    if (!channel.wanted) {
      channel.wanted = true;
      const subscribe = () => this.redisSubscribe(name);
      channel.chain = channel.chain.then(subscribe, subscribe);
    }
    try {
      await channel.chain;
    } catch (error) {
      this.removeFanoutHandlers(name, channel, entry);
      throw error;
    }
    let unsubscribed: Promise<void> | undefined;
    const target = channel;
    return {
      unsubscribe: () => (unsubscribed ??= this.removeFanoutHandlers(name, target, entry)),
    };
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Both connections to Redis are up (readiness: /readyz). */
  get connected(): boolean {
    return !this.closed && this.pub.ready && this.sub.ready;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    this.resetListeners.clear();
    this.resolveFirstRestore();
    await Promise.all([this.pub.close(), this.sub.close()]);
  }

  private channelOf(doc: string): string {
    return `${this.prefix}doc:${doc}`;
  }

  private async removeFanoutHandlers(name: string, channel: Channel, entry: FanoutHandlers): Promise<void> {
    if (!channel.handlers.delete(entry)) return;
    if (channel.handlers.size > 0 || !channel.wanted) return;
    channel.wanted = false;
    const done = (channel.chain = channel.chain.then(
      () => this.redisUnsubscribe(name),
      () => this.redisUnsubscribe(name),
    ));
    await done;
    // Forget the channel unless someone subscribed again meanwhile (that chained a new SUBSCRIBE).
    if (channel.chain === done && channel.handlers.size === 0 && this.channels.get(name) === channel) this.channels.delete(name);
  }

  /**
   * SUBSCRIBE, resolved when Redis confirmed it. While the subscriber is disconnected it resolves at
   * once: the channel is subscribed with all others when the connection is back, and the onReset that
   * follows makes the room catch up on what it missed. A node without Redis keeps serving its own
   * clients from the store instead of refusing to load documents.
   */
  private async redisSubscribe(name: string): Promise<void> {
    if (this.closed || !this.sub.ready) return;
    try {
      await this.sub.client.subscribe(name);
    } catch (error) {
      // Redis refused (e.g. an ACL without this channel): not healed by a reconnect, so the load fails.
      if ((error as Error).name === 'ReplyError') throw new Error(`Redis refused SUBSCRIBE: ${(error as Error).message}`);
      // Otherwise the connection dropped under the command: its 'ready' resubscribes and resets.
    }
  }

  private async redisUnsubscribe(name: string): Promise<void> {
    if (this.closed || !this.sub.ready) return; // a new connection starts with no subscriptions
    await this.sub.client.unsubscribe(name).catch(() => undefined);
  }

  /** On every subscriber (re)connection: subscribe every wanted channel again, then tell everyone to catch up. */
  private async restoreSubscriptions(): Promise<void> {
    const generation = ++this.subscriberGeneration;
    const names = [this.controlChannel];
    for (const [name, channel] of this.channels) if (channel.wanted) names.push(name);
    try {
      await this.sub.client.subscribe(...names);
    } catch (error) {
      // The connection dropped again (its next 'ready' retries) or Redis refused (an ACL without our
      // channels: connect() fails with it): say so, and do not claim the channels are live.
      const message = `redis fan-out: subscribing ${names.length} channels failed: ${(error as Error).message}`;
      if (!this.closed) this.log(message);
      if ((error as Error).name === 'ReplyError') this.rejectFirstRestore(new Error(message));
      return;
    }
    if (generation !== this.subscriberGeneration || this.closed) return;
    // Channels subscribed while we were disconnected resolved without being live; after a reconnect,
    // anything may have been missed. The first connection of a fresh fan-out missed nothing.
    if (this.restoredOnce || names.length > 1) this.fireReset();
    this.restoredOnce = true;
    this.resolveFirstRestore();
  }

  private send(doc: string, message: Message): void {
    if (this.closed) return;
    const healable = message.kind === Kind.Update;
    const drop = () => {
      if (healable) {
        this.counters.droppedUpdates++;
        this.owesResetNotice = true;
      } else {
        this.counters.droppedAwareness++;
      }
    };
    if (LONE_SURROGATE.test(doc)) return drop();
    const payload = encodeMessage(message);
    // Bounded memory: nothing is queued while Redis is away (the connection refuses at once), and no
    // more than maxPendingBytes wait for Redis' answer while it is slow.
    if (!this.pub.ready || this.counters.pendingBytes + payload.byteLength > this.maxPendingBytes) return drop();
    this.counters.pendingBytes += payload.byteLength;
    this.pub.client.publish(this.channelOf(doc), payload).then(
      () => {
        this.counters.pendingBytes -= payload.byteLength;
        this.sendResetNoticeIfOwed();
      },
      () => {
        this.counters.pendingBytes -= payload.byteLength;
        drop();
      },
    );
  }

  /** Tells the other nodes to catch up, once publishing works again after this node dropped a committed update. */
  private sendResetNoticeIfOwed(): void {
    if (!this.owesResetNotice || this.closed || !this.pub.ready) return;
    // Wait until the backlog has halved, so the notice is not itself dropped, and is not sent per publish.
    if (this.counters.pendingBytes > this.maxPendingBytes / 2) return;
    this.owesResetNotice = false;
    this.pub.client.publish(this.controlChannel, encodeMessage({ kind: Kind.ResetNotice, nodeId: this.nodeId })).catch(() => {
      this.owesResetNotice = true;
    });
  }

  private receive(name: string, data: Buffer): void {
    if (this.closed) return;
    let message: Message | null;
    try {
      message = decodeMessage(data);
    } catch (error) {
      // Only something else writing to our channels produces this; logged at most once a minute.
      const now = Date.now();
      if (now - this.lastMalformedLog > 60_000) {
        this.lastMalformedLog = now;
        this.log(`redis fan-out: malformed message on ${name} ignored (${(error as Error).message})`);
      }
      return;
    }
    if (message === null) return;
    if (name === this.controlChannel) {
      if (message.kind === Kind.ResetNotice && message.nodeId !== this.nodeId) this.fireReset();
      return;
    }
    const channel = this.channels.get(name);
    if (channel === undefined) return;
    for (const handlers of [...channel.handlers]) {
      try {
        if (message.kind === Kind.Update) handlers.update({ doc: channel.doc, seq: message.seq, update: message.bytes, nodeId: message.nodeId });
        else if (message.kind === Kind.Awareness) handlers.awareness({ doc: channel.doc, frame: message.bytes, nodeId: message.nodeId });
      } catch (error) {
        this.log(`redis fan-out: a handler of ${channel.doc} failed: ${String(error)}`);
      }
    }
  }

  private fireReset(): void {
    this.counters.resets++;
    for (const listener of [...this.resetListeners]) {
      try {
        listener();
      } catch (error) {
        this.log(`redis fan-out: a reset listener failed: ${String(error)}`);
      }
    }
  }
}
