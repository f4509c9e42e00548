import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, libraryDocument, SYNC_PATH, SYSTEM_USER_ID } from '../../shared/protocol.js';
import { createUser, setupAdmin, startTestServer, storedDocument, type TestServer } from '../helpers/server.js';
import { connect, synced, waitFor, type Client } from './clients.js';
import { startSyncNode } from './sync-node.js';

const clients: Client[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(c: Client): Client {
  clients.push(c);
  return c;
}

describe('durability', () => {
  it('a restart keeps every change, client edits and server-side writes alike', async () => {
    let ts: TestServer = await startTestServer({ dataDir: mkdtempSync(join(tmpdir(), 'flowshelf-sync-')) });
    const dataDir = ts.dataDir;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const admin = await setupAdmin(ts);
    const alice = await createUser(ts, admin.token, { email: 'alice@example.com', password: 'alice-password-1' });
    const doc = libraryDocument(alice.userId);
    const a = track(connect(ts.wsUrl, doc, alice.token));
    const b = track(connect(ts.wsUrl, doc, alice.token));
    await Promise.all([synced(a), synced(b)]);
    for (let i = 0; i < 50; i++) a.doc.getMap('workflows').set(`w${i}`, i);
    await ts.server.services.sync.withDocument(doc, (d) => d.getMap('workflows').set('from-server', true));
    await waitFor(() => b.doc.getMap('workflows').size === 51, 'all edits at b');
    a.destroy();
    b.destroy();
    clients.length = 0;
    ts = await ts.restart();
    cleanups.push(() => ts.close());
    const later = track(connect(ts.wsUrl, doc, alice.token));
    await synced(later);
    expect(later.doc.getMap('workflows').size).toBe(51);
    expect(later.doc.getMap('workflows').get('w49')).toBe(49);
    expect(later.doc.getMap('workflows').get('from-server')).toBe(true);
  });

  it('withDocument resolves only after its change is committed, and clients receive it', async () => {
    const ts = await startTestServer();
    cleanups.push(() => ts.close());
    const admin = await setupAdmin(ts);
    const doc = libraryDocument(admin.userId);
    const c = track(connect(ts.wsUrl, doc, admin.token));
    await synced(c);
    await ts.server.services.sync.withDocument(doc, (d) => d.getMap('workflows').set('w', 'server'));
    const fromStore = await storedDocument(ts, doc);
    expect(fromStore.getMap('workflows').get('w')).toBe('server');
    fromStore.destroy();
    await waitFor(() => c.doc.getMap('workflows').get('w') === 'server', 'server write at the client');
  });

  it('throwing extensions and observers are contained: editing goes on, nobody is disconnected, later extensions still run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowshelf-sync-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const calls = { loaded: 0, committed: 0, afterLoaded: 0, afterCommitted: 0 };
    const node = await startSyncNode(join(dir, 'flowshelf.db'), {
      extensions: [
        {
          name: 'buggy',
          onLoaded({ doc: d }) {
            calls.loaded++;
            d.getMap('workflows').observe(() => {
              throw new Error('observer bug');
            });
            throw new Error('onLoaded bug');
          },
          async onCommitted() {
            calls.committed++;
            throw new Error('onCommitted bug');
          },
        },
        {
          name: 'sound',
          onLoaded: () => void calls.afterLoaded++,
          onCommitted: () => void calls.afterCommitted++,
        },
      ],
    });
    cleanups.push(() => node.close());
    const doc = libraryDocument(SYSTEM_USER_ID);
    const a = track(connect(node.wsUrl, doc, undefined));
    const b = track(connect(node.wsUrl, doc, undefined));
    await Promise.all([synced(a), synced(b)]);
    a.doc.getMap('workflows').set('one', 1);
    a.doc.getMap('workflows').set('two', 2);
    await waitFor(() => b.doc.getMap('workflows').get('two') === 2, 'edits at b');
    expect(calls.loaded).toBe(1);
    expect(calls.afterLoaded).toBe(1);
    expect(calls.committed).toBeGreaterThan(0);
    expect(a.closeCodes).toEqual([]);
    await expect(node.sync.withDocument(doc, (d) => d.getMap('workflows').get('one'))).resolves.toBe(1);
    await waitFor(() => calls.afterCommitted === calls.committed, 'the sound extension after each failing call');
    expect(node.logs.some((line) => line.startsWith('extension buggy: onLoaded failed: Error: onLoaded bug'))).toBe(true);
    expect(node.logs.some((line) => line.startsWith('extension buggy: onCommitted failed: Error: onCommitted bug'))).toBe(true);
    expect(node.logs.some((line) => line.includes('sound'))).toBe(false);
  });
});

describe('crash', () => {
  const main = join(process.cwd(), 'dist', 'server', 'main.js');
  beforeAll(() => {
    if (!existsSync(main)) throw new Error('dist/server/main.js is missing: run `node scripts/build.mjs` first (npm test does)');
  });

  async function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(process.execPath, [main, '--port', '0', '--single-user', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${out}`)));
    });
    return { child, url: url.replace(/^http/, 'ws') + SYNC_PATH };
  }

  it('an update a peer has received survives SIGKILL of the server right after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startChild(dataDir);
    const doc = libraryDocument('system');
    const writer = track(connect(first.url, doc, undefined));
    const peer = track(connect(first.url, doc, undefined));
    await Promise.all([synced(writer), synced(peer)]);
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    let killed = false;
    peer.doc.getMap('workflows').observe(() => {
      // Kill in the same tick the peer sees the last edit: nothing after the forward can help.
      if (!killed && peer.doc.getMap('workflows').get('w99') === 99) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    });
    for (let i = 0; i < 100; i++) writer.doc.getMap('workflows').set(`w${i}`, i);
    await waitFor(() => killed, 'peer received the last edit');
    await exited;
    writer.destroy();
    peer.destroy();
    clients.length = 0;

    const second = await startChild(dataDir);
    const reader = track(connect(second.url, doc, undefined));
    await synced(reader);
    const map = reader.doc.getMap('workflows');
    expect(map.size).toBe(100);
    expect(map.get('w99')).toBe(99);
    expect(reader.closeCodes).not.toContain(CloseCode.TryAgain);
  });
});
