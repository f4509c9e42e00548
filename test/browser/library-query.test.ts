import { expect } from 'chai';
import {
  countsByTag,
  distinctTags,
  listItems,
  type LibraryItem,
  type ListQuery,
} from '../../client/data/library-query.js';

function item(id: string, over: Partial<LibraryItem> = {}): LibraryItem {
  return {
    id,
    name: id,
    description: '',
    tags: '',
    category: 'user',
    isPublic: false,
    ownerId: 'me',
    ownerName: 'Me',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    openedAt: null,
    source: 'library',
    invalidReason: null,
    ...over,
  };
}

const q = (over: Partial<ListQuery>): ListQuery => ({
  view: 'yours',
  query: '',
  selectedTags: [],
  orderBy: 'name',
  direction: 'ASC',
  ...over,
});

describe('library list semantics (same as the REST list)', () => {
  const own = [
    item('a', { name: 'Alpha', tags: 'SDXL, upscaling', openedAt: '2026-02-01T00:00:00.000Z' }),
    item('b', { name: 'beta', description: 'makes a FLUX image', tags: 'flux' }),
    item('c', { name: 'Gamma', tags: 'sd, shared', isPublic: true, openedAt: '2026-03-01T00:00:00.000Z' }),
  ];
  const pub = [
    item('d1', { name: 'Default One', category: 'default', source: 'public', ownerId: 'system', tags: 'SD1.5, text to image' }),
    item('s1', { name: 'Zed shared', source: 'public', ownerId: 'other', isPublic: true }),
    item('s0', { name: 'Another shared', source: 'public', ownerId: 'other', isPublic: true }),
  ];

  it('searches name, description and tags case-insensitively', () => {
    expect(listItems(q({ query: ' flux ' }), own, pub).map((i) => i.id)).to.deep.equal(['b']);
    expect(listItems(q({ query: 'ALPH' }), own, pub).map((i) => i.id)).to.deep.equal(['a']);
    expect(listItems(q({ query: 'upscal' }), own, pub).map((i) => i.id)).to.deep.equal(['a']);
  });

  it('matches selected tags as substrings with OR between them', () => {
    // "SD" also matches "SDXL", as SQL LIKE does in InvokeAI.
    expect(listItems(q({ selectedTags: ['SD'] }), own, pub).map((i) => i.id)).to.deep.equal(['a', 'c']);
    expect(listItems(q({ selectedTags: ['flux', 'sdxl'] }), own, pub).map((i) => i.id)).to.deep.equal(['a', 'b']);
  });

  it('orders by name in both directions and puts never-opened workflows first ascending, last descending', () => {
    expect(listItems(q({ direction: 'DESC' }), own, pub).map((i) => i.name)).to.deep.equal(['beta', 'Gamma', 'Alpha']);
    expect(listItems(q({ orderBy: 'opened_at', direction: 'ASC' }), own, pub).map((i) => i.id)).to.deep.equal(['b', 'a', 'c']);
    expect(listItems(q({ orderBy: 'opened_at', direction: 'DESC' }), own, pub).map((i) => i.id)).to.deep.equal(['c', 'a', 'b']);
  });

  it('recent lists opened workflows newest first whatever order is chosen', () => {
    expect(listItems(q({ view: 'recent', orderBy: 'name' }), own, pub).map((i) => i.id)).to.deep.equal(['c', 'a']);
  });

  it('recent also lists defaults and shared workflows the user opened, newest first, an own shared workflow once', () => {
    const opened = [
      item('d1', { category: 'default', source: 'public', ownerId: 'system', openedAt: '2026-02-15T00:00:00.000Z' }),
      item('s1', { source: 'public', ownerId: 'other', isPublic: true, openedAt: '2026-04-01T00:00:00.000Z' }),
      item('s0', { source: 'public', ownerId: 'other', isPublic: true }),
      // The user's own shared workflow, as `public` also carries it.
      item('c', { source: 'public', isPublic: true, openedAt: '2026-01-01T00:00:00.000Z' }),
    ];
    const listed = listItems(q({ view: 'recent' }), own, opened);
    expect(listed.map((i) => i.id)).to.deep.equal(['s1', 'c', 'd1', 'a']);
    expect(listed.find((i) => i.id === 'c')!.source).to.equal('library');
  });

  it('shared lists public user workflows in the chosen order and ignores tag selection; browse lists defaults', () => {
    expect(listItems(q({ view: 'shared', selectedTags: ['x'] }), own, pub).map((i) => i.id)).to.deep.equal(['s0', 's1']);
    expect(listItems(q({ view: 'shared', direction: 'DESC' }), own, pub).map((i) => i.id)).to.deep.equal(['s1', 's0']);
    expect(listItems(q({ view: 'defaults' }), own, pub).map((i) => i.id)).to.deep.equal(['d1']);
  });

  it('lists a tag spelled in several cases once, in its most used spelling, and counts and filters every spelling', () => {
    const items = [
      item('t1', { tags: 'Text to Image 2, flux' }),
      item('t2', { tags: 'text to image 2' }),
      item('t3', { tags: 'Text to Image 2' }),
      item('t4', { tags: 'FLUX' }),
      item('t5', { tags: 'portrait' }),
    ];
    // flux/FLUX: one use each, the tie goes to the first in the case-sensitive sort.
    expect(distinctTags(items)).to.deep.equal(['FLUX', 'Text to Image 2', 'portrait']);
    expect([...countsByTag(['Text to Image 2', 'FLUX'], items)]).to.deep.equal([
      ['Text to Image 2', 3],
      ['FLUX', 2],
    ]);
    expect(listItems(q({ selectedTags: ['text to image 2'] }), items, []).map((i) => i.id)).to.deep.equal(['t1', 't2', 't3']);
  });

  it('counts each tag over the view and lists distinct tags sorted case-sensitively', () => {
    expect(distinctTags(own)).to.deep.equal(['SDXL', 'flux', 'sd', 'shared', 'upscaling']);
    const counts = countsByTag(['sd', 'flux', 'nope'], own);
    expect([...counts]).to.deep.equal([
      ['sd', 2],
      ['flux', 1],
      ['nope', 0],
    ]);
  });
});
