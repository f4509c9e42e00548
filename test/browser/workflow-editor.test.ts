import { expect } from 'chai';
import * as Y from 'yjs';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { createEntry, readEntry, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import { putPublicEntry } from '../../shared/workflow/public-doc.js';
import { openedMap, readOpened } from '../../shared/workflow/opened-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { bobShares, byText, deepAll, defaultEntry, waitFor, workflow } from './helpers.js';
import { openEditor, type MountedEditor } from './editor-fixture.js';

type Mounted = MountedEditor;

const stored = (m: Mounted, id: string): Workflow => {
  const r = readEntry(m.ws.library.doc, id);
  if (!r?.valid) throw new Error('not valid');
  return r.workflow;
};
const nodeLabel = (wf: { nodes: unknown[] }, id: string) =>
  (wf.nodes.find((n) => (n as { id: string }).id === id) as { data: { label: string } }).data.label;

describe('fs-workflow-editor', () => {
  let m: Mounted;
  const prevHash = location.hash;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', prevHash || '#');
  });

  it('draws the nodes and edges of the stored workflow in SVG', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) =>
      createEntry(mm.ws.library.doc, 'w1', workflow('w1'), { isPublic: false }),
    );
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    expect(deepAll(graph, 'g.node')).to.have.length(2);
    expect(deepAll(graph, 'path.edge')).to.have.length(1);
    expect(deepAll<SVGTextElement>(graph, 'g.node text').map((t) => t.textContent)).to.include('Create Latent Noise');
  });

  it('saves the draft into the document, merging an edit another device made meanwhile', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) =>
      createEntry(mm.ws.library.doc, 'w1', workflow('w1'), { isPublic: false }),
    );
    // Here: edit node n1's seed through the graph's input.
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    const seed = deepAll<HTMLInputElement>(graph, 'input[aria-label="Create Latent Noise Seed"]')[0]!;
    seed.value = '42';
    seed.dispatchEvent(new Event('change'));
    await m.el.updateComplete;
    expect(m.el.dirty).to.equal(true);

    // Meanwhile another device renames node n2 and its update arrives.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
    const theirs = structuredClone(stored(m, 'w1')) as unknown as { nodes: { id: string; data: { label: string } }[] };
    theirs.nodes.find((n) => n.id === 'n2')!.data.label = 'Decode';
    updateEntryWorkflow(other, 'w1', theirs as unknown as Workflow);
    Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
    other.destroy();
    await waitFor(() => nodeLabel(m.el.draft!, 'n2') === 'Decode');

    deepAll<HTMLButtonElement>(m.el, 'header button.primary')[0]!.click();
    const saved = stored(m, 'w1') as unknown as { nodes: { id: string; data: { label: string; inputs: { seed?: { value: number } } } }[] };
    expect(saved.nodes.find((n) => n.id === 'n1')!.data.inputs.seed!.value).to.equal(42);
    expect(nodeLabel(saved, 'n2')).to.equal('Decode');
    expect(m.el.dirty).to.equal(false);
  });

  it('records when the user opened their workflow (Recently Opened)', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) =>
      createEntry(mm.ws.library.doc, 'w1', workflow('w1'), { isPublic: false }),
    );
    await waitFor(() => readEntry(m.ws.library.doc, 'w1')!.entry.opened_at);
  });

  it('records opening a default workflow in the user\'s own library (the `opened` map), leaving `public` alone', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    m = await openEditor({ name: 'view', id: 'default_x' }, (mm) =>
      putPublicEntry(mm.ws.publicDoc.doc, 'default_x', defaultEntry('default_x')),
    );
    const opened = await waitFor(() => readOpened(m.ws.library.doc, 'default_x'));
    expect(Date.parse(opened)).to.be.greaterThan(Date.parse(at));
    expect(readEntry(m.ws.library.doc, 'default_x')).to.equal(null);
    expect(openedMap(m.ws.publicDoc.doc).size).to.equal(0);
  });

  it('shows others\' shared workflows read-only: no Save, but Save As copies it into the user\'s library', async () => {
    m = await openEditor({ name: 'view', id: 's1' }, (mm) =>
      putPublicEntry(mm.ws.publicDoc.doc, 's1', bobShares('s1', { name: 'Bob flow' })),
    );
    expect(deepAll(m.el, 'header button').map((b) => b.textContent!.trim())).to.not.include('Save');
    expect(deepAll<HTMLInputElement>(m.el, 'aside input[name=name]')[0]!.readOnly).to.equal(true);
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    expect(graph.readonly).to.equal(true);
    expect(byText(graph, 'button', 'Add node')).to.equal(undefined);

    byText<HTMLButtonElement>(m.el, 'button', 'Save As')!.click();
    const dialog = deepAll<HTMLDialogElement>(m.el, 'dialog.save-as')[0]!;
    await waitFor(() => dialog.open);
    const name = dialog.querySelector<HTMLInputElement>('input[name=name]')!;
    expect(name.value).to.equal('Bob flow (copy)');
    dialog.querySelector<HTMLFormElement>('form')!.requestSubmit();
    const copyId = await waitFor(() => /#\/edit\/([^/]+)$/.exec(location.hash)?.[1]);
    const copy = readEntry(m.ws.library.doc, decodeURIComponent(copyId));
    expect(copy?.valid).to.equal(true);
    expect(copy!.entry.is_public).to.equal(false);
    expect((copy!.entry.workflow as Workflow).name).to.equal('Bob flow (copy)');
    // The copy is private: the shared tag goes with is_public.
    expect((copy!.entry.workflow as Workflow).tags).to.equal('');
  });

  it('Save As starts shared for an administrator (their workflows are meant for everyone) and private for others', async () => {
    for (const isAdmin of [true, false]) {
      m = await openEditor(
        { name: 'edit', ownerId: null, id: 'w1' },
        (mm) => createEntry(mm.ws.library.doc, 'w1', workflow('w1'), { isPublic: false }),
        { isAdmin },
      );
      byText<HTMLButtonElement>(m.el, 'button', 'Save As')!.click();
      const dialog = deepAll<HTMLDialogElement>(m.el, 'dialog.save-as')[0]!;
      await waitFor(() => dialog.open);
      expect(dialog.querySelector<HTMLInputElement>('input[name=shared]')!.checked).to.equal(isAdmin);
      dialog.close();
      await m.cleanup();
    }
  });

  it('tells the viewer when a shared workflow stops being shared', async () => {
    m = await openEditor({ name: 'view', id: 's1' }, (mm) =>
      putPublicEntry(mm.ws.publicDoc.doc, 's1', bobShares('s1')),
    );
    m.ws.publicDoc.doc.getMap('workflows').delete('s1');
    await waitFor(() => deepAll(m.el, '[role=alert]').some((e) => e.textContent!.includes('no longer shared')));
  });
});
