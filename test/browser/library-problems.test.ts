// The library's problem badges (issue 7, point 4, library part): tiles of workflows whose graph has
// problems against the node templates say "N problems"; the checks run after the list is drawn and
// are cached per workflow version, so the list is not slowed and an edit rechecks one workflow.
import { expect } from 'chai';
import * as Y from 'yjs';
import '../../client/components/library/workflow-library.js';
import type { WorkflowLibrary } from '../../client/components/library/workflow-library.js';
import type { WorkflowTile } from '../../client/components/tile/workflow-tile.js';
import { createEntry, readEntry, setEntryOpenedAt, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import { putPublicEntry } from '../../shared/workflow/public-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { deepAll, mount, waitFor } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowLibrary>>>;

/** The 26 default workflows the server ships (server/library/default-workflows). */
const DEFAULTS = [
  'CogView4_TextToImage.json',
  'ESRGAN Upscaling with Canny ControlNet.json',
  'Extend Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Extend Video - Wan 2.2 Lightning.json',
  'Extend Video to Image - Wan 2.2 Lightning.json',
  'FLUX Image to Image.json',
  'Face Detailer with IP-Adapter & Canny (See Note in Details).json',
  'Flux Text to Image.json',
  'Image to Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Image to Video - Wan 2.2 Lightning.json',
  'Image to Video - Wan 2.2 TI2V-5B (Low Quality).json',
  'Interpolate 2 Images to Video - Wan 2.2 Lightning.json',
  'Multi ControlNet (Canny & Depth).json',
  'MultiDiffusion SD1.5.json',
  'MultiDiffusion SDXL.json',
  'Prompt from File.json',
  'SD3.5 Text to Image.json',
  'Text to Image - SD1.5.json',
  'Text to Image - SDXL.json',
  'Text to Image with LoRA.json',
  'Text to Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Text to Video - Wan 2.2 Lightning.json',
  'Text to Video - Wan 2.2 TI2V-5B (Low Quality).json',
  'Tiled Upscaling (Beta).json',
  'Wan 2.2 Image to Image.json',
  'Wan 2.2 Text to Image.json',
];
/** The three that still use node types InvokeAI's schema no longer has (canny, midas depth). */
const WITH_UNKNOWN_NODES = [
  'ESRGAN Upscaling with Canny ControlNet.json',
  'Face Detailer with IP-Adapter & Canny (See Note in Details).json',
  'Multi ControlNet (Canny & Depth).json',
];

const defaults = new Map<string, Workflow>();
async function defaultWorkflow(file: string): Promise<Workflow> {
  if (!defaults.has(file)) {
    // JSON files are served as JS modules to component tests (web-test-runner.config.mjs).
    const url = `/server/library/default-workflows/${encodeURIComponent(file)}`;
    defaults.set(file, ((await import(url)) as { default: Workflow }).default);
  }
  return structuredClone(defaults.get(file)!);
}

/** A user's copy of a default, as Save As makes it. */
async function userCopy(file: string, id: string): Promise<Workflow> {
  const wf = await defaultWorkflow(file);
  return { ...wf, id, meta: { ...wf.meta, category: 'user' } } as Workflow;
}

const tiles = (el: Element): WorkflowTile[] => deepAll<WorkflowTile>(el, 'fs-workflow-tile');
const badgeOf = (t: WorkflowTile): HTMLElement | undefined => deepAll(t, '.badge.problems')[0];

async function showView(el: WorkflowLibrary, label: string): Promise<void> {
  deepAll<HTMLButtonElement>(el, 'nav button.view').find((b) => b.textContent!.includes(label))!.click();
  await el.updateComplete;
}

/** Another device's edit of the workflow, arriving by sync. */
function editElsewhere(m: Mounted, id: string, edit: (wf: Workflow) => void): void {
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
  const r = readEntry(other, id);
  if (!r?.valid) throw new Error('not valid');
  const wf = structuredClone(r.workflow);
  edit(wf);
  updateEntryWorkflow(other, id, wf);
  Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
  other.destroy();
}

describe('problem badges in the library', () => {
  let m: Mounted;
  beforeEach(() => localStorage.removeItem('flowshelf_library_view'));
  afterEach(async () => {
    localStorage.removeItem('flowshelf_library_view');
    await m?.cleanup();
  });

  it('Browse Workflows flags exactly the three defaults that use node types missing from the schema', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    for (const file of DEFAULTS) {
      const wf = await defaultWorkflow(file);
      putPublicEntry(m.ws.publicDoc.doc, wf.id, {
        workflow: wf,
        user_id: 'system',
        owner_name: 'System',
        is_public: false,
        category: 'default',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      });
    }
    await showView(m.el, 'Browse Workflows');
    await waitFor(() => tiles(m.el).length === DEFAULTS.length);
    const flaggedNames = new Set(await Promise.all(WITH_UNKNOWN_NODES.map(async (f) => (await defaultWorkflow(f)).name)));
    const flagged = await waitFor(() => {
      const withBadge = tiles(m.el).filter((t) => badgeOf(t));
      return withBadge.length === flaggedNames.size && m.el.problems.checked === DEFAULTS.length ? withBadge : null;
    }, 8000);
    expect(new Set(flagged.map((t) => t.item.name))).to.deep.equal(flaggedNames);
    for (const t of flagged) {
      expect(badgeOf(t)!.textContent).to.match(/^\d+ problems?$/);
      expect(badgeOf(t)!.title).to.match(/unknown|not known|canny|midas/i);
    }
  });

  it('an edit from another device rechecks that workflow alone; fixing it removes the badge', async () => {
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    createEntry(m.ws.library.doc, 'w1', await userCopy('Text to Image - SD1.5.json', 'w1'), { isPublic: false });
    createEntry(m.ws.library.doc, 'w2', await userCopy('Flux Text to Image.json', 'w2'), { isPublic: false });
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 2 && m.el.problems.checked === 2);
    expect(tiles(m.el).filter((t) => badgeOf(t))).to.have.length(0);

    let removed: Workflow['nodes'][number] | undefined;
    editElsewhere(m, 'w1', (wf) => {
      // A node type from a custom node pack this install does not know.
      removed = structuredClone(wf.nodes[0]);
      (wf.nodes[0] as unknown as { data: { type: string } }).data.type = 'my_custom_pack_node';
    });
    const t1 = () => tiles(m.el).find((t) => t.item.id === 'w1')!;
    const badge = await waitFor(() => badgeOf(t1()));
    expect(badge.textContent).to.match(/^\d+ problems?$/);
    expect(m.el.problems.checked).to.equal(3);

    // Opening it (a change of the entry, not of the graph) checks it once more, and nothing else.
    setEntryOpenedAt(m.ws.library.doc, 'w2', '2026-02-01T00:00:00.000Z');
    await waitFor(() => m.el.problems.checked === 4);

    editElsewhere(m, 'w1', (wf) => {
      wf.nodes[0] = removed!;
    });
    await waitFor(() => !badgeOf(t1()));
    expect(m.el.problems.checked).to.equal(5);
  });

  it('a 1,000-workflow library lists at once and gets its badges in idle time (times printed)', async function () {
    this.timeout(120_000);
    m = await mount<WorkflowLibrary>('fs-workflow-library');
    const copies = await Promise.all(DEFAULTS.map((f, i) => userCopy(f, `seed-${i}`)));
    const doc = m.ws.library.doc;
    doc.transact(() => {
      for (let i = 0; i < 1000; i++) {
        const id = `w${String(i).padStart(4, '0')}`;
        createEntry(doc, id, { ...copies[i % copies.length]!, id, name: `Workflow ${i}` }, { isPublic: false });
      }
    });
    const expectedFlagged = Array.from({ length: 1000 }, (_, i) => DEFAULTS[i % DEFAULTS.length]!).filter((f) =>
      WITH_UNKNOWN_NODES.includes(f),
    ).length;

    const t0 = performance.now();
    await showView(m.el, 'Your Workflows');
    await waitFor(() => tiles(m.el).length === 1000, 30_000);
    await Promise.all(tiles(m.el).map((t) => t.updateComplete));
    const listed = performance.now() - t0;
    const checkedAtList = m.el.problems.checked;

    await waitFor(() => m.el.problems.checked === 1000, 90_000);
    const allChecked = performance.now() - t0;
    await m.el.updateComplete;
    await Promise.all(tiles(m.el).map((t) => t.updateComplete));
    expect(tiles(m.el).filter((t) => badgeOf(t))).to.have.length(expectedFlagged);

    // Warm: a re-render reads only the cache.
    const t1 = performance.now();
    m.el.requestUpdate();
    await m.el.updateComplete;
    const rerender = performance.now() - t1;
    expect(m.el.problems.checked).to.equal(1000);

    // One workflow edited on another device: that entry alone is read again, the other 999 tiles keep
    // their item objects (so they skip their updates) and their checks.
    const before = new Map(tiles(m.el).map((t) => [t.item.id, t.item]));
    editElsewhere(m, 'w0500', (wf) => {
      wf.name = 'Renamed elsewhere';
    });
    await waitFor(() => tiles(m.el).some((t) => t.item.name === 'Renamed elsewhere'));
    const changedItems = tiles(m.el).filter((t) => before.get(t.item.id) !== t.item).map((t) => t.item.id);
    expect(changedItems).to.deep.equal(['w0500']);
    await waitFor(() => m.el.problems.checked === 1001);

    console.log(
      `library of 1000 workflows: listed in ${listed.toFixed(0)} ms (${checkedAtList} checked by then), ` +
        `every badge known after ${allChecked.toFixed(0)} ms (${m.el.problems.checkingMs.toFixed(0)} ms of checking), ` +
        `warm re-render ${rerender.toFixed(0)} ms`,
    );
    // The list does not wait for the checks: they cannot all have run before it was drawn.
    expect(checkedAtList).to.be.lessThan(1000);
  });
});
