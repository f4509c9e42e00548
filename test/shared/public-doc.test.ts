import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  publicMap,
  putPublicEntry,
  readPublicEntries,
  readPublicEntry,
  removePublicEntry,
  type JsonObject,
  type PublicEntry,
  type Workflow,
} from '../../shared/workflow/index.js';
import { DocPool, loadFixtures, recordUpdates, userCopy } from './helpers.js';

const pool = new DocPool();
afterEach(() => pool.destroyAll());

const fixtures = loadFixtures();
const T0 = '2026-01-01T00:00:00.000Z';

function defaultEntry(json: JsonObject): PublicEntry {
  return {
    workflow: structuredClone(json) as unknown as Workflow,
    user_id: 'system',
    owner_name: 'System',
    is_public: false,
    category: 'default',
    created_at: T0,
    updated_at: T0,
  };
}

function sharedEntry(id: string): PublicEntry {
  return {
    workflow: userCopy(fixtures[0]!, id) as unknown as Workflow,
    user_id: 'u-1',
    owner_name: 'Ada',
    is_public: true,
    category: 'user',
    created_at: T0,
    updated_at: T0,
  };
}

describe('public document', () => {
  it('holds all 26 default workflows as plain JSON and reads them back exactly, also after sync', () => {
    const doc = pool.make();
    for (const { json } of fixtures) putPublicEntry(doc, json['id'] as string, defaultEntry(json));
    const value = publicMap(doc).get(fixtures[0]!.json['id'] as string);
    expect(value).not.toBeInstanceOf(Y.AbstractType);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    const fresh = pool.replica(doc);
    const read = readPublicEntries(fresh);
    expect(read.map(([id]) => id)).toEqual(fixtures.map((f) => f.json['id'] as string).sort());
    for (const { json } of fixtures) {
      expect(readPublicEntry(fresh, json['id'] as string)).toStrictEqual(defaultEntry(json));
    }
  });

  it('republishing an unchanged entry writes nothing; a change writes once', () => {
    const doc = pool.make();
    const entry = sharedEntry('wf-1');
    expect(putPublicEntry(doc, 'wf-1', entry)).toBe(true);
    const updates = recordUpdates(doc);
    expect(putPublicEntry(doc, 'wf-1', structuredClone(entry))).toBe(false);
    // Key order does not make an entry different.
    const reordered = Object.fromEntries(Object.entries(structuredClone(entry)).reverse()) as unknown as PublicEntry;
    expect(putPublicEntry(doc, 'wf-1', reordered)).toBe(false);
    expect(updates).toHaveLength(0);
    expect(putPublicEntry(doc, 'wf-1', { ...entry, owner_name: 'Ada L.' })).toBe(true);
    expect(updates).toHaveLength(1);
    expect(readPublicEntry(doc, 'wf-1')!.owner_name).toBe('Ada L.');
  });

  it('gives a shared user workflow the shared tag', () => {
    const doc = pool.make();
    putPublicEntry(doc, 'wf-1', sharedEntry('wf-1'));
    expect(readPublicEntry(doc, 'wf-1')!.workflow.tags).toBe('CogView4, Text to Image, shared');
  });

  it('refuses to publish an invalid workflow or one under another id, writing nothing', () => {
    const doc = pool.make();
    const updates = recordUpdates(doc);
    const bad = sharedEntry('wf-1');
    (bad.workflow.meta as { version: string }).version = 'x';
    expect(() => putPublicEntry(doc, 'wf-1', bad)).toThrow('Refusing to publish wf-1: workflow.meta.version: Invalid workflow meta version: x');
    expect(() => putPublicEntry(doc, 'wf-2', sharedEntry('wf-1'))).toThrow('does not match the entry key wf-2');
    expect(() => putPublicEntry(doc, 'wf-1', { ...sharedEntry('wf-1'), category: 'project' as 'user' })).toThrow('category');
    expect(updates).toHaveLength(0);
  });

  it('skips malformed entries when reading and removes entries', () => {
    const doc = pool.make();
    putPublicEntry(doc, 'wf-1', sharedEntry('wf-1'));
    doc.transact(() => {
      publicMap(doc).set('junk', { workflow: {}, user_id: 'x' });
      publicMap(doc).set('text', 'not an entry');
    });
    expect(readPublicEntries(doc).map(([id]) => id)).toEqual(['wf-1']);
    expect(readPublicEntry(doc, 'junk')).toBeNull();
    expect(removePublicEntry(doc, 'wf-1')).toBe(true);
    expect(removePublicEntry(doc, 'wf-1')).toBe(false);
    expect(readPublicEntries(doc)).toEqual([]);
  });

  it('returns copies: changing a read entry does not change the document', () => {
    const doc = pool.make();
    putPublicEntry(doc, 'wf-1', sharedEntry('wf-1'));
    readPublicEntry(doc, 'wf-1')!.workflow.name = 'changed';
    expect(readPublicEntry(doc, 'wf-1')!.workflow.name).not.toBe('changed');
  });
});
