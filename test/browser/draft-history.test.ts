import { expect } from 'chai';
import { DraftHistory } from '../../client/data/draft-history.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { workflow } from './helpers.js';

type Wf = JsonObject & { nodes: JsonObject[] };

const at = (wf: Wf, id: string) => (wf.nodes.find((n) => n.id === id)!.position as { x: number; y: number }).x;
const label = (wf: Wf, id: string) => (wf.nodes.find((n) => n.id === id)!.data as JsonObject).label;
const moved = (wf: Wf, id: string, x: number): Wf => ({
  ...wf,
  nodes: wf.nodes.map((n) => (n.id === id ? { ...n, position: { x, y: 0 } } : n)),
});
const relabelled = (wf: Wf, id: string, text: string): Wf => ({
  ...wf,
  nodes: wf.nodes.map((n) => (n.id === id ? { ...n, data: { ...(n.data as JsonObject), label: text } } : n)),
});

describe('DraftHistory (undo of this device’s own edits)', () => {
  let h: DraftHistory<Wf>;
  beforeEach(() => {
    h = new DraftHistory<Wf>();
    h.reset(workflow('w') as unknown as Wf);
  });
  afterEach(() => h.destroy());

  it('starts with nothing to undo, undoes and redoes a local edit', () => {
    expect(h.canUndo).to.equal(false);
    h.edit(moved(h.value!, 'n1', 100));
    expect(h.canUndo).to.equal(true);
    expect(at(h.undo()!, 'n1')).to.equal(0);
    expect(h.canRedo).to.equal(true);
    expect(at(h.redo()!, 'n1')).to.equal(100);
  });

  it('an undo after a stored change (another device) takes back only the local edit', () => {
    h.edit(moved(h.value!, 'n1', 100));
    // The other device's edit arrives, merged into the draft: it relabels n2 and moves n2.
    h.takeStored(moved(relabelled(h.value!, 'n2', 'Decode'), 'n2', 555));
    const after = h.undo()!;
    expect(at(after, 'n1')).to.equal(0);
    expect(label(after, 'n2')).to.equal('Decode');
    expect(at(after, 'n2')).to.equal(555);
    // Nothing of theirs is on the stack: one undo was all there was.
    expect(h.canUndo).to.equal(false);
    expect(h.undo()).to.equal(null);
  });

  it('a stored change alone leaves nothing to undo (a reset neither)', () => {
    h.takeStored(relabelled(h.value!, 'n2', 'Decode'));
    expect(h.canUndo).to.equal(false);
    h.edit(moved(h.value!, 'n1', 100));
    h.reset(workflow('other') as unknown as Wf);
    expect(h.canUndo).to.equal(false);
  });

  it('edits sharing a merge key are one step (one drag); others are a step each', () => {
    for (const x of [10, 20, 30]) h.edit(moved(h.value!, 'n1', x), 'drag:1');
    h.edit(relabelled(h.value!, 'n1', 'A'));
    h.edit(relabelled(h.value!, 'n1', 'B'));
    expect(label(h.undo()!, 'n1')).to.equal('A');
    expect(label(h.undo()!, 'n1')).to.equal('');
    expect(at(h.value!, 'n1')).to.equal(30);
    expect(at(h.undo()!, 'n1')).to.equal(0);
    expect(h.canUndo).to.equal(false);
  });

  it('an undone node removal brings the node back with its edge', () => {
    const wf = h.value!;
    h.edit({ ...wf, nodes: wf.nodes.filter((n) => n.id !== 'n2'), edges: [] });
    const back = h.undo()! as Wf & { edges: JsonObject[] };
    expect(back.nodes.map((n) => n.id)).to.deep.equal(['n1', 'n2']);
    expect(back.edges.map((e) => e.id)).to.deep.equal(['e1']);
  });
});
