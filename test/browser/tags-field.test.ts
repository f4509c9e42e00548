// The Tags field's rules (client/components/editor/tags-field.ts): what it shows, and the tags it
// puts into the draft from what the user typed.
import { expect } from 'chai';
import { editableTags, tagsFromTyped } from '../../client/components/editor/tags-field.js';
import { hasSharedTag, splitTags } from '../../shared/workflow/tags.js';

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tags field rules', () => {
  it('shows every tag but shared, and leaves a string without it exactly as it is', () => {
    expect(editableTags('portrait, shared')).to.equal('portrait');
    expect(editableTags('Shared,flux')).to.equal('flux');
    expect(editableTags('shared')).to.equal('');
    expect(editableTags('a ,b,,')).to.equal('a ,b,,');
  });

  it('keeps the typed text and adds or removes shared as is_public says', () => {
    expect(tagsFromTyped('portrait, ', true)).to.equal('portrait, shared');
    expect(tagsFromTyped('', true)).to.equal('shared');
    expect(tagsFromTyped(' , ', true)).to.equal('shared');
    expect(tagsFromTyped('a ,b', false)).to.equal('a ,b');
    expect(tagsFromTyped('a, shared', false)).to.equal('a');
    expect(tagsFromTyped('a, SHARED', true)).to.equal('a, shared');
  });

  it('whatever is typed, the tags carry shared exactly when the workflow is shared and keep every other tag', () => {
    const random = seeded(7);
    const pieces = ['a', 'B', 'shared', 'Shared', 'flux', ' ', ',', ', ', 'text to image', 'sharedx'];
    for (let i = 0; i < 500; i++) {
      const typed = Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      for (const isPublic of [true, false]) {
        const tags = tagsFromTyped(typed, isPublic);
        expect(hasSharedTag(tags), `${JSON.stringify(typed)} public=${isPublic}`).to.equal(isPublic);
        const others = (s: string) => splitTags(s).filter((t) => t.toLowerCase() !== 'shared');
        expect(others(tags), JSON.stringify(typed)).to.deep.equal(others(typed));
      }
    }
  });
});
