// The editor's Details panel on its own (client/components/editor/workflow-details.ts): properties in,
// events out. It never changes the workflow it is given; the editor turns its events into draft edits.
import { expect } from 'chai';
import { html, render } from 'lit';
import '../../client/components/editor/workflow-details.js';
import type { DetailsPatch, ThumbnailApi, WorkflowDetails } from '../../client/components/editor/workflow-details.js';
import { deepAll, workflow } from './helpers.js';

async function details(props: Partial<WorkflowDetails>): Promise<WorkflowDetails> {
  const host = document.createElement('div');
  document.body.append(host);
  render(html`<fs-workflow-details></fs-workflow-details>`, host);
  const el = host.querySelector('fs-workflow-details')!;
  Object.assign(el, props);
  await el.updateComplete;
  return el;
}

function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
}

describe('fs-workflow-details', () => {
  afterEach(() => document.body.querySelectorAll('div').forEach((d) => d.remove()));

  it('reports each typed field as a patch of the draft and leaves the given workflow as it was', async () => {
    const wf = workflow('w1', { tags: 'portrait, shared' });
    const before = structuredClone(wf);
    const el = await details({ workflow: wf, workflowId: 'w1', shared: true, multiuser: true });
    const patches: DetailsPatch[] = [];
    el.addEventListener('fs-details-change', (e) => patches.push((e as CustomEvent<DetailsPatch>).detail));
    const field = (sel: string) => deepAll<HTMLInputElement>(el, sel)[0]!;
    typeInto(field('aside input[name=name]'), 'New name');
    typeInto(field('aside input[name=version]'), '2.0.0');
    typeInto(field('aside textarea[name=notes]'), 'a note');
    // The tags field keeps the shared tag while the workflow is shared.
    typeInto(deepAll<HTMLInputElement>(deepAll(el, 'fs-tags-field')[0]!.shadowRoot!, 'input')[0]!, 'flux');
    expect(patches).to.deep.equal([{ name: 'New name' }, { version: '2.0.0' }, { notes: 'a note' }, { tags: 'flux, shared' }]);
    expect(wf).to.deep.equal(before);
  });

  it('offers the Shared switch only for a library entry in a multi-user server, and reports its new state', async () => {
    const el = await details({ workflow: workflow('w1'), workflowId: 'w1', shared: false, multiuser: true });
    const states: boolean[] = [];
    el.addEventListener('fs-shared-change', (e) => states.push((e as CustomEvent<boolean>).detail));
    const box = deepAll<HTMLInputElement>(el, 'aside input[name=shared]')[0]!;
    box.click();
    expect(states).to.deep.equal([true]);
    el.shared = null;
    await el.updateComplete;
    expect(deepAll(el, 'aside input[name=shared]')).to.have.length(0);
    el.shared = true;
    el.multiuser = false;
    await el.updateComplete;
    expect(deepAll(el, 'aside input[name=shared]')).to.have.length(0);
  });

  it('names why a shared workflow is not visible to others, and is read-only when asked', async () => {
    const el = await details({ workflow: workflow('w1'), workflowId: 'w1', shared: true, multiuser: true, notVisibleReason: 'too big', readonly: true });
    expect(deepAll(el, 'aside .withheld')[0]?.textContent).to.include('Shared, but not visible to others: too big');
    expect(deepAll<HTMLInputElement>(el, 'aside input[name=name]')[0]!.readOnly).to.equal(true);
    expect(deepAll<HTMLTextAreaElement>(el, 'aside textarea[name=description]')[0]!.readOnly).to.equal(true);
  });

  it('removes the thumbnail through the API and reports the outcome, a failure included', async () => {
    const removed: string[] = [];
    let fail = false;
    const api: ThumbnailApi = {
      setThumbnail: async () => undefined,
      deleteThumbnail: async (id: string) => {
        if (fail) throw new Error('offline');
        removed.push(id);
      },
    };
    const el = await details({ workflow: workflow('w1'), workflowId: 'w1', thumbnailEditable: true, api });
    const statuses: string[] = [];
    const reported = () => new Promise<void>((resolve) => el.addEventListener('fs-details-status', () => resolve(), { once: true }));
    el.addEventListener('fs-details-status', (e) => statuses.push((e as CustomEvent<string>).detail));
    const button = deepAll<HTMLButtonElement>(el, 'button').find((b) => b.textContent === 'Remove thumbnail')!;
    let done = reported();
    button.click();
    await done;
    fail = true;
    done = reported();
    button.click();
    await done;
    expect(removed).to.deep.equal(['w1']);
    expect(statuses).to.deep.equal(['Workflow thumbnail removed', 'Failed to update thumbnail: offline']);
  });

  it('offers no upload when the thumbnail is not editable (viewing a shared workflow)', async () => {
    const el = await details({ workflow: workflow('w1'), workflowId: 'w1', thumbnailEditable: false, thumbnailUrl: '' });
    expect(deepAll(el, '.thumb')).to.have.length(1);
    expect(deepAll(el, 'input[type=file]')).to.have.length(0);
    expect(deepAll(el, 'button').filter((b) => b.textContent === 'Remove thumbnail')).to.have.length(0);
  });
});
