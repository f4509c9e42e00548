// The entry fields of the version history (HISTORY design, contract §4): `last_save` (the Save marker
// the server tells a Save by) and `share_versions` (readers may see versions), in the library document
// and carried into `public`.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  checkPublicEntry,
  createEntry,
  readEntry,
  setEntryLastSave,
  setEntryShareVersions,
  updateEntryWorkflow,
  workflowsMap,
  type Workflow,
} from '../../shared/workflow/index.js';
import { loadFixtures, userCopy } from '../shared/helpers.js';

const fixture = loadFixtures()[0]!;
const T0 = '2026-01-01T00:00:00.000Z';
const save = { id: 'save-1', device: 'dev-a', label: 'Chrome on Linux', at: T0 };

function docWith(id: string): Y.Doc {
  const doc = new Y.Doc();
  createEntry(doc, id, userCopy(fixture, id) as unknown as Workflow, { isPublic: false, now: T0 });
  return doc;
}

describe('last_save and share_versions', () => {
  it('an entry without them reads as no marker and versions not shared', () => {
    const read = readEntry(docWith('w1'), 'w1')!;
    expect(read.valid).toBe(true);
    expect(read.entry.last_save).toBeUndefined();
    expect(read.entry.share_versions).toBe(false);
  });

  it('a Save writes the marker in the same transaction as the workflow', () => {
    const doc = docWith('w1');
    const transactions: number[] = [];
    doc.on('afterTransaction', () => transactions.push(1));
    const workflow = readEntry(doc, 'w1')!.entry.workflow as Workflow;
    updateEntryWorkflow(doc, 'w1', { ...workflow, name: 'renamed' }, { now: T0, lastSave: save });
    expect(transactions).toHaveLength(1);
    expect(readEntry(doc, 'w1')!.entry.last_save).toEqual(save);
    setEntryLastSave(doc, 'w1', { ...save, id: 'save-2' });
    expect(readEntry(doc, 'w1')!.entry.last_save?.id).toBe('save-2');
  });

  it('a malformed marker written by a client is ignored, and the entry stays valid', () => {
    const doc = docWith('w1');
    const entry = workflowsMap(doc).get('w1')!;
    for (const bad of ['x', { ...save, at: 'yesterday' }, { ...save, id: 'has space' }, { ...save, label: 'x'.repeat(201) }, 7]) {
      entry.set('last_save', bad);
      const read = readEntry(doc, 'w1')!;
      expect(read.valid).toBe(true);
      expect(read.entry.last_save).toBeUndefined();
    }
    entry.set('share_versions', 'yes');
    expect(readEntry(doc, 'w1')!.entry.share_versions).toBe(false);
    expect(() => setEntryLastSave(doc, 'w1', { ...save, at: 'nope' })).toThrow(RangeError);
  });

  it('share_versions is set and read; public entries carry it only when true', () => {
    const doc = docWith('w1');
    setEntryShareVersions(doc, 'w1', true);
    expect(readEntry(doc, 'w1')!.entry.share_versions).toBe(true);
    const base = {
      workflow: userCopy(fixture, 'w1'),
      user_id: 'u1',
      owner_name: 'U',
      is_public: true,
      category: 'user',
      created_at: T0,
      updated_at: T0,
    };
    const on = checkPublicEntry('w1', { ...base, share_versions: true });
    expect(on.ok && on.entry.share_versions).toBe(true);
    const off = checkPublicEntry('w1', { ...base, share_versions: false });
    expect(off.ok && off.entry.share_versions).toBeUndefined();
    expect(checkPublicEntry('w1', { ...base, share_versions: 'yes' }).ok).toBe(false);
  });
});
