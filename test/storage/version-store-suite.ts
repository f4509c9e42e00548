// The acceptance suite every VersionStore must pass (run on SQLite and on a real PostgreSQL).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewVersion, TrashEntry, VersionStore } from '../../server/storage/version-store.js';

export interface VersionFixture {
  versions: VersionStore;
  dispose(): Promise<void>;
}

const SUMMARY = { nodes_added: 0, nodes_removed: 0, edges_added: 0, edges_removed: 0, fields_changed: 0, text: 'first version' };

let counter = 0;
export function version(workflowId: string, ownerId: string, key: string, createdAt: string, workflow = '{"steps":1}'): NewVersion {
  counter++;
  return {
    version_id: `v-${counter}-${key}`,
    workflow_id: workflowId,
    owner_id: ownerId,
    key,
    kind: key.startsWith('save:') ? 'save' : 'auto',
    created_at: createdAt,
    user_id: ownerId,
    user_name: ownerId.toUpperCase(),
    device: 'dev',
    device_label: 'Device',
    summary: SUMMARY,
    workflow,
  };
}

function trash(workflowId: string, ownerId: string, deletedAt: string, purgeAt: string): TrashEntry {
  return {
    workflow_id: workflowId,
    owner_id: ownerId,
    name: `name of ${workflowId}`,
    deleted_at: deletedAt,
    deleted_by: ownerId,
    purge_at: purgeAt,
    entry: JSON.stringify({ workflow: { id: workflowId }, is_public: false }),
  };
}

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();

export function versionStoreSuite(name: string, create: () => Promise<VersionFixture>): void {
  describe(`VersionStore acceptance: ${name}`, () => {
    let fixture: VersionFixture;
    let store: VersionStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.versions;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('add is idempotent per (owner, workflow, key): a retry or a second node returns the first version', async () => {
      const first = await store.add(version('w1', 'alice', 'save:s1', day(0), '{"steps":11}'));
      expect(first.created).toBe(true);
      const again = await store.add(version('w1', 'alice', 'save:s1', day(1), '{"steps":99}'));
      expect(again.created).toBe(false);
      expect(again.version.version_id).toBe(first.version.version_id);
      expect((await store.get('alice', 'w1', first.version.version_id))?.workflow).toBe('{"steps":11}');
      // The same key of another owner (a copy of the id elsewhere) is another version.
      expect((await store.add(version('w1', 'mallory', 'save:s1', day(0)))).created).toBe(true);
      expect((await store.list('alice', 'w1', { offset: 0, limit: 50 })).total).toBe(1);
    });

    it('lists newest first with paging; get returns the content and summary byte for byte', async () => {
      for (let i = 0; i < 5; i++) await store.add(version('w1', 'alice', `auto:${i}`, day(i), `{"steps":${i},"name":"é${i}"}`));
      // Two in the same millisecond keep their insertion order (newest first).
      await store.add(version('w1', 'alice', 'save:a', day(5)));
      await store.add(version('w1', 'alice', 'save:b', day(5)));
      const first = await store.list('alice', 'w1', { offset: 0, limit: 3 });
      expect(first.total).toBe(7);
      expect(first.items.map((v) => v.key)).toEqual(['save:b', 'save:a', 'auto:4']);
      const second = await store.list('alice', 'w1', { offset: 3, limit: 3 });
      expect(second.items.map((v) => v.key)).toEqual(['auto:3', 'auto:2', 'auto:1']);
      const got = await store.get('alice', 'w1', second.items[0]!.version_id);
      expect(got?.workflow).toBe('{"steps":3,"name":"é3"}');
      expect(got?.summary).toEqual(SUMMARY);
      expect(got?.bytes).toBe(Buffer.byteLength('{"steps":3,"name":"é3"}'));
      expect(await store.get('bob', 'w1', got!.version_id)).toBeNull();
      expect((await store.latest('alice', 'w1'))?.key).toBe('save:b');
      expect((await store.getByKey('alice', 'w1', 'auto:2'))?.workflow).toBe('{"steps":2,"name":"é2"}');
    });

    it('U+0000 in a version (JSON text, user name, device label) and in a trash entry round-trips', async () => {
      // The workflow JSON as JSON.stringify writes it (U+0000 escaped), and raw NULs in the other text.
      const workflow = JSON.stringify({ name: 'nul \u0000 name', nodes: { 'a\u0000': 1 } });
      const nul = { ...version('w1', 'alice', 'save:nul', day(0), workflow), user_name: 'Al\u0000ice', device_label: 'Dev\u0000ice' };
      const added = await store.add(nul);
      expect(added.created).toBe(true);
      const got = await store.get('alice', 'w1', added.version.version_id);
      expect(got).toMatchObject({ workflow, user_name: 'Al\u0000ice', device_label: 'Dev\u0000ice', bytes: Buffer.byteLength(workflow) });
      expect(JSON.parse(got!.workflow).name).toBe('nul \u0000 name');
      expect(await store.replaceContent('alice', 'w1', 'save:nul', { ...got!, user_name: 'B\u0000b', device_label: 'L\u0000' })).toBe(true);
      expect(await store.get('alice', 'w1', added.version.version_id)).toMatchObject({ user_name: 'B\u0000b', device_label: 'L\u0000' });
      await store.putTrash({ ...trash('w1', 'alice', day(1), day(31)), name: 'tr\u0000sh', entry: JSON.stringify({ name: '\u0000' }) });
      expect((await store.listTrash('alice'))[0]?.name).toBe('tr\u0000sh');
      expect(JSON.parse((await store.getTrash('w1'))!.entry).name).toBe('\u0000');
    });

    it('replaceContent swaps a version\'s content in place', async () => {
      const added = await store.add(version('w1', 'alice', 'save:s1', day(0), '{"steps":11}'));
      const replaced = await store.replaceContent('alice', 'w1', 'save:s1', {
        workflow: '{"steps":22}',
        summary: { ...SUMMARY, fields_changed: 1, text: 'steps changed' },
        user_id: 'alice',
        user_name: 'Alice',
        device: 'dev-b',
        device_label: 'Phone',
      });
      expect(replaced).toBe(true);
      const got = await store.get('alice', 'w1', added.version.version_id);
      expect(got).toMatchObject({ workflow: '{"steps":22}', device: 'dev-b', device_label: 'Phone', created_at: day(0) });
      expect(got?.summary.text).toBe('steps changed');
      expect(await store.replaceContent('alice', 'w1', 'save:none', { ...got! })).toBe(false);
    });

    it('olderThan marks each workflow\'s newest version, and remove drops by id', async () => {
      await store.add(version('w1', 'alice', 'auto:0', day(0)));
      await store.add(version('w1', 'alice', 'auto:1', day(1)));
      await store.add(version('w2', 'alice', 'auto:0', day(0)));
      await store.add(version('w1', 'alice', 'auto:9', day(9)));
      const old = await store.olderThan(day(5));
      expect(old.map((r) => [r.workflow_id, r.created_at, r.newest])).toEqual([
        ['w1', day(0), false],
        ['w1', day(1), false],
        ['w2', day(0), true],
      ]);
      expect(await store.remove(old.filter((r) => !r.newest).map((r) => r.version_id))).toBe(2);
      expect((await store.list('alice', 'w1', { offset: 0, limit: 10 })).items.map((v) => v.key)).toEqual(['auto:9']);
      expect(await store.remove([])).toBe(0);
    });

    it('counts UTF-8 bytes per owner', async () => {
      await store.add(version('w1', 'alice', 'auto:0', day(0), '"ééé"'));
      await store.add(version('w2', 'alice', 'auto:0', day(0), '"ab"'));
      await store.add(version('w1', 'bob', 'auto:0', day(0), '"x"'));
      expect(await store.bytesOf('alice')).toBe(Buffer.byteLength('"ééé"') + 4);
      expect(await store.bytesOf('nobody')).toBe(0);
      expect(await store.bytesByOwner()).toEqual(new Map([['alice', 12], ['bob', 3]]));
    });

    it('trash: put, list newest deletion first with version counts, take (restore) keeps versions', async () => {
      await store.add(version('w1', 'alice', 'auto:0', day(0)));
      await store.add(version('w1', 'alice', 'auto:1', day(1)));
      await store.putTrash(trash('w1', 'alice', day(2), day(32)));
      await store.putTrash(trash('w2', 'alice', day(3), day(33)));
      await store.putTrash(trash('w3', 'bob', day(3), day(33)));
      const listed = await store.listTrash('alice');
      expect(listed.map((t) => [t.workflow_id, t.versions])).toEqual([['w2', 0], ['w1', 2]]);
      expect(listed[1]).toMatchObject({ name: 'name of w1', deleted_by: 'alice', purge_at: day(32), deleted_at: day(2) });
      expect((await store.getTrash('w1'))?.entry).toContain('"is_public":false');
      const taken = await store.takeTrash('w1');
      expect(taken?.workflow_id).toBe('w1');
      expect(await store.takeTrash('w1')).toBeNull();
      expect((await store.list('alice', 'w1', { offset: 0, limit: 10 })).total).toBe(2);
    });

    it('purge and purgeDue remove the entry with its versions, and only due ones', async () => {
      await store.add(version('w1', 'alice', 'auto:0', day(0)));
      await store.add(version('w2', 'alice', 'auto:0', day(0)));
      await store.add(version('w3', 'alice', 'auto:0', day(0)));
      await store.putTrash(trash('w1', 'alice', day(1), day(10)));
      await store.putTrash(trash('w2', 'alice', day(1), day(20)));
      await store.putTrash(trash('w3', 'alice', day(1), day(30)));
      expect((await store.purgeDue(day(20))).map((t) => t.workflow_id).sort()).toEqual(['w1', 'w2']);
      expect((await store.list('alice', 'w1', { offset: 0, limit: 10 })).total).toBe(0);
      expect((await store.list('alice', 'w2', { offset: 0, limit: 10 })).total).toBe(0);
      expect((await store.purge('w3'))?.workflow_id).toBe('w3');
      expect(await store.purge('w3')).toBeNull();
      expect(await store.bytesOf('alice')).toBe(0);
    });

    it('forgetOwner removes one owner\'s versions and trash only', async () => {
      await store.add(version('w1', 'alice', 'auto:0', day(0)));
      await store.add(version('w2', 'bob', 'auto:0', day(0)));
      await store.putTrash(trash('w1', 'alice', day(1), day(10)));
      await store.forgetOwner('alice');
      expect(await store.listTrash('alice')).toEqual([]);
      expect(await store.bytesOf('alice')).toBe(0);
      expect(await store.bytesOf('bob')).toBeGreaterThan(0);
    });
  });
}
