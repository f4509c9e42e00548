// Issue 12 in the app: Saves carry the last_save marker and are kept on the device until uploaded; the
// History panel lists versions and the editor shows one with its differences marked and restores it
// as an undoable edit; a change from another device that replaces a saved value raises a notice with
// "Bring back"; presence shows who else has the workflow open and what they selected.
import { expect } from 'chai';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import '../../client/components/editor/workflow-editor.js';
import '../../client/components/library/workflow-library.js';
import '../../client/components/history/history-panel.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import type { WorkflowLibrary } from '../../client/components/library/workflow-library.js';
import type { HistoryPanel, HistoryApi } from '../../client/components/history/history-panel.js';
import type { VersionDetail, VersionItem } from '../../client/data/api.js';
import { SaveOutbox, type SaveRecord, type UploadOutcome } from '../../client/data/saves.js';
import { ConflictWatcher } from '../../client/data/conflicts.js';
import { currentDevice, deviceLabel } from '../../client/data/devices.js';
import { createEntry, deleteEntry, readEntry, updateEntryWorkflow } from '../../shared/workflow/library-doc.js';
import type { TrashItem } from '../../client/data/api.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll, mount, uniqueUser, waitFor, workflow } from './helpers.js';

/** Elements matching `selector` inside the shadow roots of the `host` elements under `root`. */
function inside<E extends Element = HTMLElement>(root: Element, host: string, selector: string): E[] {
  return deepAll(root, host).flatMap((h) => [...(h.shadowRoot?.querySelectorAll<E>(selector) ?? [])]);
}

type Mounted = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;
type Nodes = { nodes: JsonObject[] };

const seedOf = (wf: unknown) =>
  (((wf as Nodes).nodes.find((n) => n.id === 'n1')!.data as JsonObject).inputs as Record<string, { value: unknown }>)['seed']!.value;

function withSeed(wf: Workflow, seed: number): Workflow {
  const copy = structuredClone(wf) as unknown as Nodes;
  (((copy.nodes.find((n) => n.id === 'n1')!.data as JsonObject).inputs as Record<string, { value: unknown }>)['seed']!).value = seed;
  return copy as unknown as Workflow;
}

async function openEditor(): Promise<Mounted> {
  const m = await mount<WorkflowEditor>('fs-workflow-editor');
  createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
  m.el.route = { name: 'edit', ownerId: null, id: 'w1' };
  await waitFor(() => m.el.draft);
  await m.el.updateComplete;
  return m;
}

/** The library's provider: what the app sees as "from the server". */
const providerOf = (m: { ws: Mounted['ws'] }) => (m.ws.library as unknown as { provider: unknown }).provider;

/** Another device changes the stored workflow; its update arrives through the server. */
function fromAnotherDevice(m: Mounted, change: (wf: Workflow) => Workflow): void {
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
  const r = readEntry(other, 'w1')!;
  if (!r.valid) throw new Error(r.reason);
  updateEntryWorkflow(other, 'w1', change(r.workflow));
  Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other), providerOf(m));
  other.destroy();
}

function version(id: string, wf: Workflow, over: Partial<VersionItem> = {}): VersionDetail {
  return {
    version_id: id,
    workflow_id: 'w1',
    created_at: '2026-11-30T10:00:00.000Z',
    kind: 'save',
    user_id: 'u1',
    user_name: 'Alice',
    device: 'd1',
    device_label: 'Firefox on Linux',
    summary: { nodes_added: 0, nodes_removed: 0, edges_added: 0, edges_removed: 0, fields_changed: 1, text: 'seed changed' },
    workflow: wf as unknown as Record<string, unknown>,
    ...over,
  };
}

describe('Save records', () => {
  it('Save writes the last_save marker of this device with the workflow and keeps the Save on the device', async () => {
    const m = await openEditor();
    try {
      const updates: number[] = [];
      m.ws.library.doc.on('afterTransaction', () => updates.push(1));
      m.el.draft = withSeed(m.el.draft as unknown as Workflow, 5) as never;
      await m.el.updateComplete;
      updates.length = 0;
      expect(m.el.save()).to.equal(true);
      expect(updates.length, 'one transaction').to.equal(1);
      const entry = readEntry(m.ws.library.doc, 'w1')!.entry;
      expect(entry.last_save?.device).to.equal(currentDevice().id);
      expect(entry.last_save?.label).to.equal(currentDevice().label);
      await waitFor(() => m.ws.saves.waiting === 1);
      const [save] = await m.ws.saves.all();
      expect(save!.save_id).to.equal(entry.last_save!.id);
      expect(save!.workflow_id).to.equal('w1');
      expect(seedOf(save!.workflow)).to.equal(5);
    } finally {
      await m.cleanup();
    }
  });

  it('a Save waits on the device across a reload until an upload succeeds, then goes', async () => {
    const user = uniqueUser();
    const record: SaveRecord = { save_id: 's1', workflow_id: 'w1', workflow: workflow('w1') as unknown as JsonObject, device: 'd', label: 'L', at: '2026-11-30T10:00:00.000Z' };
    const sent: string[] = [];
    let answer: UploadOutcome = 'retry';
    const upload = async (s: SaveRecord) => {
      sent.push(s.save_id);
      return answer;
    };
    const first = new SaveOutbox(user, 'library/x', upload, () => true);
    await first.record(record);
    await first.flush();
    expect(sent).to.deep.equal(['s1']);
    expect((await first.all()).map((s) => s.save_id)).to.deep.equal(['s1']);
    await first.close();
    // "Reload": a new outbox over the same database still has it and sends it again.
    answer = 'done';
    const second = new SaveOutbox(user, 'library/x', upload, () => true);
    await second.flush();
    expect(sent.length, 'sent again after the reload').to.be.greaterThan(1);
    expect(await second.all()).to.deep.equal([]);
    await second.close();
    indexedDB.deleteDatabase(second.dbName);
  });
});

describe('fs-history-panel', () => {
  it('lists versions with time, who, device and summary; choosing one fetches it', async () => {
    const wf = workflow('w1');
    const items = [version('v2', wf, { kind: 'restore', device_label: 'Chrome on Linux' }), version('v1', wf)];
    const fetched: string[] = [];
    const api: HistoryApi = {
      listVersions: async () => ({ page: 0, pages: 1, per_page: 50, total: 2, items }),
      getVersion: async (_w, v) => {
        fetched.push(v);
        return items.find((i) => i.version_id === v)!;
      },
    };
    const panel = document.createElement('fs-history-panel') as HistoryPanel;
    panel.api = api;
    panel.workflowId = 'w1';
    document.body.append(panel);
    try {
      await waitFor(() => panel.shadowRoot!.querySelectorAll('button.version').length === 2);
      const first = panel.shadowRoot!.querySelector<HTMLButtonElement>('button.version')!;
      expect(first.textContent).to.contain('Restored');
      expect(first.textContent).to.contain('Alice on Chrome on Linux');
      expect(first.textContent).to.contain('seed changed');
      const chosen = new Promise<VersionDetail | null>((r) => panel.addEventListener('fs-version-select', (e) => r(e.detail), { once: true }));
      first.click();
      expect((await chosen)?.version_id).to.equal('v2');
      expect(fetched).to.deep.equal(['v2']);
    } finally {
      panel.remove();
    }
  });
});

describe('the History list in the editor', () => {
  it('loads again shortly after the stored workflow changes (a Save here makes a version on the server)', async () => {
    const m = await openEditor();
    try {
      let calls = 0;
      const wf = workflow('w1');
      // The server is out of reach in component tests: the API answers from here.
      Object.assign(m.session.api, {
        listVersions: async () => {
          calls++;
          return { page: 0, pages: 1, per_page: 50, total: calls, items: Array.from({ length: calls }, (_, i) => version(`v${i}`, wf)) };
        },
      });
      deepAll<HTMLButtonElement>(m.el, 'button.history-toggle')[0]!.click();
      await waitFor(() => calls === 1);
      m.el.draft = withSeed(m.el.draft as unknown as Workflow, 9) as never;
      await m.el.updateComplete;
      m.el.save();
      await waitFor(() => calls === 2, 5000);
      await waitFor(() => inside(m.el, 'fs-history-panel', 'button.version').length === 2);
    } finally {
      await m.cleanup();
    }
  });
});

describe('the Trash view', () => {
  it('lists a workflow deleted while it is open without Refresh, also when the server files the deletion late', async () => {
    const m = await mount<WorkflowLibrary>('fs-workflow-library');
    try {
      createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
      // The server is out of reach in component tests: the trash answers from here, and files the
      // deletion only from the second request after it (a commit slower than the update's arrival).
      const trash: TrashItem[] = [];
      let calls = 0;
      let askedSinceDelete = 0;
      let deleted = false;
      Object.assign(m.session.api, {
        listTrash: async () => {
          calls++;
          if (deleted && ++askedSinceDelete === 2) {
            trash.push({ workflow_id: 'w1', name: 'w1', deleted_at: new Date().toISOString(), deleted_by: 'u1', purge_at: new Date().toISOString(), versions: 1 });
          }
          return { items: [...trash] };
        },
      });
      m.el.trashShown = true;
      await waitFor(() => calls === 1);
      await waitFor(() => inside(m.el, 'fs-trash-view', 'p.muted').some((p) => p.textContent?.includes('The trash is empty')));

      // An edit inside a workflow is not a reason to ask the server.
      const r = readEntry(m.ws.library.doc, 'w1')!;
      if (!r.valid) throw new Error(r.reason);
      updateEntryWorkflow(m.ws.library.doc, 'w1', withSeed(r.workflow, 5));
      deleted = true;
      deleteEntry(m.ws.library.doc, 'w1');
      await waitFor(() => inside(m.el, 'fs-trash-view', 'li[data-id="w1"]').length === 1, 8000);
      expect(askedSinceDelete).to.equal(2);
    } finally {
      await m.cleanup();
    }
  });
});

describe('a version on the canvas', () => {
  it('marks added, removed and changed nodes with the changed fields; Restore makes it current, Undo takes it back', async () => {
    const m = await openEditor();
    try {
      const old = withSeed(workflow('w1'), 42) as unknown as { nodes: JsonObject[]; edges: JsonObject[] };
      // The version has n1 (seed 42) and n3; not n2.
      old.nodes = [old.nodes[0]!, { id: 'n3', type: 'invocation', data: { id: 'n3', type: 'noise', label: '', inputs: {} }, position: { x: 0, y: 300 } }];
      old.edges = [];
      m.el.history.open = true;
      m.el.history.show(version('v1', old as unknown as Workflow));
      await m.el.updateComplete;
      const graph = deepAll<HTMLElement & { updateComplete: Promise<boolean> }>(m.el, 'fs-workflow-graph')[0]!;
      await graph.updateComplete;
      const mark = (id: string) => deepAll<SVGGElement>(graph, `g.mark[data-node-id="${id}"]`)[0];
      expect(mark('n3')?.dataset['mark']).to.equal('added');
      expect(mark('n2')?.dataset['mark']).to.equal('removed');
      expect(mark('n1')?.dataset['mark']).to.equal('changed');
      expect(deepAll(graph, 'g.mark[data-node-id="n1"] rect.mark-field[data-field="seed"]').length).to.equal(1);
      expect(deepAll(graph, 'g.node').length, 'the removed node is drawn too').to.equal(3);
      const banner = deepAll<HTMLElement>(m.el, 'p.version-banner')[0]!;
      expect(banner.textContent).to.contain('add 1 node');
      expect(banner.textContent).to.contain('remove 1 node');

      deepAll<HTMLButtonElement>(m.el, 'p.version-banner button.primary')[0]!.click();
      await m.el.updateComplete;
      const stored = readEntry(m.ws.library.doc, 'w1')!;
      if (!stored.valid) throw new Error(stored.reason);
      expect(stored.workflow.nodes.map((n) => n.id)).to.deep.equal(['n1', 'n3']);
      expect(seedOf(stored.workflow)).to.equal(42);
      expect(stored.entry.last_save?.device, 'Restore is a Save of this device').to.equal(currentDevice().id);
      expect(deepAll(graph, 'g.mark').length, 'back to the current workflow').to.equal(0);

      m.el.undo.undo();
      await m.el.updateComplete;
      expect((m.el.draft as unknown as Nodes).nodes.map((n) => n.id)).to.deep.equal(['n1', 'n2']);
      expect(seedOf(m.el.draft)).to.equal(1);
      expect(m.el.dirty).to.equal(true);
    } finally {
      await m.cleanup();
    }
  });
});

describe('conflict notice', () => {
  it('another device replacing a saved value says so; Bring back restores it as an undoable edit; Dismiss forgets it', async () => {
    const m = await openEditor();
    try {
      m.el.draft = withSeed(m.el.draft as unknown as Workflow, 11) as never;
      await m.el.updateComplete;
      m.el.save();
      // A change of another field from another device is no conflict.
      fromAnotherDevice(m, (wf) => ({ ...wf, description: 'theirs' }));
      await m.el.updateComplete;
      expect(m.ws.conflicts.notices('w1')).to.deep.equal([]);
      fromAnotherDevice(m, (wf) => withSeed(wf, 22));
      await m.el.updateComplete;
      const notice = await waitFor(() => inside(m.el, 'fs-conflict-notices', 'li')[0]);
      expect(notice.textContent).to.contain('Seed was changed to 22 on another device; your 11 is in History');
      expect(seedOf(m.el.draft)).to.equal(22);

      inside<HTMLButtonElement>(m.el, 'fs-conflict-notices', 'button').find((b) => b.textContent === 'Bring back')!.click();
      await m.el.updateComplete;
      expect(seedOf(m.el.draft)).to.equal(11);
      const stored = readEntry(m.ws.library.doc, 'w1')!;
      expect(seedOf(stored.entry.workflow)).to.equal(11);
      expect(inside(m.el, 'fs-conflict-notices', 'li').length).to.equal(0);
      m.el.undo.undo();
      await m.el.updateComplete;
      expect(seedOf(m.el.draft)).to.equal(22);

      // A notice that is dismissed goes without changing anything.
      m.el.save();
      fromAnotherDevice(m, (wf) => withSeed(wf, 33));
      await m.el.updateComplete;
      await waitFor(() => inside(m.el, 'fs-conflict-notices', 'li').length === 1);
      inside<HTMLButtonElement>(m.el, 'fs-conflict-notices', 'button').find((b) => b.textContent === 'Dismiss')!.click();
      await m.el.updateComplete;
      expect(inside(m.el, 'fs-conflict-notices', 'li').length).to.equal(0);
      expect(seedOf(m.el.draft)).to.equal(33);
    } finally {
      await m.cleanup();
    }
  });

  it('a Save in another tab of the device does not make this one forget what it saved (after a reload)', async () => {
    const m = await openEditor();
    try {
      createEntry(m.ws.library.doc, 'w2', workflow('w2'), { isPublic: false });
      const otherTab = new ConflictWatcher(m.ws.library);
      m.ws.conflicts.rememberSave('w1', withSeed(workflow('w1'), 5), workflow('w1'));
      otherTab.rememberSave('w2', withSeed(workflow('w2'), 6), workflow('w2'));
      otherTab.destroy();
      // After a reload, a watcher reads what both tabs saved: w1's seed being replaced is noticed.
      const reloaded = new ConflictWatcher(m.ws.library);
      try {
        updateEntryWorkflow(m.ws.library.doc, 'w1', withSeed(workflow('w1'), 5));
        fromAnotherDevice(m, (wf) => withSeed(wf, 8));
        expect(reloaded.notices('w1').map((n) => [n.mine, n.theirs])).to.deep.equal([[5, 8]]);
      } finally {
        reloaded.destroy();
      }
    } finally {
      await m.cleanup();
    }
  });

  it('the library tile carries the notice', async () => {
    const m = await mount<WorkflowLibrary>('fs-workflow-library');
    try {
      createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
      m.ws.conflicts.rememberSave('w1', withSeed(workflow('w1'), 1), withSeed(workflow('w1'), 0));
      m.el.view = 'yours';
      const other = new Y.Doc();
      Y.applyUpdate(other, Y.encodeStateAsUpdate(m.ws.library.doc));
      updateEntryWorkflow(other, 'w1', withSeed(workflow('w1'), 7));
      Y.applyUpdate(m.ws.library.doc, Y.encodeStateAsUpdate(other), providerOf(m));
      const badge = await waitFor(() => inside(m.el, 'fs-workflow-tile', '.badge.conflict')[0]);
      expect(badge.title).to.equal('Seed was changed to 7 on another device; your 1 is in History');
    } finally {
      await m.cleanup();
    }
  });
});

/** Another client's presence arriving in `awareness` (as the provider applies it). */
function otherClient(target: Awareness, state: object): Awareness {
  const a = new Awareness(new Y.Doc());
  a.setLocalState(state);
  applyAwarenessUpdate(target, encodeAwarenessUpdate(a, [a.clientID]), 'remote');
  return a;
}

describe('presence', () => {
  it('the editor announces what it has open and selected, shows the others and outlines their selection', async () => {
    const m = await openEditor();
    try {
      const own = m.ws.library.awareness.getLocalState() as { workflow: string; device: { id: string } };
      expect(own.workflow).to.equal('w1');
      expect(own.device.id).to.equal(currentDevice().id);
      expect(m.ws.publicDoc.awareness.getLocalState(), 'never on public').to.equal(null);

      const graph = deepAll<HTMLElement & { updateComplete: Promise<boolean> }>(m.el, 'fs-workflow-graph')[0]!;
      deepAll<SVGGElement>(graph, 'g.node[data-node-id="n2"]')[0]!.focus();
      await waitFor(() => (m.ws.library.awareness.getLocalState() as { selection: string[] }).selection.join() === 'n2');

      otherClient(m.ws.library.awareness, {
        user: { id: 'u1', name: 'Alice Smith' },
        device: { id: 'phone', label: 'Safari on iPhone' },
        workflow: 'w1',
        selection: ['n1'],
      });
      otherClient(m.ws.library.awareness, { user: { id: 'u1', name: 'Alice' }, device: { id: 'tablet', label: 'x' }, workflow: 'other', selection: [] });
      otherClient(m.ws.library.awareness, { garbage: true });
      await m.el.updateComplete;
      await waitFor(() => inside(m.el, 'fs-presence-bar', 'li').length > 0);
      const avatars = inside(m.el, 'fs-presence-bar', 'li');
      expect(avatars.map((a) => a.getAttribute('aria-label'))).to.deep.equal(['Alice Smith on Safari on iPhone']);
      expect(avatars[0]!.textContent).to.equal('AS');
      await graph.updateComplete;
      expect(deepAll(graph, 'g.remote-selection[data-node-id="n1"]').length).to.equal(1);
      expect(deepAll(graph, 'g.remote-selection[data-node-id="n2"]').length).to.equal(0);
    } finally {
      await m.cleanup();
    }
    // Leaving the editor takes the workflow out of this tab's presence.
  });

  it('the library tile says on how many devices a workflow is open', async () => {
    const m = await mount<WorkflowLibrary>('fs-workflow-library');
    try {
      createEntry(m.ws.library.doc, 'w1', workflow('w1'), { isPublic: false });
      createEntry(m.ws.library.doc, 'w2', workflow('w2'), { isPublic: false });
      m.el.view = 'yours';
      const who = { user: { id: 'u', name: 'U' }, selection: [] };
      otherClient(m.ws.library.awareness, { ...who, device: { id: 'a', label: 'A' }, workflow: 'w1' });
      otherClient(m.ws.library.awareness, { ...who, device: { id: 'b', label: 'B' }, workflow: 'w1' });
      otherClient(m.ws.library.awareness, { ...who, device: { id: 'b', label: 'B' }, workflow: 'w1' });
      const tile = (id: string) => deepAll<HTMLElement>(m.el, 'fs-workflow-tile').find((t) => t.shadowRoot?.querySelector(`article[data-id="${id}"]`));
      await waitFor(() => tile('w1')?.shadowRoot?.querySelector('.badge.presence'));
      expect(tile('w1')!.shadowRoot!.querySelector('.badge.presence')!.textContent).to.equal('Open on 2 devices');
      expect(tile('w2')!.shadowRoot!.querySelector('.badge.presence')).to.equal(null);
    } finally {
      await m.cleanup();
    }
  });
});

describe('devices and the Share history switch', () => {
  it('labels a device from its user agent and keeps one id per browser profile', () => {
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36')).to.equal('Chrome on Linux');
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1')).to.equal('Safari on iPhone');
    expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).to.equal('Firefox on Windows');
    expect(currentDevice().id).to.equal(localStorage.getItem('flowshelf.device'));
  });

  it('the Details panel’s Share history switch writes share_versions to the entry', async () => {
    const m = await openEditor();
    try {
      const details = deepAll<HTMLElement>(m.el, 'fs-workflow-details')[0]!;
      const box = await waitFor(() => details.shadowRoot!.querySelector<HTMLInputElement>('input[name="share-versions"]'));
      expect(box.checked).to.equal(false);
      box.click();
      expect(readEntry(m.ws.library.doc, 'w1')!.entry.share_versions).to.equal(true);
    } finally {
      await m.cleanup();
    }
  });
});
