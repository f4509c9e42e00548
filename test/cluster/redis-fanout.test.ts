// RedisFanout against a real redis-server (Debian's, started by the harness): delivery, binary
// payloads, channel isolation, unsubscribe, a Redis restart (resubscribed, onReset, nothing lost),
// one node's network cut or stalled (publishing never throws, memory stays bounded, the other nodes are
// told to catch up).
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisFanout, type RedisFanoutOptions } from '../../server/cluster/redis-fanout.js';
import type { FanoutAwareness, FanoutUpdate } from '../../server/sync/fanout.js';
import { waitFor } from '../sync/clients.js';
import { useRedisFile } from './redis-fixture.js';

const file = useRedisFile();
const { logs, proxy } = file;

async function fanout(opts: Partial<RedisFanoutOptions> = {}): Promise<RedisFanout> {
  return file.closeAfterTest(await RedisFanout.connect({ ...file.clientDefaults(), ...opts }));
}

/** Records what a subscription receives. */
function recorder() {
  const updates: FanoutUpdate[] = [];
  const awareness: FanoutAwareness[] = [];
  return { updates, awareness, handlers: { update: (m: FanoutUpdate) => updates.push(m), awareness: (m: FanoutAwareness) => awareness.push(m) } };
}

function resets(f: RedisFanout) {
  const counter = { count: 0 };
  f.onReset(() => counter.count++);
  return counter;
}

/** A round trip through Redis on `doc`: once this arrives, everything published before it on `doc` by `from` has arrived too. */
async function barrier(from: RedisFanout, to: { updates: FanoutUpdate[] }, doc: string): Promise<void> {
  const seq = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  from.publishUpdate({ doc, seq, update: new Uint8Array([0]), nodeId: 'barrier' });
  await waitFor(() => to.updates.some((m) => m.seq === seq && m.nodeId === 'barrier'), 'barrier message');
  to.updates.splice(
    to.updates.findIndex((m) => m.seq === seq && m.nodeId === 'barrier'),
    1,
  );
}

describe('RedisFanout', () => {
  it('delivers updates and awareness to every subscriber, its own node included, byte for byte', async () => {
    const a = await fanout();
    const b = await fanout();
    expect(a.nodeId).not.toBe(b.nodeId);
    const atA = recorder();
    const atB = recorder();
    await a.subscribe('library/u1', atA.handlers);
    await b.subscribe('library/u1', atB.handlers);

    // Every byte value, an empty update, and 1 MiB of noise: nothing is text-encoded on the way.
    const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    a.publishUpdate({ doc: 'library/u1', seq: 1, update: everyByte, nodeId: a.nodeId });
    a.publishUpdate({ doc: 'library/u1', seq: 2, update: new Uint8Array(0), nodeId: a.nodeId });
    a.publishUpdate({ doc: 'library/u1', seq: 2 ** 40, update: big, nodeId: a.nodeId });
    a.publishAwareness({ doc: 'library/u1', frame: new Uint8Array([1, 0, 255]), nodeId: a.nodeId });

    for (const at of [atA, atB]) {
      await waitFor(() => at.updates.length === 3 && at.awareness.length === 1, 'all messages');
      expect(at.updates.map((m) => [m.doc, m.seq, m.nodeId])).toEqual([
        ['library/u1', 1, a.nodeId],
        ['library/u1', 2, a.nodeId],
        ['library/u1', 2 ** 40, a.nodeId],
      ]);
      expect(Buffer.from(at.updates[0]!.update).equals(Buffer.from(everyByte))).toBe(true);
      expect(at.updates[1]!.update.byteLength).toBe(0);
      expect(Buffer.from(at.updates[2]!.update).equals(Buffer.from(big))).toBe(true);
      expect([...at.awareness[0]!.frame]).toEqual([1, 0, 255]);
      expect(at.awareness[0]!.nodeId).toBe(a.nodeId);
    }
    expect(logs).toEqual([]);
  });

  it('keeps documents apart, whatever their names (glob characters, the control channel, prefixes)', async () => {
    const a = await fanout();
    const b = await fanout();
    const names = ['a', 'a*', 'a?', '[a]', 'control', '../control', 'doc:a', 'flowshelf:control', 'library/ü ✓', ''];
    const received = new Map(names.map((n) => [n, recorder()]));
    for (const n of names) await b.subscribe(n, received.get(n)!.handlers);
    const resetsAtB = resets(b);
    for (const [i, n] of names.entries()) a.publishUpdate({ doc: n, seq: i + 1, update: new Uint8Array([i]), nodeId: a.nodeId });
    for (const [i, n] of names.entries()) {
      const at = received.get(n)!;
      await waitFor(() => at.updates.length >= 1, `message of ${JSON.stringify(n)}`);
    }
    // One more round trip, so a stray message would have arrived by now.
    await barrier(a, received.get('a')!, 'a');
    for (const [i, n] of names.entries()) expect(received.get(n)!.updates.map((m) => [m.doc, m.seq])).toEqual([[n, i + 1]]);
    // A document named like the control channel carries no reset notice.
    expect(resetsAtB.count).toBe(0);
    // A name that UTF-8 cannot carry exactly is refused rather than merged with another.
    await expect(b.subscribe('x\uD800', recorder().handlers)).rejects.toThrow(/well-formed/);
  });

  it('unsubscribe stops delivery for that subscription only, and a document can be subscribed again', async () => {
    const a = await fanout();
    const b = await fanout();
    const first = recorder();
    const second = recorder();
    const sub1 = await b.subscribe('d', first.handlers);
    const sub2 = await b.subscribe('d', second.handlers);
    await sub1.unsubscribe();
    await sub1.unsubscribe(); // idempotent
    a.publishUpdate({ doc: 'd', seq: 1, update: new Uint8Array([1]), nodeId: a.nodeId });
    await waitFor(() => second.updates.length === 1, 'delivery to the remaining subscription');
    await sub2.unsubscribe();
    // No subscriber left: Redis has nobody on the channel.
    const admin = new Redis(file.redis.url);
    try {
      expect(await admin.pubsub('NUMSUB', 'flowshelf:doc:d')).toEqual(['flowshelf:doc:d', 0]);
    } finally {
      admin.disconnect();
    }
    // Unsubscribe and subscribe again at once: the SUBSCRIBE runs after the UNSUBSCRIBE, so it is live.
    const third = recorder();
    const sub3 = await b.subscribe('d', recorder().handlers);
    const closing = sub3.unsubscribe();
    await b.subscribe('d', third.handlers);
    await closing;
    a.publishUpdate({ doc: 'd', seq: 2, update: new Uint8Array([2]), nodeId: a.nodeId });
    await waitFor(() => third.updates.length === 1, 'delivery after re-subscribing');
    expect(first.updates).toEqual([]);
    expect(second.updates.map((m) => m.seq)).toEqual([1]);
  });

  it('a subscription is live when subscribe resolves: a message published right after it arrives', async () => {
    const a = await fanout();
    const b = await fanout();
    for (let i = 0; i < 20; i++) {
      const at = recorder();
      await b.subscribe(`fresh-${i}`, at.handlers);
      a.publishUpdate({ doc: `fresh-${i}`, seq: 1, update: new Uint8Array([i]), nodeId: a.nodeId });
      await waitFor(() => at.updates.length === 1, `fresh-${i}`);
    }
  });

  it('a throwing handler or reset listener is logged and does not stop the others', async () => {
    const a = await fanout();
    const ok = recorder();
    await a.subscribe('t', {
      update: () => {
        throw new Error('boom');
      },
      awareness: () => undefined,
    });
    await a.subscribe('t', ok.handlers);
    a.publishUpdate({ doc: 't', seq: 1, update: new Uint8Array([1]), nodeId: a.nodeId });
    await waitFor(() => ok.updates.length === 1, 'the other handler');
    expect(logs.some((l) => l.includes('boom'))).toBe(true);
  });

  it('garbage on a channel is ignored, not delivered', async () => {
    const a = await fanout();
    const at = recorder();
    await a.subscribe('g', at.handlers);
    const admin = new Redis(file.redis.url);
    try {
      await admin.publish('flowshelf:doc:g', Buffer.from([1, 200]));
      await admin.publish('flowshelf:doc:g', Buffer.from([99, 0])); // a kind from a newer node: skipped silently
    } finally {
      admin.disconnect();
    }
    await barrier(a, at, 'g');
    expect(at.updates).toEqual([]);
    expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(1);
  });

  it('a Redis restart: both nodes resubscribe, then reset; nothing committed during the outage is lost', async () => {
    const a = await fanout();
    const b = await fanout();
    // The store: what A committed, in seq order. B "catches up" from it on reset, as the sync core does.
    const committed: number[] = [];
    const atB = new Set<number>();
    await b.subscribe('lib', { update: (m) => atB.add(m.seq), awareness: () => undefined });
    const resetsAtA = resets(a);
    const resetsAtB = resets(b);
    b.onReset(() => {
      for (const seq of committed) atB.add(seq);
    });

    let writing = true;
    const writer = (async () => {
      while (writing) {
        const seq = committed.length + 1;
        committed.push(seq);
        a.publishUpdate({ doc: 'lib', seq, update: new Uint8Array([seq & 255]), nodeId: a.nodeId });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await waitFor(() => atB.size >= 50, 'traffic before the restart');
    await file.redis.restart();
    await waitFor(() => resetsAtA.count >= 1 && resetsAtB.count >= 1, 'both nodes reset after the restart');
    const target = committed.length + 50;
    await waitFor(() => atB.size >= target, 'traffic after the restart', 10_000);
    writing = false;
    await writer;
    await waitFor(() => atB.size === committed.length, 'every committed seq at B');
    expect(a.stats().droppedUpdates).toBeGreaterThan(0); // the outage did drop messages: the resets healed them
    // Resubscribed: a message after the restart arrives live, with no reset needed.
    const before = resetsAtB.count;
    const live = recorder();
    await b.subscribe('lib', live.handlers);
    a.publishUpdate({ doc: 'lib', seq: 9_999_999, update: new Uint8Array([1]), nodeId: a.nodeId });
    await waitFor(() => live.updates.length === 1, 'live message after the restart');
    expect(resetsAtB.count).toBe(before);
  });

  it('a node cut off from Redis: publishing drops without throwing or queueing, and the others are told to catch up', async () => {
    const p = await proxy();
    const a = await fanout({ url: p.url });
    const b = await fanout();
    const atB = recorder();
    await b.subscribe('cut', atB.handlers);
    const resetsAtA = resets(a);
    const resetsAtB = resets(b);

    p.cut();
    await waitFor(() => p.connections === 0, 'connections cut');
    // 2,000 updates of 256 KiB (512 MiB) while Redis is unreachable.
    const chunk = new Uint8Array(256 * 1024).fill(7);
    const before = process.memoryUsage();
    for (let seq = 1; seq <= 2000; seq++) a.publishUpdate({ doc: 'cut', seq, update: chunk, nodeId: a.nodeId });
    a.publishAwareness({ doc: 'cut', frame: new Uint8Array([1]), nodeId: a.nodeId });
    await waitFor(() => a.stats().droppedUpdates === 2000, 'every publish dropped');
    const after = process.memoryUsage();
    expect(a.stats()).toMatchObject({ pendingBytes: 0, droppedUpdates: 2000, droppedAwareness: 1 });
    // Nothing was kept: the heap and buffers grew by far less than the 512 MiB published.
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(128 * 1024 * 1024);

    // B never lost its connection; only A's notice can tell it that updates went missing.
    expect(resetsAtB.count).toBe(0);
    p.restore();
    await waitFor(() => resetsAtB.count === 1, 'B told to catch up once A is back', 10_000);
    expect(atB.updates).toEqual([]);
    // A's own subscriber reconnected too (it resets, as its channels may have missed messages), and A
    // is live again in both directions.
    await waitFor(() => resetsAtA.count === 1, 'A reset after its reconnection', 10_000);
    const atA = recorder();
    await a.subscribe('cut', atA.handlers);
    b.publishUpdate({ doc: 'cut', seq: 2001, update: new Uint8Array([1]), nodeId: b.nodeId });
    await waitFor(() => atA.updates.length === 1, 'A receives again');
  });

  it('a stalled connection: at most maxPendingBytes wait for Redis, the rest is dropped, and a reset notice follows', async () => {
    const p = await proxy();
    const maxPendingBytes = 4 * 1024 * 1024;
    const a = await fanout({ url: p.url, maxPendingBytes, pingIntervalMs: 60_000 });
    const b = await fanout();
    const resetsAtB = resets(b);
    await b.subscribe('stall', recorder().handlers);

    p.stall();
    const chunk = new Uint8Array(256 * 1024).fill(3);
    for (let seq = 1; seq <= 200; seq++) {
      a.publishUpdate({ doc: 'stall', seq, update: chunk, nodeId: a.nodeId });
      expect(a.stats().pendingBytes).toBeLessThanOrEqual(maxPendingBytes);
    }
    expect(a.stats().droppedUpdates).toBeGreaterThanOrEqual(200 - 16);
    p.restore();
    await waitFor(() => a.stats().pendingBytes === 0, 'backlog answered');
    await waitFor(() => resetsAtB.count === 1, 'B told to catch up');
  });

  it('a half-open connection (no answer at all) is detected by the PING and reconnected, then reset', async () => {
    const p = await proxy();
    const a = await fanout({ url: p.url, pingIntervalMs: 100 });
    const resetsAtA = resets(a);
    await a.subscribe('half-open', recorder().handlers);
    p.stall();
    await waitFor(() => logs.some((l) => l.includes('no answer')), 'the missed PING noticed');
    p.restore();
    await waitFor(() => resetsAtA.count >= 1, 'A resubscribed and reset');
  });

  it('connect fails clearly, without the password, when Redis is unreachable', async () => {
    const p = await proxy();
    p.cut();
    const url = p.url.replace('redis://', 'redis://user:s3cret-pw@');
    await expect(RedisFanout.connect({ url, log: (m) => logs.push(m), connectTimeoutMs: 300 })).rejects.toThrow(/unreachable/);
    const all = logs.join('\n');
    expect(all).not.toContain('s3cret-pw');
  });

  it('works with a Redis user limited to its channels and commands (docs/deploy.md), and fails clearly without them', async () => {
    const admin = new Redis(file.redis.url);
    try {
      const minimal = ['-@all', '+publish', '+subscribe', '+unsubscribe', '+ping', '+client|setname', '+info'];
      await admin.call('ACL', 'SETUSER', 'fs-node', 'on', '>node-pw', 'resetchannels', '&flowshelf:*', ...minimal);
      await admin.call('ACL', 'SETUSER', 'fs-other', 'on', '>other-pw', 'resetchannels', '&elsewhere:*', ...minimal);
    } finally {
      admin.disconnect();
    }
    const url = (user: string, pw: string) => file.redis.url.replace('redis://', `redis://${user}:${pw}@`);
    const a = await fanout({ url: url('fs-node', 'node-pw') });
    const b = await fanout({ url: url('fs-node', 'node-pw') });
    const atB = recorder();
    await b.subscribe('library/u', atB.handlers);
    a.publishUpdate({ doc: 'library/u', seq: 1, update: new Uint8Array([1]), nodeId: a.nodeId });
    await waitFor(() => atB.updates.length === 1, 'delivery under the minimal ACL');
    await expect(fanout({ url: url('fs-other', 'other-pw') })).rejects.toThrow(/NOPERM/);
    expect(logs.join('\n')).not.toContain('other-pw');
  });

  it('publishing after close is a no-op and subscribe refuses', async () => {
    const a = await fanout();
    await a.close();
    expect(() => a.publishUpdate({ doc: 'x', seq: 1, update: new Uint8Array([1]), nodeId: a.nodeId })).not.toThrow();
    await expect(a.subscribe('x', recorder().handlers)).rejects.toThrow(/closed/);
  });
});
