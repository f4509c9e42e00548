// The services under three nodes going away: Redis restarted (empty) while every node is written
// through, and PostgreSQL stopped, which must make writes fail clearly (sockets 1013, REST 503) without
// acknowledging anything, and service resume by itself when it is back.
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/server.js';
import { userWorkflow } from '../api/fixtures.js';
import { storedIds } from './cluster.js';
import { eventually, listedIds, waitFor, writing } from './devices.js';
import { missing, sameSet, useMultinode, withDeadline } from './fixture.js';

const multinode = useMultinode();

describe('Redis restarted under load', () => {
  it('loses nothing: the edits made before, during and right after the restart reach every device, every node and the store', async () => {
    const cluster = await multinode.startWithAlice(3);
    const { a, b, c, alice, doc } = cluster;
    const writersDevices = [multinode.device('wa', doc, alice.token), multinode.device('wb', doc, alice.token), multinode.device('wc', doc, alice.token)];
    const reader = multinode.device('reader', doc, alice.token);
    await Promise.all([writersDevices[0]!.connectTo(a), writersDevices[1]!.connectTo(b), writersDevices[2]!.connectTo(c), reader.connectTo(b)]);

    const writers = writersDevices.map((d) => writing(d));
    await waitFor(() => writers.every((w) => w.written.size >= 20), 'writes on every node before the restart');
    await multinode.services().redis.restart();
    // The last edits are made right after Redis is back, as the nodes are still reconnecting: nothing
    // sent later reveals them, only the nodes' catch-up does.
    const at = writers.map((w) => w.written.size);
    await waitFor(() => writers.every((w, i) => w.written.size >= at[i]! + 5), 'writes right after the restart');
    for (const w of writers) w.stop();

    const all = new Set(writers.flatMap((w) => [...w.written]));
    const everyone = [...writersDevices, reader];
    await waitFor(() => everyone.every((d) => sameSet(d.ids(), all)), 'every device to have every edit', 20_000).catch((error: Error) => {
      throw new Error(`${error.message}; missing: ${everyone.map((d) => `${d.label}: ${missing(all, d.ids()).join(',')}`).join('; ')}`);
    });
    const stored = await storedIds(cluster.databaseUrl, doc);
    expect(missing(all, stored), 'missing from the store').toEqual([]);
    for (const node of [a, b, c]) {
      await eventually(async () => (await fetch(`${node.url}/readyz`)).status === 200, `node ${node.name} ready again after the restart`);
      const fresh = await multinode.fresh(node, doc, alice.token);
      expect(missing(all, fresh.ids()), `missing on a fresh device on node ${node.name}`).toEqual([]);
    }
  }, 60_000);
});

describe('PostgreSQL stopped', () => {
  it('sockets close with 1013 and REST writes answer 503 without acknowledging anything; once it is back the devices\' edits land', async () => {
    const cluster = await multinode.startWithAlice(3);
    const { a, b, c, alice, doc } = cluster;
    const onA = multinode.device('on-a', doc, alice.token);
    const onB = multinode.device('on-b', doc, alice.token);
    await Promise.all([onA.connectTo(a), onB.connectTo(b)]);
    onA.addWorkflow('before');
    await waitFor(() => onB.ids().has('before'), 'an edit on A reaching B before the outage');

    const postgres = multinode.services().postgres;
    await postgres.pause();
    try {
      // A device's edit: its socket is closed with 1013 'storage unavailable', and the edit reaches
      // nobody (nothing was committed, so nothing is forwarded).
      const closed = onA.nextClose();
      onA.addWorkflow('during-outage');
      const close = await withDeadline(closed, 10_000, 'the writing socket on A to close');
      expect(close).toEqual({ code: 1013, reason: 'storage unavailable' });

      // A REST write on another node: 503 with a detail, nothing created.
      const refused = await api(c, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('refused during the outage') });
      expect(refused.status).toBe(503);
      expect(refused.body.detail).toMatch(/database is unavailable/);

      // Reads: the list is read from the database too, so it is a 503 as well.
      const read = await listedIds(b, alice.token);
      expect(read.status).toBe(503);
      expect(read.response.body.detail).toMatch(/database is unavailable/);
      // A device opening the document on a node that has not loaded it cannot be served either.
      const late = multinode.device('late', doc, alice.token);
      late.attach(c);
      const lateClose = await withDeadline(late.nextClose(), 15_000, 'the late device to be closed');
      expect(lateClose.code).toBe(1013);
      expect(late.client!.provider.synced).toBe(false);
      late.disconnect();
      // Health: every node lives (no orchestrator should restart them all), none is ready.
      for (const node of [a, b, c]) {
        expect((await fetch(`${node.url}/healthz`)).status, `healthz of node ${node.name}`).toBe(200);
        const ready = await fetch(`${node.url}/readyz`);
        expect(ready.status, `readyz of node ${node.name}`).toBe(503);
        expect(typeof ((await ready.json()) as { detail: unknown }).detail).toBe('string');
      }

      expect(onB.ids().has('during-outage')).toBe(false);
      expect(onA.closeCodes.every((code) => code === 1013)).toBe(true);
    } finally {
      await postgres.resume();
    }

    // Back: every node is ready again, the device on A reconnects by itself and its edit lands
    // everywhere; writes work again.
    for (const node of [a, b, c]) await eventually(async () => (await fetch(`${node.url}/readyz`)).status === 200, `node ${node.name} ready again`);
    await waitFor(() => onB.ids().has('during-outage'), 'the outage edit reaching B once PostgreSQL is back', 30_000);
    const stored = await storedIds(cluster.databaseUrl, doc);
    expect(missing(['before', 'during-outage'], stored)).toEqual([]);
    await eventually(async () => (await listedIds(c, alice.token)).ids.has('during-outage'), 'node C\'s REST list to show the outage edit');
    const listed = await api(c, alice.token)('GET', '/api/v1/workflows?per_page=0&categories=user');
    expect(listed.body.items.map((i: { name: string }) => i.name)).not.toContain('refused during the outage');
    const created = await api(c, alice.token)('POST', '/api/v1/workflows', { workflow: userWorkflow('after the outage') });
    expect(created.status).toBe(200);
    await waitFor(() => onA.ids().has(created.body.workflow_id) && onB.ids().has(created.body.workflow_id), 'a REST write after the outage reaching both devices');
  }, 60_000);
});
