// Clients that edit at a steady rate while their side is active, and peers that time each edit's
// arrival (same process, same clock). Used by P1 (edit → peer), P3 (rising rates), P7 (drags) and
// --nodes (writer on one node, reader on another).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { projectRoot } from '../server/config.js';
import { createEntry, workflowsMap, type Workflow } from '../shared/workflow/index.js';
import { sleep, until, type Client, type Side } from './harness.js';

/** Measured time per round; edits start this long before measuring, and arrivals are counted this long after. */
export const ROUND_MS = 1000;
export const SETTLE_MS = 150;

export type EditKind = 'sync' | 'drag';

/** A side under load: its clients, which of them edit, and what the current round has seen. */
export class EditingLoad {
  active = false;
  /** Latencies of the current round, or null while not measuring. */
  samples: number[] | null = null;
  sent = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly side: Side,
    readonly label: string,
    /** Every client; the editors among them edit, every client observes. */
    readonly clients: Client[],
    readonly editors: Client[],
    readonly kind: EditKind,
  ) {
    for (const client of clients) {
      if (kind === 'sync') this.observeSync(client.doc);
      else this.observeDrag(client.doc);
    }
  }

  /** Every editor edits `rate` times per second while active, staggered so the load is even. */
  setRate(rate: number): void {
    for (const t of this.timers) clearTimeout(t), clearInterval(t);
    this.timers = [];
    this.editors.forEach((client, i) => {
      const edit = this.kind === 'sync' ? () => syncEdit(client.doc) : () => dragEdit(client.doc, i);
      const slot = this.timers.length;
      this.timers.push(
        setTimeout(() => {
          this.timers[slot] = setInterval(() => {
            if (!this.active) return;
            edit();
            if (this.samples !== null) this.sent++;
          }, 1000 / rate);
        }, (i * 1000) / rate / this.editors.length),
      );
    });
  }

  /** One measured round: edits for SETTLE + ROUND ms, arrivals counted until SETTLE ms after. */
  async round(): Promise<number[]> {
    this.active = true;
    await sleep(SETTLE_MS);
    const samples: number[] = [];
    this.samples = samples;
    await sleep(ROUND_MS);
    this.active = false;
    await sleep(SETTLE_MS);
    this.samples = null;
    return samples;
  }

  async warmUp(ms = 1500): Promise<void> {
    this.active = true;
    await sleep(ms);
    this.active = false;
    await sleep(SETTLE_MS);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t), clearInterval(t);
    for (const c of this.clients) c.destroy();
  }

  private observeSync(doc: Y.Doc): void {
    const map = doc.getMap<number>('bench');
    map.observe((event, transaction) => {
      if (transaction.local || this.samples === null) return;
      const now = performance.now();
      for (const key of event.keysChanged) this.samples.push(now - map.get(key)!);
    });
  }

  private observeDrag(doc: Y.Doc): void {
    workflowsMap(doc).observeDeep((events, transaction) => {
      if (transaction.local || this.samples === null) return;
      const now = performance.now();
      for (const event of events) {
        const target = event.target;
        if (target instanceof Y.Map && event.path[event.path.length - 1] === 'position' && (event as Y.YMapEvent<unknown>).keysChanged.has('x')) {
          this.samples.push(now - (target.get('x') as number) / 1000);
        }
      }
    });
  }
}

/** The sync core's workload: one number per client in a map of its own beside the library's workflows. */
function syncEdit(doc: Y.Doc): void {
  doc.getMap<number>('bench').set(String(doc.clientID), performance.now());
}

export const DRAGGED_WORKFLOW_ID = 'be0c0000-0000-4000-8000-000000000001';

let benchWorkflowCache: Workflow | null = null;
/** InvokeAI's CogView4 default (8.4 KB, 5 nodes) as a user would have saved it. */
export function benchWorkflow(): Workflow {
  if (benchWorkflowCache === null) {
    const file = join(projectRoot(), 'server', 'library', 'default-workflows', 'CogView4_TextToImage.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Workflow;
    benchWorkflowCache = { ...json, id: DRAGGED_WORKFLOW_ID, meta: { ...json.meta, category: 'user' } } as Workflow;
  }
  return benchWorkflowCache;
}

/** Node positions are integers in the editor; the edit time in microseconds is one, and carries the stamp. */
const stamp = () => Math.round(performance.now() * 1000);

function draggedNodes(doc: Y.Doc): Y.Array<Y.Map<unknown>> | null {
  const workflow = workflowsMap(doc).get(DRAGGED_WORKFLOW_ID)?.get('workflow');
  return workflow instanceof Y.Map ? (workflow.get('nodes') as Y.Array<Y.Map<unknown>>) : null;
}

/** What the editor writes when a node is dragged: its position and the entry's updated_at, in one transaction. */
function dragEdit(doc: Y.Doc, slot: number): void {
  const nodes = draggedNodes(doc);
  if (nodes === null) return;
  const node = nodes.get(slot % nodes.length);
  const entry = workflowsMap(doc).get(DRAGGED_WORKFLOW_ID)!;
  doc.transact(() => {
    (node.get('position') as Y.Map<number>).set('x', stamp());
    entry.set('updated_at', new Date().toISOString());
  });
}

/** Creates the dragged workflow in `writer`'s document (shared or not) and waits until every client of it has it. */
export async function seedDraggedWorkflow(writer: Client, readers: Client[], shared: boolean): Promise<void> {
  if (draggedNodes(writer.doc) === null) createEntry(writer.doc, DRAGGED_WORKFLOW_ID, benchWorkflow(), { isPublic: shared });
  await until(() => readers.every((c) => draggedNodes(c.doc) !== null), 'the dragged workflow to reach every client');
}

/**
 * Fills `writer`'s library with `count` more workflows (the bench workflow under other ids, private),
 * 50 per transaction as an import would, and waits until `check` (a client that saw none of it
 * being written) holds them all.
 */
export async function seedLibrary(writer: Client, count: number, check: Client[], prefix = 'be1c'): Promise<void> {
  const base = benchWorkflow();
  const map = workflowsMap(writer.doc);
  const before = map.size;
  for (let start = 0; start < count; start += 50) {
    writer.doc.transact(() => {
      for (let i = start; i < Math.min(count, start + 50); i++) {
        const id = `${prefix}0000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        if (!map.has(id)) createEntry(writer.doc, id, { ...base, id, name: `${base.name} #${i}` } as Workflow, { isPublic: false });
      }
    });
    // Let the socket drain between batches, as a real import's awaits would.
    await sleep(5);
  }
  await until(() => check.every((c) => workflowsMap(c.doc).size >= before + count), `${count} seeded workflows to reach the server and back`, 120_000);
}
