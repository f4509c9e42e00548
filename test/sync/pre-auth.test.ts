// Sockets that have not been admitted yet (token being checked, document being loaded) are bounded in
// bytes and in time, and a stuck one never holds up anybody else. The document load is held open with
// a gate around the real SQLite store, so the pre-admission window lasts as long as the test needs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, libraryDocument, PUBLIC_DOCUMENT, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { AppendEntry, DocumentStore } from '../../server/storage/document-store.js';
import { connect, rawSocket, synced, type Client, type RawSocket } from './clients.js';
import { startSyncNode, type SyncNode } from './sync-node.js';

// Single-user mode: the one library is library/system; its load is the one held back.
const HELD = libraryDocument(SYSTEM_USER_ID);
let dir: string;
let node: SyncNode;
let release: () => void;
const raws: RawSocket[] = [];
const clients: Client[] = [];

/** The real store, except that loading HELD waits until the test releases it. */
function gated(inner: DocumentStore): DocumentStore {
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    load: async (name) => {
      if (name === HELD) await gate;
      return inner.load(name);
    },
    loadSince: (name, afterSeq) => inner.loadSince(name, afterSeq),
    storedSeqs: (prefix) => inner.storedSeqs(prefix),
    append: (batch) => inner.append(batch),
    ...(inner.appendSync ? { appendSync: (batch: readonly AppendEntry[]) => inner.appendSync!(batch) } : {}),
    compact: (name, state, uptoSeq) => inner.compact(name, state, uptoSeq),
    delete: (name) => inner.delete(name),
    close: () => inner.close(),
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowshelf-preauth-'));
  node = await startSyncNode(join(dir, 'flowshelf.db'), {
    wrapStore: gated,
    preAuthMaxBytes: 1024,
    preAuthTimeoutMs: 300,
  });
});

afterEach(async () => {
  release();
  for (const r of raws.splice(0)) r.ws.terminate();
  for (const c of clients.splice(0)) c.destroy();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

function raw(document: string): RawSocket {
  const r = rawSocket(`${node.wsUrl}/${document}`);
  raws.push(r);
  return r;
}

it('closes with 4413 a socket that sends more than the pre-admission byte limit, and serves others meanwhile', async () => {
  const waiting = raw(HELD);
  await waiting.opened;
  // Four 400-byte frames while the document is still loading: 1,600 bytes buffered > 1,024.
  for (let i = 0; i < 4; i++) waiting.ws.send(new Uint8Array(400));
  expect((await waiting.closed).code).toBe(CloseCode.TooLarge);

  // Meanwhile another document is served as usual.
  const reader = connect(node.wsUrl, PUBLIC_DOCUMENT, undefined);
  clients.push(reader);
  await synced(reader);
  // And once the load completes, the library is served to a well-behaved client.
  release();
  const owner = connect(node.wsUrl, HELD, undefined);
  clients.push(owner);
  await synced(owner);
});

it('closes with 1013 (try again) a socket still not admitted after the pre-admission time limit', async () => {
  const waiting = raw(HELD);
  await waiting.opened;
  const { code } = await waiting.closed;
  expect(code).toBe(CloseCode.TryAgain);
  expect(waiting.frames).toHaveLength(0);
});

it('admits a socket whose small frames arrived before admission and applies them once the document is loaded', async () => {
  const early = connect(node.wsUrl, HELD, undefined);
  clients.push(early);
  early.doc.getMap('m').set('sent', 'before admission');
  await new Promise<void>((resolve) => early.provider.on('status', (e: { status: string }) => e.status === 'connected' && resolve()));
  release();
  await synced(early);
  const later = connect(node.wsUrl, HELD, undefined, new Y.Doc());
  clients.push(later);
  await synced(later);
  expect(later.doc.getMap('m').get('sent')).toBe('before admission');
});
