// The editor's draft lifecycle (client/controllers/workflow-draft-controller.ts) as the user meets it
// through Load from File: a refused file changes nothing, unsaved changes are only discarded when the
// user says so, and a file loaded while already on an unsaved draft replaces it.
import { expect } from 'chai';
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import { createEntry } from '../../shared/workflow/library-doc.js';
import { deepAll, mount, waitFor, workflow } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;

function loadFile(m: Mounted, text: string): void {
  const input = deepAll<HTMLInputElement>(m.el, 'input.load')[0]!;
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], 'workflow.json', { type: 'application/json' }));
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

/** A button of the open confirmation dialog, by its text. */
function confirmButton(m: Mounted, text: string): HTMLButtonElement | undefined {
  const dialog = deepAll(m.el, 'fs-confirm-dialog')[0]!;
  return deepAll<HTMLButtonElement>(dialog, 'button').find((b) => b.textContent?.trim() === text);
}

describe('fs-workflow-editor draft lifecycle', () => {
  let m: Mounted;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', '#');
  });

  async function openOwn(): Promise<void> {
    m = await mount<WorkflowEditor>('fs-workflow-editor');
    createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
    m.el.route = { name: 'edit', ownerId: null, id: 'w1' };
    await waitFor(() => m.el.draft);
  }

  it('refuses a file that is not a workflow with its reason, and keeps the draft', async () => {
    await openOwn();
    loadFile(m, 'not json');
    const banner = await waitFor(() => deepAll(m.el, 'p.banner[role=status]')[0]);
    expect(banner.textContent).to.match(/JSON/i);
    expect(m.el.draft!.name).to.equal('Workflow w1');
    expect(location.hash).to.not.equal('#/new');
  });

  it('asks before discarding unsaved changes, and Cancel keeps them', async () => {
    await openOwn();
    m.el.draft = { ...m.el.draft!, name: 'Edited' };
    await m.el.updateComplete;
    expect(m.el.dirty).to.equal(true);
    loadFile(m, JSON.stringify(workflow('other', { name: 'From file' })));
    const cancel = await waitFor(() => confirmButton(m, 'Cancel'));
    cancel.click();
    await m.el.updateComplete;
    expect(m.el.draft!.name).to.equal('Edited');
    expect(location.hash).to.not.equal('#/new');
  });

  it('replaces an unsaved draft with a second file loaded on it', async () => {
    await openOwn();
    loadFile(m, JSON.stringify(workflow('a', { name: 'First file' })));
    await waitFor(() => location.hash === '#/new');
    // The app routes on the hash; here the test does what fs-app does.
    m.el.route = { name: 'new' };
    await waitFor(() => m.el.draft?.name === 'First file');
    // Already on a new draft: the route stays the same, the draft must still be replaced.
    loadFile(m, JSON.stringify(workflow('b', { name: 'Second file' })));
    const load = await waitFor(() => confirmButton(m, 'Load'));
    load.click();
    await waitFor(() => m.el.draft?.name === 'Second file');
    expect(m.el.dirty).to.equal(true);
  });
});
