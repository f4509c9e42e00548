// The app tells the owner what the server quarantined or withheld (issue 9, parts 4 and 5): an own
// entry under an id that belongs to another library or to the defaults is shown invalid, without a
// Shared badge, and the editor offers Save As; a shared workflow the server keeps out of `public` says
// "Shared, but not visible to others". Local knowledge comes from `public`; the server's own verdicts
// (its REST list) are merged in while online (client/data/server-verdicts.ts).
import { expect } from 'chai';
import '../../client/components/library/workflow-library.js';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowLibrary } from '../../client/components/library/workflow-library.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import type { WorkflowTile } from '../../client/components/tile/workflow-tile.js';
import { ServerVerdicts } from '../../client/data/server-verdicts.js';
import type { WorkflowListItemDTO } from '../../shared/api-types.js';
import { createEntry, readEntry, readAll } from '../../shared/workflow/library-doc.js';
import { putPublicEntry } from '../../shared/workflow/public-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { bobShares, byText, deepAll, defaultEntry, mount, waitFor, workflow } from './helpers.js';

// The texts the user reads, spelled out so that a changed wording is a conscious change.
const OWNED_ELSEWHERE = 'This id belongs to another library: save it as a new workflow';
const SERVER_OWNED_ELSEWHERE = 'id: this id belongs to another library (a workflow id cannot be reused; save it as a new workflow)';
const TOO_LARGE = 'not published: at 2.0 MiB it is larger than the 1.0 MiB this server publishes per shared workflow';
const WITHHELD = 'Shared, but not visible to others: at 2.0 MiB it is larger than the 1.0 MiB this server publishes per shared workflow';

type Library = Awaited<ReturnType<typeof mount<WorkflowLibrary>>>;
type Editor = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;

function tiles(el: Element): WorkflowTile[] {
  return deepAll<WorkflowTile>(el, 'fs-workflow-tile');
}
function tileNamed(el: Element, name: string): WorkflowTile | undefined {
  return tiles(el).find((t) => t.item.name === name);
}
function badges(t: WorkflowTile): string[] {
  return deepAll(t, '.badge').map((b) => b.textContent!.trim());
}
function text(t: Element): string {
  return deepAll(t, 'article')[0]!.textContent!.replace(/\s+/g, ' ');
}
async function showView(el: WorkflowLibrary, label: string): Promise<void> {
  deepAll<HTMLButtonElement>(el, 'nav button.view').find((b) => b.textContent!.includes(label))!.click();
  await el.updateComplete;
}

/** A list item as the server's GET /workflows/ sends it. */
function listItem(id: string, userId: string, over: Partial<WorkflowListItemDTO> = {}): WorkflowListItemDTO {
  return {
    workflow_id: id,
    name: `Workflow ${id}`,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    opened_at: null,
    user_id: userId,
    is_public: true,
    description: '',
    category: 'user',
    tags: '',
    thumbnail_url: null,
    invalid_reason: null,
    unpublished_reason: null,
    ...over,
  };
}

describe('quarantined and withheld workflows in the library', () => {
  let m: Library;
  beforeEach(() => localStorage.removeItem('flowshelf_library_view'));
  afterEach(async () => {
    localStorage.removeItem('flowshelf_library_view');
    await m?.cleanup();
  });

  it('shows an own copy of another user\'s shared id, or of a default id, as invalid with the reason and no Shared badge', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    const lib = m.ws.library.doc;
    createEntry(lib, 'mine', workflow('mine', { name: 'Mine' }), { isPublic: true });
    createEntry(lib, 'bobs-id', workflow('bobs-id', { name: 'Taken from Bob' }), { isPublic: true });
    createEntry(lib, 'sys-id', workflow('sys-id', { name: 'Taken from defaults' }), { isPublic: true });
    putPublicEntry(m.ws.publicDoc.doc, 'bobs-id', bobShares('bobs-id', { name: 'Bob original' }));
    putPublicEntry(m.ws.publicDoc.doc, 'sys-id', defaultEntry('sys-id'));
    // The user's own published workflow is in `public` under their own id: not a conflict.
    putPublicEntry(m.ws.publicDoc.doc, 'mine', { ...bobShares('mine', { name: 'Mine' }), user_id: m.ws.userId, owner_name: 'me' });
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 3);

    for (const name of ['Taken from Bob', 'Taken from defaults']) {
      const t = tileNamed(m.el, name)!;
      expect(t.item.invalidReason, name).to.equal(OWNED_ELSEWHERE);
      expect(badges(t), name).to.include('Invalid').and.not.include('Shared');
      expect(text(t), name).to.include(OWNED_ELSEWHERE);
    }
    const mine = tileNamed(m.el, 'Mine')!;
    expect(mine.item.invalidReason).to.equal(null);
    expect(badges(mine)).to.include('Shared').and.not.include('Invalid');
  });

  it('flags a copy live when the other owner\'s workflow is published after the copy was made', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'late', workflow('late', { name: 'Late' }), { isPublic: true });
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tileNamed(m.el, 'Late') && badges(tileNamed(m.el, 'Late')!).includes('Shared'));
    putPublicEntry(m.ws.publicDoc.doc, 'late', bobShares('late'));
    await waitFor(() => tileNamed(m.el, 'Late')?.item.invalidReason === OWNED_ELSEWHERE);
    expect(badges(tileNamed(m.el, 'Late')!)).to.not.include('Shared');
  });

  it('merges the server\'s verdicts: quarantine of an id `public` cannot show, and a shared workflow kept out of `public`', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    const me = m.ws.userId;
    // 'alices-private': an id of another user's private workflow; only the server's records know it.
    createEntry(m.ws.library.doc, 'alices-private', workflow('alices-private', { name: 'Copied id' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'big', workflow('big', { name: 'Big' }), { isPublic: true });
    createEntry(m.ws.library.doc, 'fine', workflow('fine', { name: 'Fine' }), { isPublic: true });
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 3);
    expect(badges(tileNamed(m.el, 'Big')!)).to.include('Shared');
    expect(tileNamed(m.el, 'Copied id')!.item.invalidReason).to.equal(null);

    m.ws.verdicts.accept([
      listItem('alices-private', me, { is_public: false, invalid_reason: SERVER_OWNED_ELSEWHERE }),
      listItem('big', me, { unpublished_reason: TOO_LARGE }),
      listItem('fine', me),
      // An administrator's list holds others' items too: they say nothing about this library.
      listItem('fine', 'someone-else', { unpublished_reason: TOO_LARGE }),
    ]);
    await waitFor(() => tileNamed(m.el, 'Copied id')?.item.invalidReason === SERVER_OWNED_ELSEWHERE);
    const copied = tileNamed(m.el, 'Copied id')!;
    expect(badges(copied)).to.include('Invalid');
    expect(text(copied)).to.include(SERVER_OWNED_ELSEWHERE);

    const big = tileNamed(m.el, 'Big')!;
    expect(badges(big)).to.include('Not visible to others').and.not.include('Shared');
    expect(text(big)).to.include(WITHHELD);
    expect(badges(tileNamed(m.el, 'Fine')!)).to.include('Shared').and.not.include('Not visible to others');

    // Unshared: nothing to withhold, so no marker (the server's reason is about being published).
    const sw = deepAll<HTMLInputElement>(big, 'input[role=switch]')[0]!;
    sw.click();
    await waitFor(() => !text(tileNamed(m.el, 'Big')!).includes('not visible to others'));
    expect(badges(tileNamed(m.el, 'Big')!)).to.not.include('Not visible to others');

    // The server's next answer no longer flags it: the marker goes.
    m.ws.verdicts.accept([listItem('alices-private', me, { is_public: false, invalid_reason: SERVER_OWNED_ELSEWHERE })]);
    await waitFor(() => tileNamed(m.el, 'Big')?.item.unpublishedReason === null);
  });
});

describe('quarantined and withheld workflows in the editor', () => {
  let m: Editor;
  const prevHash = location.hash;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', prevHash || '#');
  });

  async function openOwn(id: string, setup: (mm: Editor) => void): Promise<Editor> {
    const mm = await mount<WorkflowEditor>('fs-workflow-editor');
    setup(mm);
    mm.el.route = { name: 'edit', ownerId: null, id };
    await waitFor(() => mm.el.draft);
    await mm.el.updateComplete;
    return mm;
  }

  it('refuses Save on a copy of another library\'s id and offers Save As, which makes a new, valid workflow', async () => {
    m = await openOwn('bobs-id', (mm) => {
      createEntry(mm.ws.library.doc, 'bobs-id', workflow('bobs-id', { name: 'Taken' }), { isPublic: true });
      putPublicEntry(mm.ws.publicDoc.doc, 'bobs-id', bobShares('bobs-id'));
    });
    const alert = await waitFor(() => deepAll(m.el, '.banner.quarantine')[0]);
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(alert.textContent).to.include(OWNED_ELSEWHERE);
    const save = byText<HTMLButtonElement>(m.el, 'header button', 'Save')!;
    expect(save.disabled).to.equal(true);
    const saveAs = byText<HTMLButtonElement>(m.el, 'header button', 'Save As')!;
    expect(saveAs.classList.contains('primary')).to.equal(true);
    // Shared in the library, but never visible to others: the Details panel says so.
    expect(deepAll(m.el, 'aside .withheld')[0]?.textContent).to.include(`Shared, but not visible to others: ${OWNED_ELSEWHERE}`);

    // Even when asked directly, Save does not write into the quarantined entry.
    m.el.draft = { ...m.el.draft!, name: 'Edited' };
    expect(m.el.save()).to.equal(false);
    expect((readEntry(m.ws.library.doc, 'bobs-id')!.entry.workflow as Workflow).name).to.equal('Taken');

    byText<HTMLButtonElement>(alert, 'button', 'Save As…')!.click();
    const dialog = deepAll<HTMLDialogElement>(m.el, 'dialog.save-as')[0]!;
    await waitFor(() => dialog.open);
    dialog.querySelector<HTMLFormElement>('form')!.requestSubmit();
    const newId = decodeURIComponent(await waitFor(() => /#\/edit\/([^/]+)$/.exec(location.hash)?.[1]));
    expect(newId).to.not.equal('bobs-id');
    const copy = readEntry(m.ws.library.doc, newId);
    expect(copy?.valid).to.equal(true);
    expect((copy!.entry.workflow as Workflow).name).to.equal('Edited (copy)');
    // The quarantined entry is left as it was (the user may delete it from the library).
    expect(readAll(m.ws.library.doc).map(([id]) => id)).to.include('bobs-id');
  });

  it('refuses Save on an own entry under a default id the same way', async () => {
    m = await openOwn('sys-id', (mm) => {
      createEntry(mm.ws.library.doc, 'sys-id', workflow('sys-id', { name: 'Mine?' }), { isPublic: false });
      putPublicEntry(mm.ws.publicDoc.doc, 'sys-id', defaultEntry('sys-id'));
    });
    await waitFor(() => deepAll(m.el, '.banner.quarantine')[0]?.textContent?.includes(OWNED_ELSEWHERE));
    expect(byText<HTMLButtonElement>(m.el, 'header button', 'Save')!.disabled).to.equal(true);
    // Private: nothing claims it is shared.
    expect(deepAll(m.el, 'aside .withheld')).to.have.length(0);
  });

  it('edits an own workflow normally, and shows the server\'s reason in Details when it keeps the shared workflow out of `public`', async () => {
    m = await openOwn('big', (mm) => createEntry(mm.ws.library.doc, 'big', workflow('big', { name: 'Big' }), { isPublic: true }));
    expect(deepAll(m.el, '.banner.quarantine')).to.have.length(0);
    expect(deepAll(m.el, 'aside .withheld')).to.have.length(0);
    m.ws.verdicts.accept([listItem('big', m.ws.userId, { unpublished_reason: TOO_LARGE })]);
    await waitFor(() => deepAll(m.el, 'aside .withheld')[0]?.textContent?.includes(WITHHELD));
    // Withheld is not quarantined: Save still works.
    m.el.draft = { ...m.el.draft!, name: 'Big v2' };
    await m.el.updateComplete;
    expect(byText<HTMLButtonElement>(m.el, 'header button', 'Save')!.disabled).to.equal(false);
    expect(m.el.save()).to.equal(true);
  });
});

describe('ServerVerdicts', () => {
  it('keeps only the user\'s own flagged items, and keeps the last answer when the server cannot be asked', async () => {
    let answer: () => Promise<WorkflowListItemDTO[]> = async () => [
      listItem('a', 'me', { invalid_reason: SERVER_OWNED_ELSEWHERE }),
      listItem('b', 'me'),
      listItem('c', 'other', { invalid_reason: 'x' }),
    ];
    const verdicts = new ServerVerdicts('me', () => answer());
    let changes = 0;
    verdicts.addEventListener('change', () => changes++);
    await verdicts.refresh();
    expect([...verdicts.all.keys()]).to.deep.equal(['a']);
    expect(verdicts.get('a')).to.deep.equal({ invalidReason: SERVER_OWNED_ELSEWHERE, unpublishedReason: null });
    expect(changes).to.equal(1);

    answer = async () => {
      throw new TypeError('Failed to fetch');
    };
    await verdicts.refresh();
    expect(verdicts.get('a')?.invalidReason).to.equal(SERVER_OWNED_ELSEWHERE);
    // The same answer again is no change (no re-render).
    answer = async () => [listItem('a', 'me', { invalid_reason: SERVER_OWNED_ELSEWHERE })];
    await verdicts.refresh();
    expect(changes).to.equal(1);
    verdicts.stop();
  });

  it('asks once for a burst of triggers, and once more for a trigger that arrives while asking', async () => {
    let calls = 0;
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const asked: Array<() => void> = [];
    const verdicts = new ServerVerdicts('me', async () => {
      calls++;
      asked.shift()?.();
      await gate;
      return [];
    });
    const firstAsk = new Promise<void>((r) => asked.push(r));
    for (let i = 0; i < 20; i++) verdicts.schedule();
    await firstAsk;
    expect(calls).to.equal(1);
    const secondAsk = new Promise<void>((r) => asked.push(r));
    verdicts.schedule();
    verdicts.schedule();
    release();
    gate = Promise.resolve();
    await secondAsk;
    expect(calls).to.equal(2);
    verdicts.stop();
  });
});
