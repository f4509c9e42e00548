// The update limits (server/sync/update-limits.ts) on their own, against real Yjs updates: every real
// workflow passes, anything nested past the document depth limit or carrying a value over the value
// limit is refused before it is applied, however the update is put together, and nothing the check
// reads (truncated, random or hostile bytes) makes it throw or recurse.
import { afterEach, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { checkClientUpdate } from '../../server/sync/update-limits.js';
import { createEntry, deleteEntry, MAX_DOCUMENT_DEPTH, MAX_JSON_DEPTH, MAX_VALUE_BYTES, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { DocPool, loadFixtures, prng, userCopy } from '../shared/helpers.js';

const pool = new DocPool();
afterEach(() => pool.destroyAll());

/** The update a transaction on `doc` produces. */
function updateOf(doc: Y.Doc, change: () => void): Uint8Array {
  let update: Uint8Array | null = null;
  const listener = (u: Uint8Array) => (update = u);
  doc.on('update', listener);
  doc.transact(change);
  doc.off('update', listener);
  if (update === null) throw new Error('the change wrote nothing');
  return update;
}

/** Nests `levels` maps below `parent`, one set per level (as a hostile client can, without recursion). */
function nest(parent: Y.Map<unknown>, levels: number): Y.Map<unknown> {
  let at = parent;
  for (let i = 0; i < levels; i++) {
    const next = new Y.Map<unknown>();
    at.set('deeper', next);
    at = next;
  }
  return at;
}

function refusal(server: Y.Doc, update: Uint8Array): string {
  const checked = checkClientUpdate(server, update);
  return checked.ok ? 'ok' : checked.refusal;
}

describe('real workflows', () => {
  it('every default workflow passes, whole and edit by edit, and the limits leave them a wide margin', () => {
    // A workflow of MAX_JSON_DEPTH levels (what REST accepts) sits 2 levels below the root: it must fit.
    expect(MAX_JSON_DEPTH + 2).toBeLessThanOrEqual(MAX_DOCUMENT_DEPTH);
    const client = pool.make();
    const server = pool.make();
    loadFixtures().forEach((fixture, i) => {
      const update = updateOf(client, () => createEntry(client, `w${i}`, userCopy(fixture, `w${i}`) as unknown as Workflow, { isPublic: false }));
      expect(checkClientUpdate(server, update), fixture.file).toEqual({ ok: true });
      Y.applyUpdate(server, update);
    });
    // The whole state again (a client's sync step 2 after a reconnect): nothing new, nothing refused.
    expect(checkClientUpdate(server, Y.encodeStateAsUpdate(client))).toEqual({ ok: true });
    expect(checkClientUpdate(pool.make(), Y.encodeStateAsUpdate(client))).toEqual({ ok: true });
  });
});

describe('depth', () => {
  it(`a map ${MAX_DOCUMENT_DEPTH} levels below the root passes; one more level is refused`, () => {
    for (const [levels, expected] of [[MAX_DOCUMENT_DEPTH, 'ok'], [MAX_DOCUMENT_DEPTH + 1, 'too-large']] as const) {
      const client = pool.make();
      // The entry map is level 1: levels - 1 more below it.
      const update = updateOf(client, () => {
        const entry = new Y.Map<unknown>();
        workflowsMap(client).set('w', entry);
        nest(entry, levels - 1);
      });
      expect(refusal(pool.make(), update), `${levels} levels`).toBe(expected);
    }
  });

  it('50,000 levels in one update are refused without a stack overflow', () => {
    const client = pool.make();
    const update = updateOf(client, () => nest(workflowsMap(client) as unknown as Y.Map<unknown>, 50_000));
    expect(checkClientUpdate(pool.make(), update)).toMatchObject({ ok: false, refusal: 'too-large' });
  });

  it('depth is counted from the parent the server already holds', () => {
    const client = pool.make();
    const server = pool.make();
    let bottom: Y.Map<unknown> | null = null;
    const first = updateOf(client, () => (bottom = nest(workflowsMap(client) as unknown as Y.Map<unknown>, 40)));
    expect(refusal(server, first)).toBe('ok');
    Y.applyUpdate(server, first);
    const second = updateOf(client, () => nest(bottom!, 30));
    expect(refusal(server, second)).toBe('too-large');
  });

  it('an item whose parent is left out (it has a neighbour) is placed under its neighbour\'s parent', () => {
    const client = pool.make();
    const server = pool.make();
    let array: Y.Array<unknown> | null = null;
    // An array at level MAX - 1 holding a map (level MAX): allowed.
    const first = updateOf(client, () => {
      const top = nest(workflowsMap(client) as unknown as Y.Map<unknown>, MAX_DOCUMENT_DEPTH - 2);
      array = new Y.Array<unknown>();
      top.set('list', array);
      array.push([new Y.Map()]);
    });
    expect(refusal(server, first)).toBe('ok');
    Y.applyUpdate(server, first);
    // Pushed after the map: encoded with that neighbour as origin and no parent. A plain object
    // holding an object would reach MAX + 1.
    const second = updateOf(client, () => array!.push([{ inner: {} }]));
    expect(refusal(server, second)).toBe('too-large');
    const third = updateOf(client, () => array!.push([{ flat: 1 }]));
    expect(refusal(server, third)).toBe('ok');
  });

  it('a deep chain sent lower half first (left pending) is refused when the upper half arrives', () => {
    const client = pool.make();
    const server = pool.make();
    let middle: Y.Map<unknown> | null = null;
    const upper = updateOf(client, () => (middle = nest(workflowsMap(client) as unknown as Y.Map<unknown>, 40)));
    const lower = updateOf(client, () => nest(middle!, 40));
    expect(refusal(server, lower)).toBe('ok'); // its parent is unknown: it cannot be integrated yet
    Y.applyUpdate(server, lower);
    expect(server.store.pendingStructs).not.toBeNull();
    expect(refusal(server, upper)).toBe('too-large');
  });

  it('a type the server already has is not checked again (a client resending its state)', () => {
    // A document deeper than the limit, as one stored before the limits existed could be.
    const server = pool.make();
    nest(workflowsMap(server) as unknown as Y.Map<unknown>, MAX_DOCUMENT_DEPTH + 20);
    const client = pool.replica(server);
    expect(refusal(server, Y.encodeStateAsUpdate(client))).toBe('ok');
    // But nothing new goes below it.
    let bottom: Y.Map<unknown> = workflowsMap(client) as unknown as Y.Map<unknown>;
    while (bottom.get('deeper') instanceof Y.Map) bottom = bottom.get('deeper') as Y.Map<unknown>;
    expect(refusal(server, updateOf(client, () => bottom.set('x', 1)))).toBe('ok'); // a scalar adds no level
    expect(refusal(server, updateOf(client, () => bottom.set('y', new Y.Map())))).toBe('too-large');
  });

  it('a plain value nested past the limit is refused, also 100,000 levels deep (lib0 readAny would overflow)', () => {
    for (const [levels, expected] of [[MAX_DOCUMENT_DEPTH, 'ok'], [MAX_DOCUMENT_DEPTH + 1, 'too-large'], [100_000, 'too-large']] as const) {
      // lib0's writeAny recurses too: encode by hand, the way a hostile client could.
      const update = rawUpdate((encoder) => {
        encoding.writeVarUint(encoder, 1);
        for (let i = 0; i < levels; i++) {
          encoding.writeUint8(encoder, 117); // array
          encoding.writeVarUint(encoder, 1);
        }
        encoding.writeUint8(encoder, 125); // integer
        encoding.writeVarInt(encoder, 1);
      }, 8);
      expect(refusal(pool.make(), update), `${levels} levels`).toBe(expected);
    }
    const client = pool.make();
    expect(refusal(pool.make(), updateOf(client, () => workflowsMap(client).set('w', { a: { b: [1] } } as never)))).toBe('ok');
  });

  it('a JSON string nested past the limit is refused (legacy ContentJSON, parsed by Yjs with JSON.parse)', () => {
    for (const [json, expected] of [['{"a":[1,{"b":"[[[["}]}', 'ok'], ['['.repeat(100_000) + ']'.repeat(100_000), 'too-large']] as const) {
      const update = rawUpdate((encoder) => {
        encoding.writeVarUint(encoder, 1);
        encoding.writeVarString(encoder, json);
      }, 2);
      expect(refusal(pool.make(), update)).toBe(expected);
      if (expected === 'ok') {
        const doc = pool.make();
        Y.applyUpdate(doc, update); // Yjs reads it as we did
        expect(doc.getMap('workflows').get('k')).toEqual({ a: [1, { b: '[[[[' }] });
      }
    }
  });
});

/** A one-item update setting key 'k' of root map 'workflows', with content `ref` written by `content`. */
function rawUpdate(content: (encoder: encoding.Encoder) => void, ref: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1); // one client
  encoding.writeVarUint(encoder, 1); // one struct
  encoding.writeVarUint(encoder, 4242); // client id
  encoding.writeVarUint(encoder, 0); // clock
  encoding.writeUint8(encoder, ref | 0x20); // content ref, parent sub (a map key) follows
  encoding.writeVarUint(encoder, 1); // parent is a root type, by name
  encoding.writeVarString(encoder, 'workflows');
  encoding.writeVarString(encoder, 'k');
  content(encoder);
  encoding.writeVarUint(encoder, 0); // empty delete set
  return encoding.toUint8Array(encoder);
}

describe('value size', () => {
  const cases: Array<[string, (map: Y.Map<unknown>) => void, string]> = [
    ['a string of exactly the limit', (m) => m.set('s', 'x'.repeat(MAX_VALUE_BYTES)), 'ok'],
    ['a string one byte over', (m) => m.set('s', 'x'.repeat(MAX_VALUE_BYTES + 1)), 'too-large'],
    ['a string over the limit in UTF-8 only', (m) => m.set('s', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1)), 'too-large'],
    ['binary data over the limit', (m) => m.set('b', new Uint8Array(MAX_VALUE_BYTES + 1)), 'too-large'],
    ['a key over the limit', (m) => m.set('k'.repeat(MAX_VALUE_BYTES + 1), 1), 'too-large'],
    ['an object of small strings over the limit', (m) => m.set('o', { a: 'x'.repeat(MAX_VALUE_BYTES / 2), b: 'x'.repeat(MAX_VALUE_BYTES / 2) }), 'too-large'],
    ['many small values in one push', (m) => m.set('a', Y.Array.from(Array.from({ length: 4 }, () => 'x'.repeat(MAX_VALUE_BYTES / 2)))), 'ok'],
    ['Y.Text over the limit in one insert', (m) => m.set('t', new Y.Text('x'.repeat(MAX_VALUE_BYTES + 1))), 'too-large'],
  ];
  it.each(cases)('%s', (_label, change, expected) => {
    const client = pool.make();
    const update = updateOf(client, () => change(workflowsMap(client) as unknown as Y.Map<unknown>));
    expect(refusal(pool.make(), update)).toBe(expected);
  });
});

describe('deletions', () => {
  it('deleting a stored entry too deep for Yjs in one update is refused; taken apart by the app, every step passes', () => {
    // A library stored before the limits: 3,000 levels (Yjs overflows the stack near 2,000).
    const server = pool.make();
    server.transact(() => {
      const entry = new Y.Map<unknown>();
      workflowsMap(server).set('deep', entry as never);
      nest(entry, 3_000);
    });
    const client = pool.replica(server);
    const entryItem = (workflowsMap(server).get('deep') as unknown as Y.Map<unknown>)._item!;
    // A hand-made delete of the entry (a stock client's own Yjs would overflow making it).
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0); // no structs
    encoding.writeVarUint(encoder, 1); // one client in the delete set
    encoding.writeVarUint(encoder, entryItem.id.client);
    encoding.writeVarUint(encoder, 1); // one range
    encoding.writeVarUint(encoder, entryItem.id.clock);
    encoding.writeVarUint(encoder, 1);
    expect(checkClientUpdate(server, encoding.toUint8Array(encoder))).toMatchObject({ ok: false, refusal: 'too-large' });

    const updates: Uint8Array[] = [];
    client.on('update', (update: Uint8Array) => updates.push(update));
    deleteEntry(client, 'deep');
    expect(updates.length).toBeGreaterThan(1);
    for (const update of updates) {
      expect(checkClientUpdate(server, update)).toEqual({ ok: true });
      Y.applyUpdate(server, update);
    }
    expect(workflowsMap(server).has('deep')).toBe(false);
  });

  it('deleting real workflows passes', () => {
    const client = pool.make();
    loadFixtures().slice(0, 5).forEach((fixture, i) => createEntry(client, `w${i}`, userCopy(fixture, `w${i}`) as unknown as Workflow, { isPublic: false }));
    const server = pool.replica(client);
    const update = updateOf(client, () => {
      for (let i = 0; i < 5; i++) workflowsMap(client).delete(`w${i}`);
    });
    expect(checkClientUpdate(server, update)).toEqual({ ok: true });
  });
});

describe('unreadable updates', () => {
  it('truncated or random bytes are refused as malformed or pass to Yjs; the check never throws', () => {
    const client = pool.make();
    const sample = updateOf(client, () => createEntry(client, 'w', userCopy(loadFixtures()[0]!, 'w') as unknown as Workflow, { isPublic: false }));
    const random = prng(20261201);
    for (let i = 0; i < 300; i++) {
      const bytes = sample.slice(0, Math.floor(random() * sample.length));
      for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const server = pool.make();
      const checked = checkClientUpdate(server, bytes);
      if (!checked.ok) continue;
      // Passed: Yjs may still refuse it (the server then closes 4400), but must not integrate anything too deep.
      try {
        Y.applyUpdate(server, bytes);
      } catch {
        // refused by Yjs: the server answers 4400
      }
    }
    expect(refusal(pool.make(), new Uint8Array([1, 200, 200, 200, 200, 1]))).toBe('malformed');
    expect(refusal(pool.make(), new Uint8Array([]))).toBe('malformed');
  });
});
