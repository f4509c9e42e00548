// The awareness relay's rules for states that come from other nodes (awareness-relay.ts): they belong
// to no local member, never displace a local member's state, are not taken over by the echo of a
// stock client, and are handed to joining members only while they are renewed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwarenessRelay, REMOTE_STATE_TTL_MS } from '../../server/sync/awareness-relay.js';

const state = (name: string) => JSON.stringify({ user: { name } });

afterEach(() => {
  vi.useRealTimers();
});

describe('AwarenessRelay with states from other nodes', () => {
  it('a remote entry never overwrites or removes a local member’s state', () => {
    const relay = new AwarenessRelay();
    const member = {};
    relay.apply(member, [{ clientId: 1, clock: 1, state: state('local') }]);
    expect(relay.applyRemote('node-2', [{ clientId: 1, clock: 5, state: state('spoof') }, { clientId: 1, clock: 6, state: 'null' }])).toEqual([]);
    expect(relay.snapshot()).toEqual([{ clientId: 1, clock: 1, state: state('local') }]);
  });

  it('a local member echoing a remote state does not take it over; a newer state from it does', () => {
    const relay = new AwarenessRelay();
    const member = {};
    expect(relay.applyRemote('node-2', [{ clientId: 7, clock: 3, state: state('Ada') }])).toHaveLength(1);
    // The stock client sends back what it received: an echo, neither accepted nor refused.
    expect(relay.apply(member, [{ clientId: 7, clock: 3, state: state('Ada') }])).toEqual({ accepted: [], refused: [] });
    // The member's close releases nothing: the state is still node 2's, which removes it.
    expect(relay.release(member)).toEqual([]);
    expect(relay.applyRemote('node-2', [{ clientId: 7, clock: 3, state: 'null' }])).toEqual([{ clientId: 7, clock: 3, state: 'null' }]);
    // The client reconnects here with a newer state: from now on it is this member's.
    relay.applyRemote('node-2', [{ clientId: 8, clock: 1, state: state('Bob') }]);
    const moved = {};
    expect(relay.apply(moved, [{ clientId: 8, clock: 2, state: state('Bob') }]).accepted).toHaveLength(1);
    expect(relay.applyRemote('node-2', [{ clientId: 8, clock: 9, state: 'null' }])).toEqual([]);
    expect(relay.release(moved)).toEqual([{ clientId: 8, clock: 2, state: 'null' }]);
  });

  it('between nodes the newer clock wins, and the remote ids one room keeps are bounded', () => {
    const relay = new AwarenessRelay();
    relay.applyRemote('node-2', [{ clientId: 3, clock: 2, state: state('two') }]);
    expect(relay.applyRemote('node-3', [{ clientId: 3, clock: 1, state: state('old') }])).toEqual([]);
    expect(relay.applyRemote('node-3', [{ clientId: 3, clock: 4, state: state('three') }])).toHaveLength(1);
    const flood = Array.from({ length: 5000 }, (_, i) => ({ clientId: 1000 + i, clock: 1, state: '{}' }));
    expect(relay.applyRemote('node-4', flood).length).toBeLessThan(5000);
    expect(relay.size).toBeLessThanOrEqual(4096);
  });

  it('a remote state not renewed for 30 s is no longer handed to joining members', () => {
    vi.useFakeTimers();
    const relay = new AwarenessRelay();
    relay.applyRemote('node-2', [{ clientId: 5, clock: 1, state: state('quiet') }]);
    relay.applyRemote('node-2', [{ clientId: 6, clock: 1, state: state('renewing') }]);
    vi.advanceTimersByTime(REMOTE_STATE_TTL_MS / 2);
    relay.applyRemote('node-2', [{ clientId: 6, clock: 2, state: state('renewing') }]);
    vi.advanceTimersByTime(REMOTE_STATE_TTL_MS / 2 + 1);
    expect(relay.snapshot().map((entry) => entry.clientId)).toEqual([6]);
  });
});
