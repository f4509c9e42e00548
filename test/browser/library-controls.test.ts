// The library's side bar and toolbar on their own (client/components/library/library-nav.ts and
// library-toolbar.ts): properties in, events out; the library keeps the state.
import { expect } from 'chai';
import { html, render } from 'lit';
import '../../client/components/library/library-nav.js';
import '../../client/components/library/library-toolbar.js';
import type { LibraryNav } from '../../client/components/library/library-nav.js';
import type { LibraryToolbar, OrderChange } from '../../client/components/library/library-toolbar.js';
import type { LibraryItem } from '../../client/data/library-query.js';
import { deepAll } from './helpers.js';

async function place<E extends HTMLElement & { updateComplete: Promise<boolean> }>(tag: 'fs-library-nav' | 'fs-library-toolbar', props: Partial<E>): Promise<E> {
  const host = document.createElement('div');
  document.body.append(host);
  render(tag === 'fs-library-nav' ? html`<fs-library-nav></fs-library-nav>` : html`<fs-library-toolbar></fs-library-toolbar>`, host);
  const el = host.firstElementChild as E;
  Object.assign(el, props);
  await el.updateComplete;
  return el;
}

function collect<T>(el: Element, type: string): T[] {
  const out: T[] = [];
  el.addEventListener(type, (e) => out.push((e as CustomEvent<T>).detail));
  return out;
}

const item = (id: string, tags: string): LibraryItem => ({ id, name: id, description: '', tags }) as unknown as LibraryItem;

describe('fs-library-nav', () => {
  afterEach(() => document.body.querySelectorAll('div').forEach((d) => d.remove()));

  it('lists the views with their counts and reports the chosen one', async () => {
    const el = await place<LibraryNav>('fs-library-nav', {
      views: [
        { view: 'recent', count: 1 },
        { view: 'yours', count: 2 },
      ],
      view: 'recent',
    });
    const chosen = collect<string>(el, 'fs-view-select');
    const buttons = deepAll<HTMLButtonElement>(el, 'nav button.view');
    expect(buttons.map((b) => b.textContent!.replace(/\s+/g, ' ').trim())).to.deep.equal(['Recently Opened1', 'Your Workflows2']);
    expect(buttons[0]!.getAttribute('aria-current')).to.equal('page');
    buttons[1]!.click();
    expect(chosen).to.deep.equal(['yours']);
  });

  it('counts the tags of the searched workflows and reports a new selection, every spelling of a tag replaced', async () => {
    const el = await place<LibraryNav>('fs-library-nav', {
      views: [{ view: 'yours', count: 3 }],
      view: 'yours',
      items: [item('portrait one', 'portrait, flux'), item('portrait two', 'Portrait'), item('landscape', 'flux')],
      query: 'portrait',
      selectedTags: ['PORTRAIT'],
    });
    const selections = collect<string[]>(el, 'fs-tags-change');
    const labels = deepAll<HTMLLabelElement>(el, '.tags label');
    const text = (l: HTMLLabelElement) => l.textContent!.replace(/\s+/g, ' ').trim();
    expect(labels.map(text)).to.deep.equal(['Portrait2', 'flux1']);
    const portrait = labels[0]!.querySelector('input')!;
    expect(portrait.checked).to.equal(true);
    portrait.click();
    labels[1]!.querySelector('input')!.click();
    expect(selections).to.deep.equal([[], ['PORTRAIT', 'flux']]);
    deepAll<HTMLButtonElement>(el, 'button').find((b) => b.textContent === 'Reset tags')!.click();
    expect(selections.at(-1)).to.deep.equal([]);
  });
});

describe('fs-library-toolbar', () => {
  afterEach(() => document.body.querySelectorAll('div').forEach((d) => d.remove()));

  it('reports typing, clearing and the order chosen', async () => {
    const el = await place<LibraryToolbar>('fs-library-toolbar', { searchText: 'x', showOrder: true, orderBy: 'name', direction: 'ASC' });
    const typed = collect<string>(el, 'fs-search-input');
    const cleared = collect<undefined>(el, 'fs-search-clear');
    const orders = collect<OrderChange>(el, 'fs-order-change');
    const search = deepAll<HTMLInputElement>(el, 'input[type=search]')[0]!;
    search.value = 'xy';
    search.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    deepAll<HTMLButtonElement>(el, 'button[aria-label="Clear search"]')[0]!.click();
    const direction = deepAll<HTMLSelectElement>(el, 'select[aria-label=Direction]')[0]!;
    direction.value = 'DESC';
    direction.dispatchEvent(new Event('change'));
    expect(typed).to.deep.equal(['xy']);
    expect(cleared).to.have.length(2);
    expect(orders).to.deep.equal([{ direction: 'DESC' }]);
    el.showOrder = false;
    await el.updateComplete;
    expect(deepAll(el, 'select')).to.have.length(0);
  });
});
