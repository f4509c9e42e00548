// Undo and redo in the editor (issue 7, point 5): per device, over the user's own edits only.
import { expect } from 'chai';
import * as Y from 'yjs';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { createEntry, readEntry, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll, mount, waitFor, workflow } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;
type Nodes = { nodes: JsonObject[] };

const x = (draft: object, id: string) => {
  const wf = draft as unknown as Nodes;
  return (wf.nodes.find((n) => n.id === id)!.position as { x: number }).x;
};
const label = (draft: object, id: string) =>
  ((draft as unknown as Nodes).nodes.find((n) => n.id === id)!.data as JsonObject).label;

function key(target: Element, k: string, extra: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, cancelable: true, ...extra });
  target.dispatchEvent(e);
  return e;
}

async function openEditor(): Promise<{ m: Mounted; graph: WorkflowGraph }> {
  const m = await mount<WorkflowEditor>('fs-workflow-editor');
  createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
  m.el.route = { name: 'edit', ownerId: null, id: 'w1' };
  await waitFor(() => m.el.draft);
  await m.el.updateComplete;
  const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
  await graph.updateComplete;
  return { m, graph };
}

const button = (m: Mounted, cls: 'undo' | 'redo') => deepAll<HTMLButtonElement>(m.el, `header button.${cls}`)[0]!;
const nodeEl = (graph: WorkflowGraph, id: string) => deepAll<SVGGElement>(graph, `g.node[data-node-id="${id}"]`)[0]!;

/** Moves node `id` 10 units right from the keyboard (focus selects it; ArrowRight moves it). */
async function nudge(m: Mounted, graph: WorkflowGraph, id: string): Promise<void> {
  nodeEl(graph, id).focus();
  key(nodeEl(graph, id), 'ArrowRight');
  await m.el.updateComplete;
}

/** Another device relabels node n2 and saves; its update reaches this device's library document. */
function otherDeviceRelabels(m: Mounted, text: string): void {
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
  const r = readEntry(other, 'w1')!;
  if (!r.valid) throw new Error(r.reason);
  const theirs = structuredClone(r.workflow) as unknown as Nodes;
  (theirs.nodes.find((n) => n.id === 'n2')!.data as JsonObject).label = text;
  updateEntryWorkflow(other, 'w1', theirs as unknown as Workflow);
  Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other));
  other.destroy();
}

describe('fs-workflow-editor undo and redo', () => {
  let m: Mounted;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', '#');
  });

  it('undoes and redoes the user’s edit with the buttons and with Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl+Y', async () => {
    const o = await openEditor();
    m = o.m;
    expect(button(m, 'undo').disabled).to.equal(true);
    expect(button(m, 'redo').disabled).to.equal(true);
    await nudge(m, o.graph, 'n1');
    expect(x(m.el.draft!, 'n1')).to.equal(10);
    expect(button(m, 'undo').disabled).to.equal(false);

    expect(key(nodeEl(o.graph, 'n1'), 'z', { ctrlKey: true }).defaultPrevented).to.equal(true);
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(0);
    expect(m.el.dirty).to.equal(false);
    expect(button(m, 'undo').disabled).to.equal(true);
    expect(button(m, 'redo').disabled).to.equal(false);

    key(nodeEl(o.graph, 'n1'), 'z', { metaKey: true, shiftKey: true });
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(10);
    button(m, 'undo').click();
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(0);
    key(nodeEl(o.graph, 'n1'), 'y', { ctrlKey: true });
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(10);
    button(m, 'undo').click();
    await m.el.updateComplete;
    button(m, 'redo').click();
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(10);
  });

  it('after another device’s edit arrives, undo takes back only the local edit', async () => {
    const o = await openEditor();
    m = o.m;
    await nudge(m, o.graph, 'n1');
    otherDeviceRelabels(m, 'Decode');
    await waitFor(() => label(m.el.draft!, 'n2') === 'Decode');
    key(nodeEl(o.graph, 'n1'), 'z', { ctrlKey: true });
    await m.el.updateComplete;
    expect(x(m.el.draft!, 'n1')).to.equal(0);
    expect(label(m.el.draft!, 'n2')).to.equal('Decode');
    // The remote edit is not on this device's stack.
    expect(button(m, 'undo').disabled).to.equal(true);
    expect(m.el.dirty).to.equal(false);
  });

  it('an edit saved, then undone, is saved back (the history survives Save)', async () => {
    const o = await openEditor();
    m = o.m;
    await nudge(m, o.graph, 'n1');
    expect(m.el.save()).to.equal(true);
    expect(m.el.dirty).to.equal(false);
    button(m, 'undo').click();
    await m.el.updateComplete;
    expect(m.el.dirty).to.equal(true);
    expect(m.el.save()).to.equal(true);
    const r = readEntry(m.ws.library.doc, 'w1')!;
    expect(r.valid && x(r.workflow, 'n1')).to.equal(0);
  });

  it('typing in a details field is one undo step, and Ctrl+Z inside a text field is left to the field', async () => {
    const o = await openEditor();
    m = o.m;
    const name = deepAll<HTMLInputElement>(m.el, 'aside input[name=name]')[0]!;
    for (const text of ['R', 'Re', 'Ren']) {
      name.value = text;
      name.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    }
    await m.el.updateComplete;
    expect(m.el.draft!.name).to.equal('Ren');
    expect(key(name, 'z', { ctrlKey: true }).defaultPrevented).to.equal(false);
    expect(m.el.draft!.name).to.equal('Ren');
    button(m, 'undo').click();
    await m.el.updateComplete;
    expect(m.el.draft!.name).to.equal('Workflow w1');
    expect(button(m, 'undo').disabled).to.equal(true);
  });

  it('a read-only view has no undo', async () => {
    m = await mount<WorkflowEditor>('fs-workflow-editor');
    m.el.route = { name: 'view', id: 'nothing-here' };
    await m.el.updateComplete;
    expect(deepAll(m.el, 'header button.undo')).to.have.length(0);
  });
});
