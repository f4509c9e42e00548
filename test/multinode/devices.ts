// What the multi-node tests do as users: accounts made through the REST API on one node, and devices
// (a Y.Doc with the stock y-websocket client) that stay the same device while they go offline and come
// back through another node, as a browser behind a load balancer does.
import * as Y from 'yjs';
import { createEntry, publicMap, workflowsMap, type Workflow } from '../../shared/workflow/index.js';
import { userWorkflow } from '../api/fixtures.js';
import { api, createUser, setupAdmin, type ApiResponse, type TestUser } from '../helpers/server.js';
import { connect, synced, waitFor as waitForCondition, watched, type Watched } from '../sync/clients.js';
import type { Node } from './cluster.js';

/** A small valid workflow (no nodes) under `id`: many of them fit in a test without weighing on it. */
export function smallWorkflow(id: string, name: string): Workflow {
  const { form: _form, ...base } = userWorkflow(name);
  return { ...base, nodes: [], edges: [], exposedFields: [], id } as unknown as Workflow;
}

export interface People {
  admin: TestUser;
  alice: TestUser;
  bob: TestUser;
}

/**
 * The administrator (setup) and the users asked for (each costs a password hash and a login, so a
 * test makes only those it needs), all created through the API of `node`.
 */
/** One more user `name` (email <name>@example.com), made by the administrator through the API of `node`. */
export function account(node: Node, admin: TestUser, name: string): Promise<TestUser> {
  return createUser(node, admin.token, { email: `${name}@example.com`, password: `${name}-password-1`, displayName: name[0]!.toUpperCase() + name.slice(1) });
}

export async function people<K extends 'alice' | 'bob'>(node: Node, ...wanted: K[]): Promise<Pick<People, 'admin' | K>> {
  const admin = await setupAdmin(node);
  const made = await Promise.all(wanted.map((name) => account(node, admin, name)));
  return Object.assign({ admin }, Object.fromEntries(wanted.map((name, i) => [name, made[i]!]))) as Pick<People, 'admin' | K>;
}

/**
 * One device of a user: its own Y.Doc for one document, connected to one node at a time. Moving to
 * another node keeps the doc (and whatever was edited offline), as a reconnecting browser would.
 */
export class Device {
  readonly doc = new Y.Doc();
  client: Watched | null = null;
  node: Node | null = null;
  /** Every close code the server sent this device, over all its connections. */
  readonly closeCodes: number[] = [];
  readonly closeReasons: string[] = [];

  constructor(
    readonly label: string,
    readonly document: string,
    readonly token: string,
  ) {}

  /** Connects to `node` (dropping any previous connection) and resolves once synced with it. */
  async connectTo(node: Node): Promise<void> {
    this.attach(node);
    await synced(this.client!);
  }

  /** Connects to `node` without waiting for the sync. */
  attach(node: Node): void {
    this.disconnect();
    this.node = node;
    const client = watched(connect(node.wsUrl, this.document, this.token, this.doc));
    client.provider.on('connection-close', (event) => {
      if (!event) return;
      this.closeCodes.push(event.code);
      this.closeReasons.push(event.reason);
    });
    this.client = client;
  }

  /** Offline: no connection at all; edits stay in the doc until the next connectTo. */
  disconnect(): void {
    // The provider only: the doc is the device's and outlives its connections.
    this.client?.provider.destroy();
    this.client = null;
    this.node = null;
  }

  /** Resolves on the next close of the current connection (code and reason). */
  nextClose(): Promise<{ code: number; reason: string }> {
    const provider = this.client!.provider;
    return new Promise((resolve) => {
      provider.once('connection-close', (event) => resolve({ code: event?.code ?? 0, reason: event?.reason ?? '' }));
    });
  }

  /** Adds a small workflow under `id` in this device's library doc. */
  addWorkflow(id: string, opts: { isPublic?: boolean } = {}): void {
    createEntry(this.doc, id, smallWorkflow(id, `${this.label} ${id}`), { isPublic: opts.isPublic ?? false });
  }

  /** The workflow ids in this device's library doc. */
  ids(): Set<string> {
    return new Set(workflowsMap(this.doc).keys());
  }

  /** The ids in this device's `public` doc. */
  publicIds(): Set<string> {
    return new Set(publicMap(this.doc).keys());
  }

  destroy(): void {
    this.disconnect();
    this.doc.destroy();
  }
}

/**
 * The whole content of a library doc as canonical JSON (keys sorted: a map's key order depends on the
 * order its updates arrived in), to compare devices.
 */
export function libraryJson(doc: Y.Doc): string {
  return canonicalJson(workflowsMap(doc).toJSON());
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/** A fresh device on `node`: synced, then its ids (and the device, for more checks). */
export async function freshView(node: Node, document: string, token: string, label = 'fresh'): Promise<Device> {
  const device = new Device(`${label} on ${node.name}`, document, token);
  await device.connectTo(node);
  return device;
}

/** `device` adding a small workflow every `everyMs` (ids `<label>-<n>`), until stopped. */
export function writing(device: Device, everyMs = 8): { stop(): void; written: Set<string> } {
  const written = new Set<string>();
  let n = 0;
  const timer = setInterval(() => {
    const id = `${device.label}-${n++}`;
    device.addWorkflow(id);
    written.add(id);
  }, everyMs);
  return { stop: () => clearInterval(timer), written };
}

/** Polls `check` (an async condition) until true or the deadline passes, then fails naming `what`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  let holds = false;
  const deadline = Date.now() + timeoutMs;
  while (!(holds = await check())) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!holds) throw new Error(`timed out waiting for ${what}`);
}

/** The workflow ids a user's REST list shows on `node` (every page, category user). */
export async function listedIds(node: Node, token: string): Promise<{ status: number; ids: Set<string>; response: ApiResponse }> {
  const response = await api(node, token)('GET', '/api/v1/workflows/?per_page=0&categories=user');
  const items: { workflow_id: string }[] = response.status === 200 ? response.body.items : [];
  return { status: response.status, ids: new Set(items.map((i) => i.workflow_id)), response };
}

/**
 * Polls a condition on the devices until it holds. The default deadline is generous: three node
 * processes share the machine with the rest of the suite, and a deadline only bounds a failure.
 */
export function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return waitForCondition(condition, what, timeoutMs);
}
