// Ticking Shared in the editor's Details never writes "shared" into the Tags field (issue 7, point 8):
// the field holds the other tags, a `shared` badge stands beside them while the workflow is shared,
// and the stored tags still carry the tag exactly when is_public says so (shared/workflow/tags.ts).
import { expect } from 'chai';
import '../../client/components/editor/workflow-editor.js';
import { createEntry, readEntry } from '../../shared/workflow/library-doc.js';
import { putPublicEntry } from '../../shared/workflow/public-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { bobShares, byText, deepAll, waitFor, workflow } from './helpers.js';
import { openEditor, type MountedEditor } from './editor-fixture.js';

type Mounted = MountedEditor;

const tagsInput = (m: Mounted) => deepAll<HTMLInputElement>(m.el, 'input[name=tags]')[0]!;
const sharedBox = (m: Mounted) => deepAll<HTMLInputElement>(m.el, 'aside input[name=shared]')[0]!;
/** The badge beside the Tags field (the field sits after the Tags label, wherever it is drawn). */
const sharedBadge = (m: Mounted) => {
  const input = tagsInput(m);
  return deepAll(input.getRootNode() as ShadowRoot, '.badge').find((b) => b.textContent!.trim() === 'shared');
};
const storedTags = (m: Mounted, id: string) => (readEntry(m.ws.library.doc, id)!.entry.workflow as Workflow).tags;

/** Types into the Tags field as a user does: the value changes, then an input event. */
async function type(m: Mounted, text: string): Promise<void> {
  const input = tagsInput(m);
  input.focus();
  input.value = text;
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  await m.el.updateComplete;
}

async function tickShared(m: Mounted, on: boolean): Promise<void> {
  const box = sharedBox(m);
  if (box.checked !== on) box.click();
  await waitFor(() => readEntry(m.ws.library.doc, 'w1')!.entry.is_public === on);
  await m.el.updateComplete;
  await new Promise((r) => requestAnimationFrame(r));
}

describe('the shared tag in the editor', () => {
  let m: Mounted;
  const prevHash = location.hash;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', prevHash || '#');
  });

  it('ticking Shared leaves the Tags field as it is and shows a shared badge beside it', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) =>
      createEntry(mm.ws.library.doc, 'w1', workflow('w1', { tags: 'portrait' }), { isPublic: false }),
    );
    expect(tagsInput(m).value).to.equal('portrait');
    expect(sharedBadge(m)).to.equal(undefined);

    await tickShared(m, true);
    expect(storedTags(m, 'w1')).to.equal('portrait, shared');
    expect(tagsInput(m).value).to.equal('portrait');
    expect(sharedBadge(m)).to.exist;
    expect(m.el.dirty).to.equal(false);

    await tickShared(m, false);
    expect(tagsInput(m).value).to.equal('portrait');
    expect(sharedBadge(m)).to.equal(undefined);
    expect(m.el.dirty).to.equal(false);
  });

  it('while the user types tags, ticking Shared changes nothing they typed, and Save stores the tag with them', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) =>
      createEntry(mm.ws.library.doc, 'w1', workflow('w1', { tags: 'portrait' }), { isPublic: false }),
    );
    await type(m, 'portrait, fl');
    await tickShared(m, true);
    expect(tagsInput(m).value).to.equal('portrait, fl');
    expect(sharedBadge(m)).to.exist;

    // Still typing, now shared: a trailing separator stays where the user put it.
    await type(m, 'portrait, flux, ');
    expect(tagsInput(m).value).to.equal('portrait, flux, ');
    await type(m, 'portrait, flux, night');
    byText<HTMLButtonElement>(m.el, 'header button', 'Save')!.click();
    await m.el.updateComplete;
    expect(storedTags(m, 'w1')).to.equal('portrait, flux, night, shared');
    expect(tagsInput(m).value).to.equal('portrait, flux, night');
    expect(m.el.dirty).to.equal(false);
  });

  it('a shared workflow opens with its other tags in the field and the badge, also read-only', async () => {
    m = await openEditor({ name: 'view', id: 's1' }, (mm) =>
      putPublicEntry(mm.ws.publicDoc.doc, 's1', bobShares('s1', { tags: 'shared, flux' })),
    );
    expect(tagsInput(m).value).to.equal('flux');
    expect(tagsInput(m).readOnly).to.equal(true);
    expect(sharedBadge(m)).to.exist;
  });
});
