import { expect } from 'chai';
import '../../client/components/user-menu/user-menu.js';
import type { UserMenu } from '../../client/components/user-menu/user-menu.js';
import { mount, waitFor } from './helpers.js';

type Mounted = Awaited<ReturnType<typeof mount<UserMenu>>>;

const trigger = (m: Mounted) => m.el.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-haspopup]')!;
/** Whether the menu is open (a boolean: chai's diff of a DOM element stalls the runner). */
const menu = (m: Mounted) => m.el.shadowRoot!.querySelector('[role=menu]') !== null;

async function openMenu(m: Mounted): Promise<void> {
  trigger(m).click();
  await m.el.updateComplete;
  expect(menu(m), 'menu open').to.equal(true);
  expect(trigger(m).getAttribute('aria-expanded')).to.equal('true');
}

describe('fs-user-menu', () => {
  let m: Mounted;
  const prevHash = location.hash;
  afterEach(async () => {
    await m?.cleanup();
    history.replaceState(null, '', prevHash || '#');
  });

  it('closes on Escape and gives the focus back to its button', async () => {
    m = await mount<UserMenu>('fs-user-menu');
    await openMenu(m);
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await m.el.updateComplete;
    expect(menu(m), 'menu open').to.equal(false);
    expect(m.el.shadowRoot!.activeElement === trigger(m), 'focus on the menu button').to.equal(true);
  });

  it('closes on a press outside it, not on a press inside it', async () => {
    m = await mount<UserMenu>('fs-user-menu');
    await openMenu(m);
    m.el.shadowRoot!.querySelector('[role=menu]')!.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
    await m.el.updateComplete;
    expect(menu(m), 'menu open').to.equal(true);
    document.body.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
    await m.el.updateComplete;
    expect(menu(m), 'menu open').to.equal(false);
  });

  it('closes on navigation', async () => {
    m = await mount<UserMenu>('fs-user-menu');
    await openMenu(m);
    location.hash = '#/admin';
    await waitFor(() => !menu(m));
  });
});
