// Fit on open and after Load from File (issue 7, point 7): the canvas never opens blank, even when
// the loaded workflow sits far from where the previous one was.
import { expect } from 'chai';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { createEntry } from '../../shared/workflow/library-doc.js';
import { deepAll, mount, waitFor, workflow } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;

/** Whether every node's box lies inside the canvas' viewBox. */
function allNodesInView(graph: WorkflowGraph): boolean {
  const [x, y, w, h] = deepAll<SVGSVGElement>(graph, 'svg.canvas')[0]!.getAttribute('viewBox')!.split(' ').map(Number) as [number, number, number, number];
  return graph.nodes.every((n) => {
    const p = n.position as { x: number; y: number };
    return p.x >= x && p.y >= y && p.x + 260 <= x + w && p.y + 30 <= y + h;
  });
}

describe('fs-workflow-editor canvas fit', () => {
  let m: Mounted;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', '#');
  });

  it('fits on open, and again after Load from File replaces the workflow', async () => {
    m = await mount<WorkflowEditor>('fs-workflow-editor');
    createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
    m.el.route = { name: 'edit', ownerId: null, id: 'w1' };
    await waitFor(() => m.el.draft);
    await m.el.updateComplete;
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    expect(allNodesInView(graph)).to.equal(true);

    // The user zooms far into a corner, then loads a file whose nodes are far away.
    for (let i = 0; i < 10; i++) deepAll<HTMLButtonElement>(graph, 'button[aria-label="Zoom in"]')[0]!.click();
    await graph.updateComplete;
    const far = workflow('far');
    for (const n of far.nodes as unknown as { position: { x: number; y: number } }[]) n.position = { x: n.position.x + 60_000, y: n.position.y + 30_000 };
    const file = new File([JSON.stringify(far)], 'far.json', { type: 'application/json' });
    const input = deepAll<HTMLInputElement>(m.el, 'input.load')[0]!;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event('change'));
    await waitFor(() => location.hash === '#/new');
    // The app routes on the hash; here the test does what fs-app does.
    m.el.route = { name: 'new' };
    await waitFor(() => m.el.draft && (m.el.draft.nodes[0] as unknown as { position: { x: number } }).position.x >= 60_000);
    await m.el.updateComplete;
    const now = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await now.updateComplete;
    expect(now.nodes.length).to.equal(2);
    expect(allNodesInView(now)).to.equal(true);
  });
});
