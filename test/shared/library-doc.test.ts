import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createEntry,
  deleteEntry,
  InvalidWorkflowError,
  jsonToY,
  listEntryIds,
  MAX_JSON_DEPTH,
  MAX_VALUE_BYTES,
  readAll,
  readEntry,
  setEntryOpenedAt,
  setEntryPublic,
  updateEntryWorkflow,
  workflowsMap,
  type JsonObject,
  type LibraryEntryRead,
  type Workflow,
} from '../../shared/workflow/index.js';
import { DocPool, loadFixtures, prng, recordUpdates, shuffle, userCopy, type Fixture } from './helpers.js';

const pool = new DocPool();
afterEach(() => pool.destroyAll());

const fixtures = loadFixtures();
const byFile = (file: string): Fixture => fixtures.find((f) => f.file === file)!;
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

const asWorkflow = (json: JsonObject): Workflow => json as unknown as Workflow;

function validWorkflow(read: LibraryEntryRead | null): any {
  expect(read, 'entry exists').not.toBeNull();
  if (!read!.valid) throw new Error(`expected a valid entry, got: ${read!.reason}`);
  return read!.workflow;
}

/** A doc holding one user workflow, and that workflow's id. */
function libraryWith(json: JsonObject, isPublic = false): { doc: Y.Doc; id: string } {
  const doc = pool.make();
  const id = json['id'] as string;
  createEntry(doc, id, asWorkflow(json), { isPublic, now: T0 });
  return { doc, id };
}

describe('library document round trip', () => {
  it.each(fixtures.map((f) => [f.file, f] as const))('%s comes back exactly as it went in, also after sync', (_file, fixture) => {
    const { doc, id } = libraryWith(fixture.json);
    expect(validWorkflow(readEntry(doc, id))).toStrictEqual(fixture.json);
    const fresh = pool.make();
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc));
    const read = readEntry(fresh, id);
    expect(validWorkflow(read)).toStrictEqual(fixture.json);
    expect(read!.entry).toMatchObject({ is_public: false, created_at: T0, updated_at: T0, opened_at: null });
  });

  it('stores the workflow as nested Y types (contract §4)', () => {
    const { doc, id } = libraryWith(byFile('Flux Text to Image.json').json);
    const entry = workflowsMap(doc).get(id)!;
    const workflow = entry.get('workflow') as Y.Map<unknown>;
    expect(workflow).toBeInstanceOf(Y.Map);
    expect(workflow.get('nodes')).toBeInstanceOf(Y.Array);
    expect((workflow.get('nodes') as Y.Array<unknown>).get(0)).toBeInstanceOf(Y.Map);
    expect(workflow.get('name')).toBe('Text to Image - FLUX');
    expect(entry.get('is_public')).toBe(false);
  });

  it('saving an unchanged workflow only bumps updated_at', () => {
    const json = byFile('MultiDiffusion SDXL.json').json;
    const { doc, id } = libraryWith(json);
    const workflowMap = workflowsMap(doc).get(id)!.get('workflow') as Y.Map<unknown>;
    let workflowEvents = 0;
    workflowMap.observeDeep(() => workflowEvents++);
    expect(updateEntryWorkflow(doc, id, asWorkflow(structuredClone(json)), { now: T1 })).toBe(true);
    expect(workflowEvents).toBe(0);
    expect(readEntry(doc, id)!.entry.updated_at).toBe(T1);
  });
});

describe('library document writes', () => {
  const json = userCopy(byFile('Text to Image - SD1.5.json'), 'wf-1');

  it('creates public entries with the shared tag and stores the key as the workflow id', () => {
    const doc = pool.make();
    createEntry(doc, 'other-id', asWorkflow(json), { isPublic: true, now: T0 });
    const workflow = validWorkflow(readEntry(doc, 'other-id'));
    expect(workflow.id).toBe('other-id');
    expect(workflow.tags).toBe('SD1.5, text to image, shared');
  });

  it('refuses an invalid workflow or a taken id and writes nothing', () => {
    const doc = pool.make();
    const updates = recordUpdates(doc);
    const bad = structuredClone(json) as any;
    bad.meta.version = 'x';
    expect(() => createEntry(doc, 'wf-1', bad, { isPublic: false })).toThrow(InvalidWorkflowError);
    expect(updates).toHaveLength(0);
    createEntry(doc, 'wf-1', asWorkflow(json), { isPublic: false });
    expect(() => createEntry(doc, 'wf-1', asWorkflow(json), { isPublic: false })).toThrow('Workflow already exists: wf-1');
    expect(updates).toHaveLength(1);
    const before = Y.encodeStateVector(doc);
    expect(() => updateEntryWorkflow(doc, 'wf-1', bad)).toThrow('meta.version: Invalid workflow meta version: x');
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('keeps is_public on update: a saved workflow without the shared tag stays shared and tagged', () => {
    const { doc, id } = libraryWith(json, true);
    const edited = structuredClone(json) as any;
    edited.tags = 'SD1.5, mine'; // an editor that never saw the server add "shared"
    updateEntryWorkflow(doc, id, edited, { now: T1 });
    const read = readEntry(doc, id)!;
    expect(read.entry.is_public).toBe(true);
    expect(validWorkflow(read).tags).toBe('SD1.5, mine, shared');
  });

  it('setEntryPublic toggles is_public and the shared tag, bumping updated_at', () => {
    const { doc, id } = libraryWith(json);
    setEntryPublic(doc, id, true, { now: T1 });
    let read = readEntry(doc, id)!;
    expect(read.entry).toMatchObject({ is_public: true, updated_at: T1 });
    expect(validWorkflow(read).tags).toBe('SD1.5, text to image, shared');
    setEntryPublic(doc, id, false);
    read = readEntry(doc, id)!;
    expect(read.entry.is_public).toBe(false);
    expect(validWorkflow(read).tags).toBe('SD1.5, text to image');
  });

  it('records opened_at, deletes entries and reports unknown ids', () => {
    const { doc, id } = libraryWith(json);
    expect(setEntryOpenedAt(doc, id, T1)).toBe(true);
    expect(readEntry(doc, id)!.entry).toMatchObject({ opened_at: T1, updated_at: T0 });
    expect(() => setEntryOpenedAt(doc, id, 'yesterday')).toThrow(RangeError);
    expect(listEntryIds(doc)).toEqual([id]);
    expect(deleteEntry(doc, id)).toBe(true);
    expect(readEntry(doc, id)).toBeNull();
    expect(deleteEntry(doc, id)).toBe(false);
    expect(updateEntryWorkflow(doc, id, asWorkflow(json))).toBe(false);
    expect(setEntryPublic(doc, id, true)).toBe(false);
    expect(setEntryOpenedAt(doc, id, T1)).toBe(false);
  });
});

describe('offline edits on two devices', () => {
  const original = userCopy(byFile('Text to Image - SDXL.json'), 'wf-merge');

  /** Edits the workflow as a client does: read it, change the JSON, save it. */
  function edit(doc: Y.Doc, id: string, change: (w: any) => void, now = T1): void {
    const workflow = structuredClone(validWorkflow(readEntry(doc, id)));
    change(workflow);
    updateEntryWorkflow(doc, id, workflow, { now });
  }

  function inputWithValue(w: any): { node: any; field: string } {
    for (const node of w.nodes) {
      for (const [field, input] of Object.entries<any>(node.data.inputs ?? {})) {
        if (typeof input.value === 'number') return { node, field };
      }
    }
    throw new Error('fixture has no numeric input');
  }

  it('merges edits to different nodes, fields, tags and edges in either order', () => {
    const { doc: server, id } = libraryWith(original);
    const a = pool.replica(server, 101);
    const b = pool.replica(server, 202);
    const fromA = recordUpdates(a);
    const fromB = recordUpdates(b);

    const changeA = (w: any): void => {
      w.nodes[0].position.x += 100;
      const { node, field } = inputWithValue(w);
      w.nodes.find((n: any) => n.id === node.id).data.inputs[field].value = 4242;
    };
    const changeB = (w: any): void => {
      w.nodes[1].position.y -= 50;
      w.tags += ', mytag';
      w.edges.splice(0, 1);
    };
    edit(a, id, changeA);
    edit(b, id, changeB);

    const expected = structuredClone(original) as any;
    changeA(expected);
    changeB(expected);

    const aThenB = pool.replica(server);
    const bThenA = pool.replica(server);
    for (const u of fromA) Y.applyUpdate(aThenB, u);
    for (const u of fromB) Y.applyUpdate(aThenB, u);
    for (const u of fromB) Y.applyUpdate(bThenA, u);
    for (const u of fromA) Y.applyUpdate(bThenA, u);
    for (const u of fromB) Y.applyUpdate(a, u);
    for (const u of fromA) Y.applyUpdate(b, u);

    for (const doc of [a, b, aThenB, bThenA]) {
      expect(validWorkflow(readEntry(doc, id))).toStrictEqual(expected);
      expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(a));
    }
    expect(expected.tags).toBe('SDXL, text to image, mytag');
  });

  it('merges concurrent node and edge additions and removals without losing any', () => {
    const { doc: server, id } = libraryWith(original);
    const a = pool.replica(server, 1);
    const b = pool.replica(server, 2);
    const removedNode = original['nodes'] as JsonObject[];
    edit(a, id, (w) => {
      w.nodes.push({ id: 'from-a', type: 'invocation', data: { id: 'from-a' }, position: { x: 1, y: 1 } });
      w.nodes = w.nodes.filter((n: any) => n.id !== removedNode[2]!['id']);
    });
    edit(b, id, (w) => {
      w.nodes.splice(3, 0, { id: 'from-b', type: 'invocation', data: { id: 'from-b' }, position: { x: 2, y: 2 } });
      w.edges.push({ id: 'edge-b', type: 'default', source: 'from-b', target: 'from-a' });
    });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    const merged = validWorkflow(readEntry(a, id));
    expect(validWorkflow(readEntry(b, id))).toStrictEqual(merged);
    const ids = merged.nodes.map((n: any) => n.id);
    expect(ids).toContain('from-a');
    expect(ids).toContain('from-b');
    expect(ids).not.toContain(removedNode[2]!['id']);
    // B inserted it after the original third node, which A removed: it follows the second.
    expect(ids[ids.indexOf('from-b') - 1]).toBe(removedNode[1]!['id']);
    expect(merged.edges.map((e: any) => e.id)).toContain('edge-b');
  });

  /**
   * Random non-conflicting edits: every node, edge and top-level text field belongs to one device,
   * which alone edits it, so the merged result is predictable: all edits, whatever the delivery order.
   */
  describe.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    it('three devices converge on every edit after shuffled delivery, round after round', () => {
      const random = prng(seed);
      const start = userCopy(byFile('Tiled Upscaling (Beta).json'), 'wf-random');
      const { doc: server, id } = libraryWith(start);
      const devices = [0, 1, 2].map((i) => pool.replica(server, 1000 + i));
      const recorders = devices.map(recordUpdates);
      const owner = new Map<string, number>();
      for (const n of start['nodes'] as JsonObject[]) owner.set(`node:${n['id'] as string}`, Math.floor(random() * 3));
      for (const e of start['edges'] as JsonObject[]) owner.set(`edge:${e['id'] as string}`, Math.floor(random() * 3));
      const textField = ['name', 'description', 'tags'] as const;
      const expected = structuredClone(start) as any;
      const pick = <T>(items: T[]): T | undefined => items[Math.floor(random() * items.length)];
      let counter = 0;

      for (let round = 0; round < 4; round++) {
        const updates: Array<[number, Uint8Array]> = [];
        devices.forEach((doc, device) => {
          const offlineEdits: Array<(w: any) => void> = [];
          const edits = 1 + Math.floor(random() * 5);
          for (let k = 0; k < edits; k++) {
            const mine = (kind: string): string[] =>
              [...owner].filter(([key, d]) => d === device && key.startsWith(kind)).map(([key]) => key.slice(kind.length));
            const tag = `d${device}r${round}k${k}`;
            const choice = Math.floor(random() * 7);
            const nodeId = pick(mine('node:'));
            const edgeId = pick(mine('edge:'));
            const x = Math.floor(random() * 2000);
            if (choice === 0 && nodeId) {
              offlineEdits.push((w) => (w.nodes.find((n: any) => n.id === nodeId).position = { x, y: -x }));
            } else if (choice === 1 && nodeId) {
              offlineEdits.push((w) => (w.nodes.find((n: any) => n.id === nodeId).data.label = tag));
            } else if (choice === 2 && nodeId) {
              owner.delete(`node:${nodeId}`);
              offlineEdits.push((w) => (w.nodes = w.nodes.filter((n: any) => n.id !== nodeId)));
            } else if (choice === 3) {
              const newId = `node-${tag}-${counter++}`;
              const at = random();
              owner.set(`node:${newId}`, device);
              offlineEdits.push((w) =>
                w.nodes.splice(Math.floor(at * (w.nodes.length + 1)), 0, { id: newId, type: 'invocation', data: { id: newId, label: tag }, position: { x, y: x } }),
              );
            } else if (choice === 4 && edgeId) {
              owner.delete(`edge:${edgeId}`);
              offlineEdits.push((w) => (w.edges = w.edges.filter((e: any) => e.id !== edgeId)));
            } else if (choice === 5) {
              const newId = `edge-${tag}-${counter++}`;
              owner.set(`edge:${newId}`, device);
              offlineEdits.push((w) => w.edges.push({ id: newId, type: 'collapsed', source: 'a', target: 'b' }));
            } else {
              const field = textField[device]!;
              offlineEdits.push((w) => (w[field] = `${field} by ${tag}`));
            }
          }
          const stamp = new Date(Date.UTC(2026, 0, 1, round, device)).toISOString();
          // Some edits saved one by one, others several per save: both are how an editor saves.
          let batch: Array<(w: any) => void> = [];
          const save = (): void => {
            const changes = batch;
            batch = [];
            if (changes.length > 0) edit(doc, id, (w) => changes.forEach((change) => change(w)), stamp);
          };
          for (const change of offlineEdits) {
            batch.push(change);
            change(expected);
            if (random() < 0.5) save();
          }
          save();
          for (const u of recorders[device]!.splice(0)) updates.push([device, u]);
        });

        // Deliver every update to every other device, each in its own shuffled order.
        devices.forEach((doc, device) => {
          for (const [from, update] of shuffle(updates, random)) if (from !== device) Y.applyUpdate(doc, update);
        });
        expect(updates.length).toBeGreaterThan(0);
        for (const recorder of recorders) recorder.splice(0); // what the devices received, not edits

        const results = devices.map((doc) => validWorkflow(readEntry(doc, id)));
        for (const result of results.slice(1)) expect(result).toStrictEqual(results[0]);
        for (const doc of devices.slice(1)) expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(devices[0]!));
        const sorted = (w: any): any => ({
          ...w,
          nodes: [...w.nodes].sort((p: any, q: any) => (p.id < q.id ? -1 : 1)),
          edges: [...w.edges].sort((p: any, q: any) => (p.id < q.id ? -1 : 1)),
        });
        expect(sorted(results[0])).toStrictEqual(sorted(expected));
        // Nodes present from the start keep their relative order.
        const originalOrder = (start['nodes'] as JsonObject[]).map((n) => n['id']);
        const survivors = results[0].nodes.map((n: any) => n.id).filter((nid: string) => originalOrder.includes(nid));
        expect(survivors).toEqual(originalOrder.filter((nid) => survivors.includes(nid)));
      }
    });
  });
});

describe('the shared tag under concurrent edits', () => {
  const json = userCopy(byFile('Flux Text to Image.json'), 'wf-tags');

  it.each([
    [1, 2],
    [2, 1],
  ])('agrees with is_public whichever device wins the tags (client ids %i/%i)', (idA, idB) => {
    const { doc: server, id } = libraryWith(json);
    const a = pool.replica(server, idA);
    const b = pool.replica(server, idB);
    setEntryPublic(a, id, true, { now: T1 });
    const edited = structuredClone(validWorkflow(readEntry(b, id)));
    edited.tags = 'flux, mine';
    updateEntryWorkflow(b, id, edited, { now: T1 });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    for (const doc of [a, b]) {
      const read = readEntry(doc, id)!;
      expect(read.entry.is_public).toBe(true);
      const tags = validWorkflow(read).tags as string;
      expect(tags.split(', ')).toContain('shared');
    }
    // Record which raw string won, to show the rule (not luck) made them agree in one of the orders.
    const raw = (workflowsMap(a).get(id)!.get('workflow') as Y.Map<unknown>).get('tags');
    expect(['flux, text to image, shared', 'flux, mine']).toContain(raw);
  });

  it('derives the tag from is_public even when the stored string says otherwise', () => {
    const { doc, id } = libraryWith(json);
    const workflow = workflowsMap(doc).get(id)!.get('workflow') as Y.Map<unknown>;
    workflow.set('tags', 'flux, shared'); // a client that wrote the tag without making it public
    expect(validWorkflow(readEntry(doc, id)).tags).toBe('flux');
    setEntryPublic(doc, id, true);
    workflow.set('tags', 'flux'); // and one that dropped it from a public workflow
    expect(validWorkflow(readEntry(doc, id)).tags).toBe('flux, shared');
  });

  it('a private toggle on one device wins over a manual "shared" tag added on another', () => {
    const { doc: server, id } = libraryWith(json, true);
    const a = pool.replica(server, 1);
    const b = pool.replica(server, 2);
    setEntryPublic(a, id, false);
    const edited = structuredClone(validWorkflow(readEntry(b, id)));
    edited.tags = 'flux, shared, extra';
    updateEntryWorkflow(b, id, edited);
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    for (const doc of [a, b]) {
      const read = readEntry(doc, id)!;
      expect(read.entry.is_public).toBe(false);
      expect(validWorkflow(read).tags.split(', ')).not.toContain('shared');
    }
  });
});

describe('entries written straight into the document', () => {
  const good1 = userCopy(byFile('Flux Text to Image.json'), 'good-1');
  const good2 = userCopy(byFile('SD3.5 Text to Image.json'), 'good-2');

  function rawEntry(workflow: unknown, fields: Record<string, unknown> = {}): Y.Map<unknown> {
    const entry = new Y.Map<unknown>();
    entry.set('workflow', workflow);
    entry.set('is_public', false);
    entry.set('created_at', T0);
    entry.set('updated_at', T0);
    entry.set('opened_at', null);
    for (const [key, value] of Object.entries(fields)) entry.set(key, value);
    return entry;
  }

  const badVersion = { ...structuredClone(good1), id: 'bad', meta: { version: 'x', category: 'user' } };
  const deep = (): Y.Map<unknown> => {
    // Built as Yjs types (jsonToY refuses JSON this deep), 300 levels: integrated in one go.
    let value = new Y.Map<unknown>([['n', 'leaf']]);
    for (let i = 0; i < 300; i++) value = new Y.Map<unknown>([['n', value]]);
    const workflow = jsonToY({ ...structuredClone(good1), id: 'bad' }) as Y.Map<unknown>;
    workflow.set('form', value);
    return workflow;
  };
  /** Nests maps under `form`, one level per call, as a client can: nothing recurses while building. */
  const nestDeep = (workflow: Y.Map<any>, levels = 50_000): void => {
    let at: Y.Map<unknown> = workflow;
    for (let i = 0; i < levels; i++) {
      const next = new Y.Map<unknown>();
      at.set('form', next);
      at = next;
    }
  };
  const good = (): Y.Map<unknown> => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }));

  // [what, the entry to store, the reason expected, a change made to its workflow once stored]
  it.each<[string, () => unknown, string, ((workflow: Y.Map<any>) => void)?]>([
    ['a bad meta version', () => rawEntry(jsonToY(badVersion)), 'meta.version: Invalid workflow meta version: x'],
    ['a node without id', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad', nodes: [{ type: 'x' }] })), 'nodes.0.id: Required'],
    ['binary data in a node', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' })), 'nodes.0.blob: not a JSON value (binary data)',
      (w) => w.get('nodes').get(0).set('blob', new Uint8Array([1]))],
    ['NaN in a position', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' })), 'nodes.1.position.x: not a JSON value (NaN)',
      (w) => w.get('nodes').get(1).get('position').set('x', NaN)],
    ['a workflow that is a string', () => rawEntry('{"name":"x"}'), 'workflow: expected a JSON object, received string'],
    ['a workflow that is Y.Text', () => rawEntry(new Y.Text('hello')), 'workflow: expected a JSON object, received a Y.Text'],
    ['a workflow that is a Y.XmlFragment', () => rawEntry(new Y.XmlFragment()), 'workflow: expected a JSON object, received a Y.XmlFragment'],
    ['a workflow that is a subdocument', () => rawEntry(new Y.Doc()), 'workflow: expected a JSON object, received a Y.Doc (subdocument)'],
    ['a workflow that is an array', () => rawEntry(new Y.Array()), 'workflow: expected a JSON object, received an array'],
    ['a name that is Y.Text', good, 'name: not a JSON value (a Y.Text)', (w) => w.set('name', new Y.Text('x'))],
    ['a name that is a number', good, 'name: ', (w) => w.set('name', 5)],
    ['a Y.XmlElement where a node belongs', good, 'nodes.0: not a JSON value (a Y.XmlElement)', (w) => w.get('nodes').insert(0, [new Y.XmlElement('p')])],
    ['a BigInt in a node', good, 'nodes.0.x: not a JSON value (a bigint)', (w) => w.get('nodes').get(0).set('x', 10n)],
    ['a string over the value limit', good, `notes: a string longer than ${MAX_VALUE_BYTES} bytes`, (w) => w.set('notes', 'x'.repeat(MAX_VALUE_BYTES + 1))],
    ['a BigInt created_at', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }), { created_at: 10n }), 'created_at: expected an ISO-8601 UTC timestamp, found a bigint'],
    ['binary data as updated_at', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }), { updated_at: new Uint8Array([1]) }), 'updated_at: expected an ISO-8601 UTC timestamp, found binary data'],
    ['a Y.Map as opened_at', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }), { opened_at: new Y.Map() }), 'opened_at: expected an ISO-8601 UTC timestamp or null, found a Yjs type'],
    ['no workflow at all', () => rawEntry(undefined), 'workflow: expected a JSON object, received undefined'],
    ['an id that differs from its key', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'elsewhere' })), 'id: workflow id elsewhere does not match its library key bad'],
    ['is_public that is not a boolean', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }), { is_public: 'yes' }), 'is_public: expected a boolean, found string'],
    ['a bad timestamp', () => rawEntry(jsonToY({ ...structuredClone(good1), id: 'bad' }), { updated_at: 'now' }), 'updated_at: expected an ISO-8601 UTC timestamp, found "now"'],
    ['an entry that is not a map', () => 'just a string', 'entry: expected a map, found string'],
    ['nesting 300 levels deep', () => rawEntry(deep()), `form${'.n'.repeat(MAX_JSON_DEPTH - 1)}: nested deeper than ${MAX_JSON_DEPTH} levels`],
    ['nesting 50,000 levels deep', good, `nested deeper than ${MAX_JSON_DEPTH} levels`, nestDeep],
  ])('%s comes back invalid with the reason; the others are unaffected', (_label, make, reason, change) => {
    const doc = pool.make();
    createEntry(doc, 'good-1', asWorkflow(good1), { isPublic: false, now: T0 });
    createEntry(doc, 'good-2', asWorkflow(good2), { isPublic: true, now: T0 });
    doc.transact(() => (workflowsMap(doc) as Y.Map<unknown>).set('bad', make()));
    if (change) doc.transact(() => change(workflowsMap(doc).get('bad')!.get('workflow') as Y.Map<any>));
    // Through a replica too: what a client wrote is what other clients and the server decode.
    for (const replica of [doc, pool.replica(doc)]) {
      const bad = readEntry(replica, 'bad')!;
      expect(bad.valid).toBe(false);
      if (!bad.valid) expect(bad.reason).toContain(reason);
      const all = readAll(replica);
      expect(all.map(([entryId]) => entryId)).toEqual(['bad', 'good-1', 'good-2']);
      expect(all.map(([, read]) => read.valid)).toEqual([false, true, true]);
      expect(validWorkflow(readEntry(replica, 'good-1'))).toStrictEqual(good1);
    }
  });

  // 20,000 levels: ten times what Yjs can delete in one go; taking it apart costs time quadratic in depth.
  it('an entry nested 20,000 levels deep (stored before the update limits) can be deleted or replaced, and every replica applies that', () => {
    for (const action of ['delete', 'replace'] as const) {
      const doc = pool.make();
      createEntry(doc, 'good-1', asWorkflow(good1), { isPublic: false, now: T0 });
      // One transaction: Yjs walks up to the root once per transaction and changed type.
      doc.transact(() => {
        workflowsMap(doc).set('deep', good());
        nestDeep(workflowsMap(doc).get('deep')!.get('workflow') as Y.Map<any>, 20_000);
      });
      const replica = pool.replica(doc);
      const updates: Uint8Array[] = [];
      doc.on('update', (update: Uint8Array) => updates.push(update));
      if (action === 'delete') expect(deleteEntry(doc, 'deep')).toBe(true);
      else expect(updateEntryWorkflow(doc, 'deep', asWorkflow({ ...good1, id: 'deep' }))).toBe(true);
      // Taken apart in several updates, each applied by the replica as it arrives.
      expect(updates.length).toBeGreaterThan(1);
      for (const update of updates) Y.applyUpdate(replica, update);
      for (const copy of [doc, replica]) {
        if (action === 'delete') expect(readEntry(copy, 'deep')).toBeNull();
        else expect(validWorkflow(readEntry(copy, 'deep'))).toStrictEqual({ ...good1, id: 'deep' });
        expect(validWorkflow(readEntry(copy, 'good-1'))).toStrictEqual(good1);
      }
    }
  });

  it('a repeated node id left by a merge is dropped on read and removed by the next save', () => {
    const { doc, id } = libraryWith(good1);
    const nodes = (workflowsMap(doc).get(id)!.get('workflow') as Y.Map<unknown>).get('nodes') as Y.Array<unknown>;
    nodes.push([jsonToY(structuredClone((good1['nodes'] as JsonObject[])[0]!))]);
    expect(validWorkflow(readEntry(doc, id))).toStrictEqual(good1);
    updateEntryWorkflow(doc, id, asWorkflow(good1));
    expect(nodes.length).toBe((good1['nodes'] as JsonObject[]).length);
  });
});
