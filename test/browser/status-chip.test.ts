import { expect } from 'chai';
import '../../client/components/status-chip/status-chip.js';
import type { StatusChip } from '../../client/components/status-chip/status-chip.js';

describe('fs-status-chip', () => {
  afterEach(() => document.querySelectorAll('.chip-row').forEach((r) => r.remove()));

  it('shows the status and the number of local changes not yet on the server', async () => {
    const chip = document.createElement('fs-status-chip');
    chip.status = 'offline';
    chip.pending = 3;
    const row = document.createElement('div');
    row.className = 'chip-row';
    row.append(chip);
    document.body.append(row);
    await chip.updateComplete;
    const span = chip.shadowRoot!.querySelector('span')!;
    expect(span.dataset.status).to.equal('offline');
    expect(span.textContent!.trim()).to.equal('Offline · 3 local changes not synced');
    chip.pending = 0;
    chip.status = 'online';
    await chip.updateComplete;
    expect(span.textContent!.trim()).to.equal('Online');
  });

  it('says when the library is over its storage quota (closed with 4429)', async () => {
    const chip = document.createElement('fs-status-chip');
    chip.status = 'over-quota';
    chip.pending = 1;
    const row = document.createElement('div');
    row.className = 'chip-row';
    row.append(chip);
    document.body.append(row);
    await chip.updateComplete;
    const span = chip.shadowRoot!.querySelector('span')!;
    expect(span.dataset.status).to.equal('over-quota');
    expect(span.textContent!.trim()).to.equal('Over storage quota · 1 local change not synced');
  });

  it('wraps inside a narrow header instead of growing wider than it (phone width)', async () => {
    // The app's header bar on a 390 px phone leaves the chip about 150 px beside title and user menu.
    const row = document.createElement('div');
    row.className = 'chip-row';
    row.style.cssText = 'display:flex;gap:0.6rem;width:390px;align-items:center';
    row.innerHTML = '<b style="margin-right:auto;flex:none">Flowshelf</b><fs-status-chip></fs-status-chip><button style="flex:none;width:140px">Ada Admin ▾</button>';
    document.body.append(row);
    const chip = row.querySelector<StatusChip>('fs-status-chip')!;
    chip.status = 'offline';
    chip.pending = 12;
    await chip.updateComplete;
    expect(row.scrollWidth).to.be.at.most(390);
    const span = chip.shadowRoot!.querySelector('span')!.getBoundingClientRect();
    expect(span.right).to.be.at.most(row.querySelector('button')!.getBoundingClientRect().left);
  });
});
