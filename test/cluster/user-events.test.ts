// UserEvents: in one process (InProcessUserEvents) and between nodes over a real redis-server
// (RedisUserEvents): every node hears a user change once, its own node at once even without Redis,
// across a Redis restart, and changes made while a node was cut off reach the others when it is back.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { InProcessUserEvents, RedisUserEvents, type RedisUserEventsOptions, type UserEvents } from '../../server/cluster/user-events.js';
import { waitFor } from '../sync/clients.js';
import { useRedisFile } from './redis-fixture.js';

const file = useRedisFile();
const { logs } = file;

async function node(opts: Partial<RedisUserEventsOptions> = {}): Promise<RedisUserEvents> {
  return file.closeAfterTest(await RedisUserEvents.connect({ ...file.clientDefaults(), ...opts }));
}

function heard(events: UserEvents): string[] {
  const ids: string[] = [];
  events.subscribe((userId) => ids.push(userId));
  return ids;
}

/** Publishes a marker from `from` and waits until `at` heard it: everything `from` published before has arrived. */
async function barrier(from: UserEvents, at: string[]): Promise<void> {
  const marker = `barrier-${Math.random()}`;
  from.publish(marker);
  await waitFor(() => at.includes(marker), 'barrier');
  at.splice(at.indexOf(marker), 1);
}

describe('InProcessUserEvents', () => {
  it('tells every listener at once; a throwing listener is logged and does not stop the others or the publisher', async () => {
    const log: string[] = [];
    const events = new InProcessUserEvents((m) => log.push(m));
    const first = heard(events);
    events.subscribe(() => {
      throw new Error('listener broke');
    });
    const last = heard(events);
    expect(() => events.publish('u1')).not.toThrow();
    expect(first).toEqual(['u1']);
    expect(last).toEqual(['u1']);
    expect(log.join('\n')).toContain('listener broke');
  });

  it('unsubscribe stops delivery; the same function subscribed twice is two subscriptions', async () => {
    const events = new InProcessUserEvents();
    const ids: string[] = [];
    const listener = (id: string) => ids.push(id);
    const off1 = events.subscribe(listener);
    events.subscribe(listener);
    events.publish('a');
    off1();
    events.publish('b');
    expect(ids).toEqual(['a', 'a', 'b']);
    await events.close();
    events.publish('c');
    expect(ids).toEqual(['a', 'a', 'b']);
  });
});

describe('RedisUserEvents', () => {
  it('a change published on one node is heard once on every node, its own at once', async () => {
    const one = await node();
    const two = await node();
    const three = await node();
    const [atOne, atTwo, atThree] = [heard(one), heard(two), heard(three)];
    one.publish('user-1');
    // Its own listeners ran inside publish(), not through Redis.
    expect(atOne).toEqual(['user-1']);
    await waitFor(() => atTwo.length === 1 && atThree.length === 1, 'the other nodes');
    await barrier(two, atOne);
    const real = (ids: string[]) => ids.filter((id) => !id.startsWith('barrier-'));
    expect([atOne, atTwo, atThree].map(real)).toEqual([['user-1'], ['user-1'], ['user-1']]);
    // Any string, as stored ids are opaque.
    three.publish('ü/✓ \u0000 *');
    await waitFor(() => atOne.includes('ü/✓ \u0000 *') && atTwo.includes('ü/✓ \u0000 *'), 'unusual id');
    expect(logs).toEqual([]);
  });

  it('keeps working across a Redis restart', async () => {
    const one = await node();
    const two = await node();
    const atTwo = heard(two);
    await file.redis.restart();
    // Until both connections are back, a change may be lost in Redis (the periodic recheck covers it);
    // once they are, every change arrives.
    let n = 0;
    await waitFor(() => {
      one.publish(`after-restart-${++n}`);
      return atTwo.some((id) => id.startsWith('after-restart-'));
    }, 'a change after the restart', 10_000);
    const atOne = heard(one);
    await waitFor(() => {
      two.publish(`from-two-${++n}`);
      return atOne.some((id) => id.startsWith('from-two-'));
    }, 'the other direction', 10_000);
  });

  it('a node cut off from Redis hears its own changes at once, and sends them to the others when it is back', async () => {
    const p = await file.proxy();
    const cutOff = await node({ url: p.url });
    const other = await node();
    const atCutOff = heard(cutOff);
    const atOther = heard(other);
    p.cut();
    await waitFor(() => p.connections === 0, 'cut');
    cutOff.publish('deleted-user');
    cutOff.publish('demoted-user');
    cutOff.publish('deleted-user'); // sent once
    expect(atCutOff).toEqual(['deleted-user', 'demoted-user', 'deleted-user']);
    p.restore();
    await waitFor(() => atOther.includes('deleted-user') && atOther.includes('demoted-user'), 'the changes, once back', 10_000);
    await barrier(cutOff, atOther);
    expect([...atOther].sort()).toEqual(['deleted-user', 'demoted-user']);
  });

  it('refuses to start, clearly, when Redis does not let it subscribe its channel', async () => {
    const admin = new Redis(file.redis.url);
    try {
      await admin.call('ACL', 'SETUSER', 'fs-narrow', 'on', '>narrow-pw', 'resetchannels', '&elsewhere:*', '-@all', '+publish', '+subscribe', '+ping', '+client|setname', '+info');
    } finally {
      admin.disconnect();
    }
    await expect(node({ url: file.redis.url.replace('redis://', 'redis://fs-narrow:narrow-pw@') })).rejects.toThrow(/NOPERM/);
  });

  it('ignores garbage and kinds it does not know on its channel', async () => {
    const one = await node();
    const atOne = heard(one);
    const admin = new Redis(file.redis.url);
    try {
      await admin.publish('flowshelf:users', Buffer.from([1, 200]));
      await admin.publish('flowshelf:users', Buffer.from([9, 0]));
    } finally {
      admin.disconnect();
    }
    const two = await node();
    await barrier(two, atOne);
    expect(atOne).toEqual([]);
    expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(1);
  });

  it('deployments with different channel prefixes on one Redis do not hear each other', async () => {
    const mine = await node({ channelPrefix: 'studio-a:' });
    const theirs = await node({ channelPrefix: 'studio-b:' });
    const mine2 = await node({ channelPrefix: 'studio-a:' });
    const atTheirs = heard(theirs);
    const atMine2 = heard(mine2);
    mine.publish('u');
    await waitFor(() => atMine2.includes('u'), 'same deployment');
    // Their own traffic arrives after ours was published: had ours reached them, it would be there first.
    const theirs2 = await node({ channelPrefix: 'studio-b:' });
    theirs2.publish('b-marker');
    await waitFor(() => atTheirs.includes('b-marker'), 'their own traffic');
    expect(atTheirs).toEqual(['b-marker']);
  });
});
