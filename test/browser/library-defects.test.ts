// The library's defects found in the editor trial (issue 7, point 8): tag spellings that differ only in
// case, the Order by of Shared Workflows, and thumbnails asked for workflows that have none.
import { expect } from 'chai';
import '../../client/components/library/workflow-library.js';
import type { WorkflowLibrary } from '../../client/components/library/workflow-library.js';
import type { WorkflowTile } from '../../client/components/tile/workflow-tile.js';
import { createEntry, setEntryThumbnail } from '../../shared/workflow/library-doc.js';
import { putPublicEntry } from '../../shared/workflow/public-doc.js';
import { bobShares, deepAll, mount, waitFor, workflow } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowLibrary>>>;

const tiles = (el: Element): WorkflowTile[] => deepAll<WorkflowTile>(el, 'fs-workflow-tile');
const tileNames = (el: Element): string[] => tiles(el).map((t) => t.item.name);
const tagLabels = (el: Element): HTMLLabelElement[] => deepAll<HTMLLabelElement>(el, '.tags label');
const labelText = (l: HTMLLabelElement): string => l.textContent!.replace(/\s+/g, ' ').trim();

async function showView(el: WorkflowLibrary, label: string): Promise<void> {
  deepAll<HTMLButtonElement>(el, 'nav button.view').find((b) => b.textContent!.includes(label))!.click();
  await el.updateComplete;
}

function select(el: WorkflowLibrary, label: string): HTMLSelectElement | undefined {
  return deepAll<HTMLSelectElement>(el, `select[aria-label="${label}"]`)[0];
}

async function choose(el: WorkflowLibrary, label: string, value: string): Promise<void> {
  const s = select(el, label)!;
  s.value = value;
  s.dispatchEvent(new Event('change'));
  await el.updateComplete;
}

describe('library defects of the trial', () => {
  const PREFS_KEY = 'flowshelf_library_view';
  let m: Mounted;
  beforeEach(() => localStorage.removeItem(PREFS_KEY));
  afterEach(async () => {
    localStorage.removeItem(PREFS_KEY);
    await m?.cleanup();
  });

  it('lists a tag spelled in several cases once, with every spelling counted and filtered', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'One', tags: 'Text to Image 2' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', workflow('w2', { name: 'Two', tags: 'text to image 2' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w3', workflow('w3', { name: 'Three', tags: 'Text to Image 2, portrait' }), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    const labels = await waitFor(() => (tagLabels(m.el).length > 0 ? tagLabels(m.el) : null));
    expect(labels.map(labelText)).to.deep.equal(['Text to Image 23', 'portrait1']);

    labels[0]!.querySelector('input')!.click();
    await m.el.updateComplete;
    expect(tileNames(m.el).sort()).to.deep.equal(['One', 'Three', 'Two']);
    labels[1]!.querySelector('input')!.click();
    await m.el.updateComplete;
    expect(tileNames(m.el)).to.have.length(3);
    // Unticking the grouped tag drops it (not a second spelling of it) from the selection.
    labels[0]!.querySelector('input')!.click();
    await m.el.updateComplete;
    expect(m.el.selectedTags).to.deep.equal(['portrait']);
    expect(tileNames(m.el)).to.deep.equal(['Three']);
  });

  it('a tag selected earlier under another spelling shows ticked and unticks', async () => {
    localStorage.setItem(PREFS_KEY, JSON.stringify({ view: 'yours', selectedTags: ['TEXT TO IMAGE 2'] }));
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'One', tags: 'text to image 2' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', workflow('w2', { name: 'Two', tags: 'other' }), { isPublic: false });
    const labels = await waitFor(() => (tagLabels(m.el).length === 2 ? tagLabels(m.el) : null));
    expect(labels.map(labelText)).to.deep.equal(['other1', 'text to image 21']);
    const box = labels[1]!.querySelector('input')!;
    expect(box.checked).to.equal(true);
    expect(tileNames(m.el)).to.deep.equal(['One']);
    box.click();
    await m.el.updateComplete;
    expect(m.el.selectedTags).to.deep.equal([]);
    expect(tileNames(m.el)).to.have.length(2);
  });

  it('Shared Workflows has Order by: it opens by name ascending and the user can change it', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    putPublicEntry(m.ws.publicDoc.doc, 's1', { ...bobShares('s1', { name: 'Apple' }), created_at: '2026-01-03T00:00:00.000Z' });
    putPublicEntry(m.ws.publicDoc.doc, 's2', { ...bobShares('s2', { name: 'Banana' }), created_at: '2026-01-01T00:00:00.000Z' });
    putPublicEntry(m.ws.publicDoc.doc, 's3', { ...bobShares('s3', { name: 'Cherry' }), created_at: '2026-01-02T00:00:00.000Z' });
    await showView(m.el, 'Your Workflows');
    await choose(m.el, 'Order by', 'updated_at');
    await choose(m.el, 'Direction', 'DESC');

    await showView(m.el, 'Shared Workflows');
    await waitFor(() => tiles(m.el).length === 3);
    expect(select(m.el, 'Order by')?.value).to.equal('name');
    expect(select(m.el, 'Direction')?.value).to.equal('ASC');
    expect(tileNames(m.el)).to.deep.equal(['Apple', 'Banana', 'Cherry']);
    await choose(m.el, 'Direction', 'DESC');
    expect(tileNames(m.el)).to.deep.equal(['Cherry', 'Banana', 'Apple']);
    await choose(m.el, 'Order by', 'created_at');
    expect(tileNames(m.el)).to.deep.equal(['Apple', 'Cherry', 'Banana']);

    // Recently Opened keeps its fixed order and has no control.
    await showView(m.el, 'Recently Opened');
    expect(select(m.el, 'Order by')).to.equal(undefined);
  });

  it('asks for no thumbnail of a workflow whose entry records none', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', workflow('w1', { name: 'Never had one' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', workflow('w2', { name: 'Removed' }), { isPublic: false });
    createEntry(m.ws.library.doc, 'w3', workflow('w3', { name: 'Pictured' }), { isPublic: false });
    setEntryThumbnail(m.ws.library.doc, 'w2', null);
    setEntryThumbnail(m.ws.library.doc, 'w3', 'v-three');
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 3);
    const byName = new Map(tiles(m.el).map((t) => [t.item.name, t]));
    expect(byName.get('Never had one')!.thumbnail).to.equal('');
    expect(byName.get('Removed')!.thumbnail).to.equal('');
    expect(byName.get('Pictured')!.thumbnail).to.match(/\/workflows\/i\/w3\/thumbnail\?v=v-three$/);
    // No <img> means no request (the one of Pictured may already have failed here: nothing serves it).
    expect(deepAll(byName.get('Never had one')!, 'img')).to.have.length(0);
    expect(deepAll(byName.get('Removed')!, 'img')).to.have.length(0);
  });
});
