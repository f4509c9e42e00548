import { expect } from 'chai';
import { merge3 } from '../../client/data/merge3.js';
import type { JsonValue } from '../../shared/workflow/json.js';

const node = (id: string, x: number, label = '') => ({ id, position: { x, y: 0 }, data: { label } });

describe('editor draft merge (merge3)', () => {
  it('keeps my edit of one node and takes their edit of another', () => {
    const base = { name: 'w', nodes: [node('a', 0), node('b', 0)] };
    const mine = { name: 'w', nodes: [node('a', 50), node('b', 0)] };
    const theirs = { name: 'w', nodes: [node('a', 0), node('b', 0, 'renamed')] };
    expect(merge3(base, mine, theirs)).to.deep.equal({ name: 'w', nodes: [node('a', 50), node('b', 0, 'renamed')] });
  });

  it('keeps nodes added on either side and drops nodes deleted on one side and untouched on the other', () => {
    const base = { nodes: [node('a', 0), node('b', 0)] };
    const mine = { nodes: [node('a', 0), node('b', 0), node('m', 1)] };
    const theirs = { nodes: [node('b', 0), node('t', 2)] };
    const merged = merge3(base, mine, theirs) as { nodes: { id: string }[] };
    expect(merged.nodes.map((n) => n.id)).to.deep.equal(['b', 't', 'm']);
  });

  it('lets my value win when both sides changed the same field', () => {
    expect(merge3({ name: 'a' } as JsonValue, { name: 'mine' }, { name: 'theirs' })).to.deep.equal({ name: 'mine' });
  });

  it('takes their whole value when I changed nothing', () => {
    const theirs = { nodes: [node('x', 9)], tags: 'new' };
    expect(merge3({ nodes: [] }, { nodes: [] }, theirs)).to.equal(theirs);
  });
});
