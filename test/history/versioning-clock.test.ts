// The versioning extension on a real sync node (SQLite file, the stock y-websocket client), with time
// from an injected clock instead of waiting: at most one auto version per workflow per interval, taken
// from the state at its end; a Save makes its own version at once; retention thins old versions as
// configured; the trash is purged after its time, versions included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetention, Versioning } from '../../server/library/versions.js';
import { SqliteIndexStore } from '../../server/storage/sqlite/index-store.js';
import { SqliteVersionStore } from '../../server/storage/sqlite/version-store.js';
import { libraryDocument, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createEntry, deleteEntry, readEntry, updateEntryWorkflow, type Workflow } from '../../shared/workflow/index.js';
import { userWorkflow } from '../api/fixtures.js';
import { startSyncNode } from '../sync/sync-node.js';
import { connect, synced, waitFor } from '../sync/clients.js';
import { version } from '../storage/version-store-suite.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MINUTE = 60_000;
const DAY = 86_400_000;
const OWNER = SYSTEM_USER_ID;
const DOC = libraryDocument(OWNER);

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'flowshelf-versioning-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const node = await startSyncNode(join(dir, 'flowshelf.db'), { backend: 'sqlite' });
  cleanups.push(() => node.close());
  const clock = { t: Date.UTC(2026, 0, 10, 12), now() { return this.t; } };
  const store = new SqliteVersionStore(node.db);
  const versioning = new Versioning({
    versions: store,
    docs: node.sync,
    index: new SqliteIndexStore(node.db),
    userName: async () => null,
    intervalMs: 5 * MINUTE,
    retention: parseRetention('all:30d,daily:365d'),
    trashMs: 30 * DAY,
    clock,
    maintenanceMs: 0,
  });
  node.sync.use(versioning.extension);
  cleanups.push(() => versioning.close());
  const device = connect(node.wsUrl, DOC, undefined);
  cleanups.push(() => device.destroy());
  await synced(device);
  const serverHas = (check: (name: string | undefined) => boolean) =>
    waitFor(async () => check(await node.sync.withDocument(DOC, (doc) => (readEntry(doc, 'w1')?.entry.workflow as Workflow | undefined)?.name)), 'the server to hold the change');
  const list = async () => (await store.list(OWNER, 'w1', { offset: 0, limit: 100 })).items;
  return { clock, store, versioning, device, serverHas, list };
}

function rename(doc: Parameters<typeof readEntry>[0], name: string, lastSave?: { id: string; device: string; label: string; at: string }) {
  const workflow = readEntry(doc, 'w1')!.entry.workflow as Workflow;
  updateEntryWorkflow(doc, 'w1', { ...workflow, name }, lastSave ? { lastSave } : {});
}

describe('versioning with an injected clock', () => {
  it('keeps at most one auto version per interval, from the state at its end; a Save keeps its own at once', async () => {
    const { clock, versioning, device, serverHas, list } = await setup();
    const t0 = clock.t;
    createEntry(device.doc, 'w1', { ...userWorkflow('one'), id: 'w1' } as Workflow, { isPublic: false });
    await waitFor(() => versioning.pendingAutoVersions().length === 1, 'an auto version to be scheduled');
    expect(versioning.pendingAutoVersions()[0]).toEqual({ ownerId: OWNER, workflowId: 'w1', dueAt: t0 + 5 * MINUTE });

    clock.t += MINUTE;
    rename(device.doc, 'two');
    await serverHas((name) => name === 'two');
    clock.t += MINUTE;
    rename(device.doc, 'three');
    await serverHas((name) => name === 'three');
    await versioning.runDue();
    expect(await list()).toEqual([]);

    clock.t = t0 + 5 * MINUTE;
    await versioning.runDue();
    const first = await list();
    expect(first.map((v) => [v.kind, v.key])).toEqual([['auto', `auto:${new Date(t0 - (t0 % (5 * MINUTE))).toISOString()}`]]);
    expect(first[0]!.summary.text).toBe('first version');
    expect(versioning.pendingAutoVersions()).toEqual([]);

    // The next changes start a new interval: a second auto version, relative to the first.
    clock.t += MINUTE;
    rename(device.doc, 'four');
    await waitFor(() => versioning.pendingAutoVersions().length === 1, 'the next auto version to be scheduled');
    clock.t += 5 * MINUTE;
    await versioning.runDue();
    const second = await list();
    expect(second.map((v) => v.kind)).toEqual(['auto', 'auto']);
    expect(second[0]!.summary.text).toBe('name changed');

    // A change then a Save: the Save's version now, and no auto version for what it covers.
    clock.t += MINUTE;
    rename(device.doc, 'five');
    rename(device.doc, 'six', { id: 'save-6', device: 'laptop', label: 'Laptop', at: new Date(clock.t).toISOString() });
    await waitFor(async () => (await list()).length === 3, 'the Save version');
    expect(versioning.pendingAutoVersions()).toEqual([]);
    clock.t += 10 * MINUTE;
    await versioning.runDue();
    const third = await list();
    expect(third.map((v) => [v.kind, v.device_label])).toEqual([['save', 'Laptop'], ['auto', null], ['auto', null]]);
  });

  it('retention thins old versions as configured (all for 30 days, then one a day, none after a year; the newest always kept)', async () => {
    const { clock, store, versioning, list } = await setup();
    const at = (ageMs: number) => new Date(clock.t - ageMs).toISOString();
    for (const [key, age] of [
      ['auto:ancient', 400 * DAY],
      ['auto:day40-early', 40 * DAY + 2 * 3_600_000],
      ['auto:day40-late', 40 * DAY],
      ['auto:day41', 41 * DAY],
      ['auto:recent-1', 3 * DAY],
      ['auto:recent-2', 2 * DAY],
    ] as const) {
      await store.add(version('w1', OWNER, key, at(age)));
    }
    // Another workflow's only version is older than a year: kept, it is the newest of its workflow.
    await store.add(version('w2', OWNER, 'auto:lonely', at(500 * DAY)));
    await versioning.runDue();
    expect((await list()).map((v) => v.key)).toEqual(['auto:recent-2', 'auto:recent-1', 'auto:day40-late', 'auto:day41']);
    expect((await store.list(OWNER, 'w2', { offset: 0, limit: 10 })).total).toBe(1);
    // A month later the recent ones are past the first window too: one a day stays.
    clock.t += 31 * DAY;
    await versioning.runDue();
    expect((await list()).map((v) => v.key)).toEqual(['auto:recent-2', 'auto:recent-1', 'auto:day40-late', 'auto:day41']);
  });

  it('retention also applies when a version is written, without waiting for the timer', async () => {
    const { clock, store, device, list } = await setup();
    createEntry(device.doc, 'w1', { ...userWorkflow('one'), id: 'w1' } as Workflow, { isPublic: false });
    await store.add(version('w1', OWNER, 'auto:ancient', new Date(clock.t - 400 * DAY).toISOString()));
    await store.add(version('w1', OWNER, 'auto:day40-early', new Date(clock.t - 40 * DAY - 3_600_000).toISOString()));
    await store.add(version('w1', OWNER, 'auto:day40-late', new Date(clock.t - 40 * DAY).toISOString()));
    rename(device.doc, 'saved', { id: 'save-1', device: 'laptop', label: 'Laptop', at: new Date(clock.t).toISOString() });
    const keys = async () => (await list()).map((v) => v.key).join(' ');
    await waitFor(async () => (await keys()) === 'save:save-1 auto:day40-late', 'the Save version, and the old ones thinned');
  });

  it('a deleted workflow stays in the trash for the configured time, then it and its versions are purged', async () => {
    const { clock, store, versioning, device, list } = await setup();
    createEntry(device.doc, 'w1', { ...userWorkflow('keep me'), id: 'w1' } as Workflow, { isPublic: false });
    await waitFor(() => versioning.pendingAutoVersions().length === 1, 'an auto version to be scheduled');
    const deletedAt = clock.t;
    deleteEntry(device.doc, 'w1');
    await waitFor(async () => (await store.listTrash(OWNER)).length === 1, 'the workflow in the trash');
    const [item] = await store.listTrash(OWNER);
    expect(item).toMatchObject({ workflow_id: 'w1', name: 'keep me', versions: 1, purge_at: new Date(deletedAt + 30 * DAY).toISOString() });
    expect((await list()).map((v) => v.kind)).toEqual(['delete']);
    expect(versioning.pendingAutoVersions()).toEqual([]);

    clock.t = deletedAt + 30 * DAY - 1;
    await versioning.runDue();
    expect(await store.listTrash(OWNER)).toHaveLength(1);
    clock.t = deletedAt + 30 * DAY;
    await versioning.runDue();
    expect(await store.listTrash(OWNER)).toEqual([]);
    expect(await list()).toEqual([]);
  });
});
