// The problems of the library's workflows (shared/workflow/graph-checks.ts), for the tiles' badges.
// Checking is kept off the list's render: a render only reads what is cached, and asks for what is
// missing or out of date; the checks run later in idle time, a few milliseconds per slice, and the host
// re-renders when counts arrive. Results are cached per workflow version (EntryVersions: any change of
// the entry, from any device), so an edit rechecks that workflow alone. The checker and its node
// templates are loaded on first use, not with the library.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type * as Y from 'yjs';
import type { WorkflowProblem } from '../../shared/workflow/graph-checks.js';
import { readEntry } from '../../shared/workflow/library-doc.js';
import { readPublicEntry } from '../../shared/workflow/public-doc.js';
import { libraryEntryVersions, publicEntryVersions, type EntryVersions } from '../data/entry-versions.js';
import type { LibraryItem } from '../data/library-query.js';

export interface ProblemSummary {
  /** problems InvokeAI would refuse or drop (warnings, such as outdated nodes, are not counted) */
  errors: number;
  /** the first few of them in plain words */
  messages: string[];
}

export type WorkflowChecker = (workflow: unknown) => WorkflowProblem[];

/** How long one slice may check workflows before giving the page back. */
const SLICE_MS = 8;
/**
 * New counts re-render the host at most this often while checks go on (and once when they are done):
 * a render of a large library costs far more than a slice of checks.
 */
const UPDATE_EVERY_MS = 1000;
const MESSAGES_KEPT = 3;

const loadChecker = async (): Promise<WorkflowChecker> => (await import('../../shared/workflow/graph-checks.js')).checkWorkflow;

interface Source {
  doc: Y.Doc;
  versions: EntryVersions;
}

type Kind = LibraryItem['source'];

export class WorkflowProblemsController implements ReactiveController {
  private sources: Record<Kind, Source | null> = { library: null, public: null };
  private readonly cache = new Map<string, { version: number; summary: ProblemSummary }>();
  private readonly queue = new Map<string, { kind: Kind; id: string }>();
  private checker: Promise<WorkflowChecker> | null = null;
  private pending: ReturnType<typeof setTimeout> | number | null = null;
  private connected = false;
  /** counts arrived that the host has not rendered yet */
  private unrendered = false;
  private lastUpdate = 0;
  /** workflows checked so far (each new version of one counts once) */
  checked = 0;
  /** time spent checking so far, in ms (reading the workflows included) */
  checkingMs = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly load: () => Promise<WorkflowChecker> = loadChecker,
  ) {
    host.addController(this);
  }

  /** The documents the items come from; call on every update (a no-op while they stay the same). */
  observe(library: Y.Doc | null | undefined, publicDoc: Y.Doc | null | undefined): void {
    if (!this.connected) return;
    this.setSource('library', library ?? null);
    this.setSource('public', publicDoc ?? null);
  }

  /**
   * What is known of the item's problems: null while it has never been checked, or for an item
   * that is not a valid workflow (it has its own Invalid badge). An out-of-date result is returned
   * while its workflow waits to be checked again, so badges do not flicker on every edit.
   */
  summaryOf(item: LibraryItem): ProblemSummary | null {
    const source = this.sources[item.source];
    if (!source || item.invalidReason !== null) return null;
    const key = `${item.source}:${item.id}`;
    const cached = this.cache.get(key);
    if (cached?.version !== source.versions.version(item.id)) {
      this.queue.set(key, { kind: item.source, id: item.id });
      this.schedule();
    }
    return cached?.summary ?? null;
  }

  hostConnected(): void {
    this.connected = true;
  }

  hostDisconnected(): void {
    this.connected = false;
    this.setSource('library', null);
    this.setSource('public', null);
    this.cancel();
  }

  private setSource(kind: Kind, doc: Y.Doc | null): void {
    if (this.sources[kind]?.doc === doc) return;
    this.sources[kind] = doc ? { doc, versions: kind === 'library' ? libraryEntryVersions(doc) : publicEntryVersions(doc) } : null;
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${kind}:`)) this.cache.delete(key);
    for (const key of [...this.queue.keys()]) if (key.startsWith(`${kind}:`)) this.queue.delete(key);
  }

  private schedule(): void {
    if (this.pending !== null || this.queue.size === 0 || !this.connected) return;
    const run = () => {
      this.pending = null;
      void this.slice();
    };
    // requestIdleCallback (not in every browser) lets input and rendering go first; the timeout
    // keeps a busy page from starving the badges.
    this.pending = typeof requestIdleCallback === 'function' ? requestIdleCallback(run, { timeout: 500 }) : setTimeout(run, 1);
  }

  private cancel(): void {
    if (this.pending === null) return;
    if (typeof cancelIdleCallback === 'function' && typeof this.pending === 'number') cancelIdleCallback(this.pending);
    else clearTimeout(this.pending);
    this.pending = null;
  }

  private async slice(): Promise<void> {
    this.checker ??= this.load();
    const check = await this.checker;
    if (!this.connected) return;
    const started = performance.now();
    let changed = false;
    for (const [key, job] of this.queue) {
      if (performance.now() - started > SLICE_MS) break;
      this.queue.delete(key);
      const source = this.sources[job.kind];
      if (!source) continue;
      const version = source.versions.version(job.id);
      if (this.cache.get(key)?.version === version) continue;
      const summary = this.summarize(check, job.kind, source.doc, job.id);
      const before = this.cache.get(key)?.summary;
      this.cache.set(key, { version, summary });
      this.checked++;
      if (before?.errors !== summary.errors || before.messages.join() !== summary.messages.join()) changed = true;
    }
    this.checkingMs += performance.now() - started;
    this.unrendered ||= changed;
    if (this.unrendered && (this.queue.size === 0 || performance.now() - this.lastUpdate >= UPDATE_EVERY_MS)) {
      this.unrendered = false;
      this.lastUpdate = performance.now();
      this.host.requestUpdate();
    }
    this.schedule();
  }

  private summarize(check: WorkflowChecker, kind: Kind, doc: Y.Doc, id: string): ProblemSummary {
    let workflow: unknown = null;
    if (kind === 'library') {
      const read = readEntry(doc, id);
      workflow = read?.valid ? read.workflow : null;
    } else {
      workflow = readPublicEntry(doc, id)?.workflow ?? null;
    }
    if (workflow === null) return { errors: 0, messages: [] };
    try {
      const errors = check(workflow).filter((p) => p.severity === 'error');
      return { errors: errors.length, messages: errors.slice(0, MESSAGES_KEPT).map((p) => p.message) };
    } catch (err) {
      // The checker reads any JSON without throwing; should it fail, one tile lacks a badge, the
      // other workflows are still checked.
      console.error(`Could not check workflow ${id}`, err);
      return { errors: 0, messages: [] };
    }
  }
}
