// Test fixtures for component tests: a host element that provides the session and workspace
// contexts the way fs-app does, real Workspaces (real Y.Docs in real IndexedDB) whose sockets point
// at a closed port (so they stay offline), and a poll-with-deadline helper.
import { LitElement, html } from 'lit';
import { provide } from '@lit/context';
import { sessionContext, workspaceContext } from '../../client/data/context.js';
import { Session } from '../../client/data/session.js';
import { Workspace, deleteDeviceCopy } from '../../client/data/workspace.js';
import type { PublicEntry } from '../../shared/workflow/public-doc.js';
import type { Workflow } from '../../shared/workflow/schema.js';

/** Nothing listens on port 9 (discard) here: sockets fail at once and the docs stay offline. */
export const OFFLINE_URL = 'ws://127.0.0.1:9/sync';

export class TestHost extends LitElement {
  @provide({ context: sessionContext }) accessor session!: Session;
  @provide({ context: workspaceContext }) accessor workspace: Workspace | null = null;
  override render() {
    return html`<slot></slot>`;
  }
}
customElements.define('test-host', TestHost);

let counter = 0;

export function uniqueUser(): string {
  return `u${Date.now().toString(36)}${(counter++).toString(36)}`;
}

export function makeSession(userId: string, opts: { multiuser?: boolean; isAdmin?: boolean } = {}): Session {
  const s = new Session('http://127.0.0.1:9/api/v1');
  s.multiuser = opts.multiuser ?? true;
  s.user = { userId, email: `${userId}@example.test`, displayName: userId, isAdmin: opts.isAdmin ?? false };
  s.phase = 'ready';
  return s;
}

/** Mounts `inner` inside a TestHost with a fresh offline workspace for a new user. */
export async function mount<T extends HTMLElement>(
  tag: string,
  opts: { multiuser?: boolean; isAdmin?: boolean; userId?: string } = {},
): Promise<{ host: TestHost; el: T; ws: Workspace; session: Session; cleanup: () => Promise<void> }> {
  const userId = opts.userId ?? uniqueUser();
  const session = makeSession(userId, opts);
  const ws = new Workspace(userId, 'test-token', OFFLINE_URL);
  await Promise.all([ws.library.loaded, ws.publicDoc.loaded]);
  const host = document.createElement('test-host') as TestHost;
  host.session = session;
  host.workspace = ws;
  const el = document.createElement(tag) as T;
  host.append(el);
  document.body.append(host);
  await host.updateComplete;
  await (el as unknown as LitElement).updateComplete;
  return {
    host,
    el,
    ws,
    session,
    cleanup: async () => {
      host.remove();
      await ws.destroy();
      await deleteDeviceCopy(userId);
    },
  };
}

/** Polls until `check` returns a truthy value (or throws the last error after `ms`). */
export async function waitFor<T>(check: () => T, ms = 4000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v as NonNullable<T>;
      last = new Error('condition not met');
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => requestAnimationFrame(() => r(null)));
  }
}

export function workflow(id: string, over: Partial<Workflow> = {}): Workflow {
  return {
    id,
    name: `Workflow ${id}`,
    author: 'tester',
    description: '',
    version: '1.0.0',
    contact: '',
    tags: '',
    notes: '',
    exposedFields: [],
    meta: { version: '3.0.0', category: 'user' },
    nodes: [
      {
        id: 'n1',
        type: 'invocation',
        data: { id: 'n1', type: 'noise', label: '', inputs: { seed: { name: 'seed', label: 'Seed', value: 1 } } },
        position: { x: 0, y: 0 },
      },
      {
        id: 'n2',
        type: 'invocation',
        data: { id: 'n2', type: 'l2i', label: '', inputs: { latents: { name: 'latents', label: '', value: null } } },
        position: { x: 400, y: 0 },
      },
    ],
    edges: [{ id: 'e1', source: 'n1', sourceHandle: 'noise', target: 'n2', targetHandle: 'latents', type: 'default' }],
    ...over,
  } as Workflow;
}

const PUBLISHED_AT = '2026-01-01T00:00:00.000Z';

/** A `public` entry for a workflow Bob shares (what the server's publisher would write). */
export function bobShares(id: string, over: Partial<Workflow> = {}): PublicEntry {
  return {
    workflow: workflow(id, { tags: 'shared', ...over }),
    user_id: 'bob',
    owner_name: 'Bob',
    is_public: true,
    category: 'user',
    created_at: PUBLISHED_AT,
    updated_at: PUBLISHED_AT,
  };
}

/** A `public` entry for a default workflow named "Default X". */
export function defaultEntry(id: string): PublicEntry {
  return {
    workflow: workflow(id, { name: 'Default X', meta: { version: '3.0.0', category: 'default' } }),
    user_id: 'system',
    owner_name: 'System',
    is_public: false,
    category: 'default',
    created_at: PUBLISHED_AT,
    updated_at: PUBLISHED_AT,
  };
}

/** All elements matching `selector` in `root`'s shadow tree and nested shadow trees. */
export function deepAll<E extends Element = HTMLElement>(root: Element | ShadowRoot, selector: string): E[] {
  const out: E[] = [];
  const walk = (node: Element | ShadowRoot) => {
    node.querySelectorAll<E>(selector).forEach((e) => out.push(e));
    node.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot));
    if (node instanceof Element && node.shadowRoot) walk(node.shadowRoot);
  };
  walk(root);
  return [...new Set(out)];
}

export function byText<E extends HTMLElement = HTMLElement>(root: Element, selector: string, text: string): E | undefined {
  return deepAll<E>(root, selector).find((e) => e.textContent?.trim() === text);
}
