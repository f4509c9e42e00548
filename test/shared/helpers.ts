// Test helpers for the shared workflow model: the real InvokeAI default workflows, a seeded PRNG and
// ways to move Yjs updates between replicas the way the network would.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import type { JsonObject } from '../../shared/workflow/json.js';

const FIXTURE_DIR = fileURLToPath(new URL('../../server/library/default-workflows/', import.meta.url));

export interface Fixture {
  file: string;
  json: JsonObject;
}

/** The 26 InvokeAI default workflows, parsed from the files shipped in server/library/default-workflows. */
export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(FIXTURE_DIR + file, 'utf8')) as JsonObject }));
}

/** A user copy of a default workflow (category 'user', own id), as a user's library would hold it. */
export function userCopy(fixture: Fixture, id: string): JsonObject {
  const json = structuredClone(fixture.json);
  json['id'] = id;
  (json['meta'] as JsonObject)['category'] = 'user';
  return json;
}

/** mulberry32: small, fast, seeded; enough to make shuffles replayable from the seed in the test name. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Tracks every Y.Doc a test makes so afterEach can destroy them all. */
export class DocPool {
  private readonly docs: Y.Doc[] = [];

  make(clientID?: number): Y.Doc {
    const doc = new Y.Doc();
    if (clientID !== undefined) doc.clientID = clientID;
    this.docs.push(doc);
    return doc;
  }

  /** A new replica holding everything `source` has (as a device that was online would). */
  replica(source: Y.Doc, clientID?: number): Y.Doc {
    const doc = this.make(clientID);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
    return doc;
  }

  destroyAll(): void {
    for (const doc of this.docs.splice(0)) doc.destroy();
  }
}

/** Records every update a doc emits from now on (its offline edits). */
export function recordUpdates(doc: Y.Doc): Uint8Array[] {
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return updates;
}

/** Two-way state exchange, as two devices do when they reconnect. */
export function syncDocs(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}
