import { expect } from 'chai';
import { SyncedDoc, databaseName } from '../../client/data/synced-doc.js';
import { deleteDeviceCopy } from '../../client/data/workspace.js';
import { createEntry, readEntry, setEntryPublic } from '../../shared/workflow/library-doc.js';
import { OFFLINE_URL, uniqueUser, waitFor, workflow } from './helpers.js';

async function databases(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}

describe('SyncedDoc (IndexedDB cache + socket)', () => {
  const open: SyncedDoc[] = [];
  const users: string[] = [];
  const make = (userId: string, documentName = `library/${userId}`) => {
    const d = new SyncedDoc({ userId, documentName, token: 't', url: OFFLINE_URL });
    open.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.destroy()));
    await Promise.all(users.splice(0).map((u) => deleteDeviceCopy(u)));
  });

  it('keeps edits made offline across a reload (a new instance loads them from IndexedDB)', async () => {
    const user = uniqueUser();
    users.push(user);
    const first = make(user);
    await first.connect();
    createEntry(first.doc, 'w1', workflow('w1', { name: 'Offline work' }), { isPublic: false });
    await first.destroy();
    const second = make(user);
    await second.loaded;
    const read = readEntry(second.doc, 'w1');
    expect(read?.valid && read.workflow.name).to.equal('Offline work');
  });

  it('never mixes two users of one browser: each user and document has its own database', async () => {
    const alice = uniqueUser();
    const bob = uniqueUser();
    users.push(alice, bob);
    const a = make(alice, 'public');
    await a.loaded;
    createEntry(a.doc, 'w1', workflow('w1'), { isPublic: false });
    const b = make(bob, 'public');
    await b.loaded;
    expect(readEntry(b.doc, 'w1')).to.equal(null);
    expect(a.dbName).to.equal(databaseName(alice, 'public'));
    expect(a.dbName).to.not.equal(b.dbName);
  });

  it('counts local changes made while offline and keeps the count across a reload', async () => {
    const user = uniqueUser();
    users.push(user);
    const d = make(user);
    await d.connect();
    await waitFor(() => d.status === 'offline');
    createEntry(d.doc, 'w1', workflow('w1'), { isPublic: false });
    setEntryPublic(d.doc, 'w1', true);
    expect(d.pending).to.equal(2);
    await d.destroy();
    const again = make(user);
    await again.loaded;
    expect(again.pending).to.equal(2);
    expect(again.inSync).to.equal(false);
  });

  it("removes this device's copy: every database of that user and no other user's", async () => {
    const alice = uniqueUser();
    const bob = uniqueUser();
    users.push(alice, bob);
    const docs = [make(alice), make(alice, 'public'), make(bob)];
    await Promise.all(docs.map((d) => d.loaded));
    createEntry(docs[0]!.doc, 'w1', workflow('w1'), { isPublic: false });
    await Promise.all(docs.slice(0, 2).map((d) => d.destroy()));
    expect(await deleteDeviceCopy(alice)).to.equal(2);
    const names = await databases();
    expect(names).to.not.include(databaseName(alice, `library/${alice}`));
    expect(names).to.not.include(databaseName(alice, 'public'));
    expect(names).to.include(databaseName(bob, `library/${bob}`));
  });
});
