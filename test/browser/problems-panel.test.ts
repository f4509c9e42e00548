// The problems panel (issue 7 point 4): the editor checks the workflow against the node templates on
// load, import and save, lists the problems in plain words, takes the user to a problem's node, and
// still saves a workflow with problems. A real editor over a real (offline) workspace in Chromium.
import { expect } from 'chai';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { workflowProblems, type ProblemsPanel } from '../../client/components/editor/problems-panel.js';
import { createEntry, readEntry } from '../../shared/workflow/library-doc.js';
import { setPendingDraft } from '../../client/data/draft-store.js';
import { parseWorkflowText } from '../../client/data/workflow-file.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { deepAll, workflow } from './helpers.js';
import { openEditor, type MountedEditor } from './editor-fixture.js';
import { nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { templateFor } from '../../shared/node-templates/index.js';

type Mounted = MountedEditor;

/** Node n1 (noise) fine; n3 a custom node pack's type far away; an edge into a field l2i does not have. */
function troubled(id: string): Workflow {
  const wf = workflow(id);
  const nodes = wf.nodes as unknown as Array<Record<string, unknown>>;
  nodes.push({
    id: 'n3',
    type: 'invocation',
    data: { id: 'n3', type: 'my_pack_sharpen', version: '1.0.0', label: '', inputs: { amount: { name: 'amount', label: '', value: 2 } } },
    position: { x: 4000, y: 3000 },
  });
  (wf.edges as unknown as Array<Record<string, unknown>>).push({ id: 'e2', source: 'n1', sourceHandle: 'noise', target: 'n2', targetHandle: 'no_such_input', type: 'default' });
  return wf;
}

const panel = (m: Mounted) => deepAll<ProblemsPanel>(m.el, 'fs-problems-panel')[0]!;
const items = (m: Mounted) => deepAll(panel(m), 'li').map((li) => li.querySelector('.msg')!.textContent!.trim());

describe('problems panel', () => {
  let m: Mounted;
  const prevHash = location.hash;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', prevHash || '#');
  });

  it('lists the problems of an opened workflow in plain words, errors first', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) => createEntry(mm.ws.library.doc, 'w1', troubled('w1'), { isPublic: false }));
    await panel(m).updateComplete;
    const texts = items(m);
    expect(texts.some((t) => /my_pack_sharpen/.test(t) && /not known/i.test(t)), texts.join('\n')).to.equal(true);
    expect(texts.some((t) => /no_such_input/.test(t)), texts.join('\n')).to.equal(true);
    const kinds = deepAll(panel(m), 'li .kind').map((k) => k.textContent);
    expect(kinds.indexOf('Warning') === -1 || kinds.lastIndexOf('Error') < kinds.indexOf('Warning')).to.equal(true);
    expect(deepAll<HTMLDetailsElement>(panel(m), 'details')[0]!.open).to.equal(true);
    expect(deepAll(panel(m), 'summary [role=status]')[0]!.textContent).to.match(/^\d+ errors?/);
  });

  it('marks each node concerned on the canvas with a badge listing its problems', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) => createEntry(mm.ws.library.doc, 'w1', troubled('w1'), { isPublic: false }));
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    const badge = deepAll<SVGGElement>(graph, 'g.node[data-node-id="n3"] .problem-badge')[0]!;
    expect(badge.classList.contains('error')).to.equal(true);
    expect(badge.getAttribute('aria-label')).to.match(/^1 problem: .*my_pack_sharpen/);
    // The edge into a field l2i does not have is a problem of l2i (n2).
    expect(deepAll(graph, 'g.node[data-node-id="n2"] .problem-badge')[0]!.getAttribute('aria-label')).to.match(/no_such_input/);
  });

  it('Show node selects the node and centres the view on it', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) => createEntry(mm.ws.library.doc, 'w1', troubled('w1'), { isPublic: false }));
    await panel(m).updateComplete;
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    const li = deepAll(panel(m), 'li').find((l) => /my_pack_sharpen/.test(l.textContent!))!;
    (li.querySelector('button') as HTMLButtonElement).click();
    await graph.updateComplete;
    expect([...graph.selection.nodes]).to.deep.equal(['n3']);
    const v = graph.viewport.view;
    const centreX = v.x + v.w / 2;
    const centreY = v.y + v.h / 2;
    // n3 sits at (4000, 3000): the view's centre is now within the node.
    expect(centreX).to.be.within(4000, 4260);
    expect(centreY).to.be.within(3000, 3200);
  });

  it('a workflow with problems can still be saved, and is checked again after the save', async () => {
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w1' }, (mm) => createEntry(mm.ws.library.doc, 'w1', troubled('w1'), { isPublic: false }));
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    const seed = deepAll<HTMLInputElement>(graph, 'input[aria-label="Create Latent Noise Seed"]')[0]!;
    seed.value = '7';
    seed.dispatchEvent(new Event('change'));
    await m.el.updateComplete;
    const before = items(m).length;
    expect(m.el.save()).to.equal(true);
    const r = readEntry(m.ws.library.doc, 'w1')!;
    expect(r.valid).to.equal(true);
    const saved = (r as { workflow: Workflow }).workflow;
    expect(saved.nodes.map((n) => n.id)).to.deep.equal(['n1', 'n2', 'n3']);
    expect(saved.edges.map((e) => e.id)).to.deep.equal(['e1', 'e2']);
    await m.el.updateComplete;
    await panel(m).updateComplete;
    expect(items(m)).to.have.length(before);
  });

  it('checks a workflow loaded from a file', async () => {
    const loaded = parseWorkflowText(JSON.stringify(troubled('x')));
    if (!loaded.ok) throw new Error(loaded.error);
    setPendingDraft(loaded.workflow);
    m = await openEditor({ name: 'new' }, () => undefined);
    await panel(m).updateComplete;
    expect(items(m).some((t) => /my_pack_sharpen/.test(t))).to.equal(true);
  });

  it('says so when there is nothing to report', async () => {
    const wf = workflow('w2', {
      nodes: [nodeFromTemplate(templateFor('noise')!, 'a', { x: 0, y: 0 }), nodeFromTemplate(templateFor('integer')!, 'b', { x: 400, y: 0 })],
      edges: [{ id: 'e', source: 'b', sourceHandle: 'value', target: 'a', targetHandle: 'seed', type: 'default' }],
    } as unknown as Partial<Workflow>);
    m = await openEditor({ name: 'edit', ownerId: null, id: 'w2' }, (mm) => createEntry(mm.ws.library.doc, 'w2', wf, { isPublic: false }));
    await panel(m).updateComplete;
    expect(items(m)).to.deep.equal([]);
    expect(deepAll(panel(m), 'p.ok')[0]!.textContent).to.equal('No problems found in this workflow’s graph.');
  });

  it('is checked again when the graph changes, not when only the details do', () => {
    const wf = troubled('w3');
    const first = workflowProblems(wf);
    expect(workflowProblems({ ...wf, name: 'Renamed', notes: 'typing…' })).to.equal(first);
    const fixed = { ...wf, edges: wf.edges.filter((e) => e.id !== 'e2') };
    const again = workflowProblems(fixed);
    expect(again).to.not.equal(first);
    expect(again.some((p) => /no_such_input/.test(p.message))).to.equal(false);
  });
});
