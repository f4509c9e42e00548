import { expect } from 'chai';
import * as Y from 'yjs';
import '../../client/components/library/workflow-library.js';
import type { WorkflowLibrary } from '../../client/components/library/workflow-library.js';
import { SEARCH_DEBOUNCE_MS } from '../../client/components/library/workflow-library.js';
import { createEntry, readEntry, setEntryThumbnail, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import { recordOpened } from '../../shared/workflow/opened-doc.js';
import { putPublicEntry, removePublicEntry } from '../../shared/workflow/public-doc.js';
import type { WorkflowTile } from '../../client/components/tile/workflow-tile.js';
import type { ConfirmDialog } from '../../client/components/dialogs/confirm-dialog.js';
import { bobShares, byText, deepAll, defaultEntry, mount, waitFor, workflow } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowLibrary>>>;

function tiles(el: Element): WorkflowTile[] {
  return deepAll<WorkflowTile>(el, 'fs-workflow-tile');
}
function tileNames(el: Element): string[] {
  return tiles(el).map((t) => t.item.name);
}
function tileButtons(t: WorkflowTile): string[] {
  return deepAll<HTMLButtonElement>(t, 'button').map((b) => b.textContent!.trim());
}
async function showView(el: WorkflowLibrary, label: string): Promise<void> {
  const btn = deepAll<HTMLButtonElement>(el, 'nav button.view').find((b) => b.textContent!.includes(label))!;
  btn.click();
  await el.updateComplete;
}

describe('fs-workflow-library', () => {
  localStorage.removeItem('flowshelf_library_view');
  let m: Mounted;
  afterEach(async () => {
    localStorage.removeItem('flowshelf_library_view');
    await m?.cleanup();
  });

  it('shows the user\'s own workflows from the library document and updates live when another device edits', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    await showView(m.el, 'Your Workflows');
    expect(byText(m.el, '.empty', 'No Workflows')).to.exist;
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Portrait' }), { isPublic: false });
    await waitFor(() => tileNames(m.el).join() === 'Portrait');

    // A second device: its own Y.Doc, synced by exchanging updates as the server would.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
    updateEntryWorkflow(other, 'w1', workflow('w1', { name: 'Portrait v2' }));
    Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
    other.destroy();
    await waitFor(() => tileNames(m.el).join() === 'Portrait v2');
  });

  it('filters by search only after the debounce and shows "No Matching Workflows"', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Upscaler' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', workflow('w2', { name: 'Inpaint' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 2);
    const search = deepAll<HTMLInputElement>(m.el, 'input[type=search]')[0]!;
    search.value = 'upsc';
    search.dispatchEvent(new InputEvent('input'));
    await m.el.updateComplete;
    expect(tiles(m.el)).to.have.length(2, 'not filtered before the debounce');
    await waitFor(() => tileNames(m.el).join() === 'Upscaler', SEARCH_DEBOUNCE_MS + 2000);
    search.value = 'zzz';
    search.dispatchEvent(new InputEvent('input'));
    await waitFor(() => byText(m.el, '.empty', 'No Matching Workflows'));
  });

  it('counts tags of the user\'s workflows and filters by the selected tag', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'One', tags: 'flux, portrait' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', workflow('w2', { name: 'Two', tags: 'flux' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const labels = await waitFor(() => {
      const l = deepAll<HTMLLabelElement>(m.el, '.tags label');
      return l.length === 2 ? l : null;
    });
    expect(labels.map((l) => l.textContent!.replace(/\s+/g, ' ').trim())).to.deep.equal(['flux2', 'portrait1']);
    labels[1]!.querySelector('input')!.click();
    await waitFor(() => tileNames(m.el).join() === 'One');
  });

  it('toggles sharing with the switch: is_public and the shared tag change together', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { tags: 'flux' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const tile = await waitFor(() => tiles(m.el)[0]);
    await tile.updateComplete;
    const sw = deepAll<HTMLInputElement>(tile, 'input[role=switch]')[0]!;
    sw.click();
    await waitFor(() => readEntry(m.ws.library.doc, 'w1')!.entry.is_public);
    const read = readEntry(m.ws.library.doc, 'w1')!;
    expect(read.entry.is_public).to.equal(true);
    expect((read.entry.workflow as { tags: string }).tags).to.equal('flux, shared');
    await waitFor(() => deepAll(tiles(m.el)[0]!, '.badge.shared').length === 1);
  });

  it('deletes only after the confirmation', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const tile = await waitFor(() => tiles(m.el)[0]);
    await tile.updateComplete;
    const dialog = deepAll<ConfirmDialog>(m.el, 'fs-confirm-dialog')[0]!;
    byText<HTMLButtonElement>(tile, 'button', 'Delete')!.click();
    await waitFor(() => dialog.shadowRoot!.querySelector('dialog')!.open);
    byText<HTMLButtonElement>(dialog, 'button', 'Cancel')!.click();
    await waitFor(() => !dialog.shadowRoot!.querySelector('dialog')!.open);
    expect(readEntry(m.ws.library.doc, 'w1')).to.not.equal(null);
    byText<HTMLButtonElement>(tile, 'button', 'Delete')!.click();
    await waitFor(() => dialog.shadowRoot!.querySelector('dialog')!.open);
    byText<HTMLButtonElement>(dialog, 'button', 'Delete')!.click();
    await waitFor(() => readEntry(m.ws.library.doc, 'w1') === null);
    await waitFor(() => tiles(m.el).length === 0);
  });

  it('shows others\' shared workflows read-only and defaults with View, and drops unshared ones live', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    const pub = m.ws.publicDoc.doc;
    putPublicEntry(pub, 's1', bobShares('s1', { name: 'Bob shares' }));
    putPublicEntry(pub, 'default_x', defaultEntry('default_x'));
    await showView(m.el, 'Shared Workflows');
    const shared = await waitFor(() => tiles(m.el)[0]);
    await shared.updateComplete;
    expect(shared.item.name).to.equal('Bob shares');
    expect(tileButtons(shared)).to.deep.equal(['View', 'Download']);
    expect(deepAll(shared, '.badge.shared')).to.have.length(1);
    removePublicEntry(pub, 's1');
    await waitFor(() => byText(m.el, '.empty', 'No Workflows'));

    await showView(m.el, 'Browse Workflows');
    const def = await waitFor(() => tiles(m.el)[0]);
    await def.updateComplete;
    expect(tileButtons(def)).to.deep.equal(['View', 'Download']);
  });

  it('lets an administrator edit and delete others\' shared workflows', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library', { isAdmin: true });
    putPublicEntry(m.ws.publicDoc.doc, 's1', bobShares('s1'));
    await showView(m.el, 'Shared Workflows');
    const t = await waitFor(() => tiles(m.el)[0]);
    await t.updateComplete;
    expect(tileButtons(t)).to.deep.equal(['Edit', 'Download', 'Delete']);
  });

  it('hides Shared Workflows and the Shared switch in single-user mode', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library', { multiuser: false });
    createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: true });
    await showView(m.el, 'Your Workflows');
    const t = await waitFor(() => tiles(m.el)[0]);
    await t.updateComplete;
    expect(deepAll(m.el, 'nav button.view').map((b) => b.textContent!.replace(/\d+/g, '').trim())).to.deep.equal([
      'Recently Opened',
      'Your Workflows',
      'Browse Workflows',
    ]);
    expect(deepAll(t, 'input[role=switch]')).to.have.length(0);
    expect(deepAll(t, '.badge.shared')).to.have.length(0);
  });

  it('keeps the side nav the full height of the screen when the list is short (the dialogs take no grid track)', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    m.el.style.height = '600px';
    await showView(m.el, 'Your Workflows');
    const nav = deepAll<HTMLElement>(m.el, 'nav')[0]!;
    expect(nav.getBoundingClientRect().height).to.equal(600);
    // "New Workflow" sits at the bottom of the nav, not halfway down.
    const newButton = byText<HTMLButtonElement>(m.el, 'button', 'New Workflow')!;
    expect(nav.getBoundingClientRect().bottom - newButton.getBoundingClientRect().bottom).to.be.lessThan(60);
  });

  it('puts a tile\'s Edit, Download and Delete on one line, below the Shared switch', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    m.el.style.width = '900px';
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Buttons' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const t = await waitFor(() => tiles(m.el)[0]);
    await t.updateComplete;
    const tops = ['Edit', 'Download', 'Delete'].map((label) => byText<HTMLButtonElement>(t, 'button', label)!.getBoundingClientRect().top);
    expect(new Set(tops).size).to.equal(1, String(tops));
    const sw = deepAll<HTMLInputElement>(t, 'input[role=switch]')[0]!;
    expect(sw.getBoundingClientRect().bottom).to.be.lessThan(tops[0]!);
  });
  it('a tile\'s image follows the thumbnail version in the documents, so an upload on another device shows live', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Pictured' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const t = await waitFor(() => tiles(m.el)[0]);
    // The server records a version on another device's upload; it reaches this copy by sync.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
    setEntryThumbnail(other, 'w1', 'v-one');
    Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
    await waitFor(() => t.thumbnail.endsWith('/workflows/i/w1/thumbnail?v=v-one'));
    setEntryThumbnail(other, 'w1', null);
    Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
    other.destroy();
    await waitFor(() => t.thumbnail === '');

    // A shared workflow of another user: the version comes from `public`.
    const entry = bobShares('s1', { name: 'Bob shares' });
    putPublicEntry(m.ws.publicDoc.doc, 's1', entry);
    await showView(m.el, 'Shared Workflows');
    const shared = await waitFor(() => tiles(m.el).find((x) => x.item.id === 's1'));
    expect(shared.thumbnail).to.equal('');
    putPublicEntry(m.ws.publicDoc.doc, 's1', { ...entry, thumbnail: 'v-two' });
    await waitFor(() => shared.thumbnail.endsWith('/workflows/i/s1/thumbnail?v=v-two'));
  });

  it('Recently Opened lists a default and a shared workflow opened on another device, newest first', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    putPublicEntry(m.ws.publicDoc.doc, 's1', bobShares('s1', { name: 'Bob shares' }));
    putPublicEntry(m.ws.publicDoc.doc, 'default_x', defaultEntry('default_x'));
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Mine' }), { isPublic: false });
    await showView(m.el, 'Recently Opened');
    expect(tileNames(m.el)).to.deep.equal([]);
    // Another device of the same user opens them: the times arrive in the user's library document.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
    recordOpened(other, 'default_x', '2026-05-01T10:00:00.000Z');
    recordOpened(other, 's1', '2026-05-02T10:00:00.000Z');
    Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
    other.destroy();
    await waitFor(() => tileNames(m.el).join() === 'Bob shares,Default X');
    // Opened elsewhere, so read-only here.
    expect(tileButtons(tiles(m.el)[0]!)).to.not.include('Edit');
  });
});
