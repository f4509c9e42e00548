// The editor's share of issue 12: the History panel and the version shown on the canvas, the conflict
// notices of the open workflow, and presence (who else has it open, what they selected). The editor
// composes it with a few lines; the writes (Restore, Bring back) go through the editor's draft, so
// they are edits like any other: they merge, and Undo takes them back.
import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { Awareness } from 'y-protocols/awareness';
import type { Session } from '../data/session.js';
import type { Workspace } from '../data/workspace.js';
import type { Route } from '../data/router.js';
import type { SyncedDoc } from '../data/synced-doc.js';
import type { VersionDetail } from '../data/api.js';
import type { ConflictNotice } from '../data/conflicts.js';
import { currentDevice } from '../data/devices.js';
import { libraryEntryVersions } from '../data/entry-versions.js';
import { announce, initials, peersOn, type Peer } from '../data/presence.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { colourFor, type CanvasMarks } from '../components/graph/graph-marks.js';
import { diffText, diffWorkflows, versionView } from '../components/history/workflow-diff.js';
import { byDevice, peerName } from '../components/history/presence-bar.js';
import '../components/history/history-panel.js';
import '../components/history/conflict-notices.js';
import '../components/history/presence-bar.js';

/** How long after a change of the stored workflow the open History list loads again. */
const REFRESH_DELAY_MS = 1500;

export interface HistoryHost extends ReactiveControllerHost {
  readonly session: Session;
  readonly workspace: Workspace | null;
  readonly route: Route;
  readonly readonly: boolean;
  /** the draft as shown (plain JSON) */
  readonly draft: object | null;
  /** the stored workflow's id and the document it lives in (WorkflowDraftController) */
  readonly historySource: { workflowId: string | null; doc: SyncedDoc | null };
  /** makes `workflow` the draft as one undoable edit and saves it */
  replaceDraftAndSave(workflow: object): { ok: boolean; message: string };
}

export class HistoryController implements ReactiveController {
  /** the History panel is shown (instead of the Details) */
  open = false;
  /** the version shown read-only on the canvas, or null (the current workflow) */
  version: VersionDetail | null = null;
  /** bumps after a Save or a Restore: the panel loads the list again */
  refreshKey = 0;
  private selection: string[] = [];
  private awareness: Awareness | null = null;
  private announcedFor: string | null = null;
  private conflictsTarget: EventTarget | null = null;
  /** the stored entry's change number the list was last refreshed for (entry-versions.ts) */
  private seenEntryVersion = -1;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: HistoryHost) {
    host.addController(this);
  }

  private rerender = (): void => this.host.requestUpdate();

  hostUpdate(): void {
    const { workflowId, doc } = this.host.historySource;
    // Presence only in a library document being edited: never on `public` (synced-doc.ts).
    const editing = this.host.route.name === 'edit' && !!doc && !!workflowId;
    this.follow(editing ? doc.awareness : null, editing ? workflowId : null);
    const conflicts = this.host.workspace?.conflicts ?? null;
    if (conflicts !== this.conflictsTarget) {
      this.conflictsTarget?.removeEventListener('change', this.rerender);
      conflicts?.addEventListener('change', this.rerender);
      this.conflictsTarget = conflicts;
    }
    if (this.version && this.version.workflow_id !== workflowId) this.version = null;
    this.refreshOnChange(doc, workflowId);
  }

  /**
   * While the panel is open, a change of the stored workflow (a Save here, another device) makes a new
   * version on the server soon after its commit: the list loads again a moment later.
   */
  private refreshOnChange(doc: SyncedDoc | null, workflowId: string | null): void {
    if (!this.open || !doc || !workflowId || this.host.route.name !== 'edit') return;
    const version = libraryEntryVersions(doc.doc).version(workflowId);
    if (version === this.seenEntryVersion) return;
    const first = this.seenEntryVersion === -1;
    this.seenEntryVersion = version;
    if (first) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshKey++;
      this.host.requestUpdate();
    }, REFRESH_DELAY_MS);
  }

  hostDisconnected(): void {
    clearTimeout(this.refreshTimer);
    this.follow(null, null);
    this.conflictsTarget?.removeEventListener('change', this.rerender);
    this.conflictsTarget = null;
  }

  private who() {
    const u = this.host.session?.user;
    return { user: { id: u?.userId ?? 'unknown', name: u?.displayName || u?.email || 'Someone' }, device: currentDevice() };
  }

  private follow(awareness: Awareness | null, workflowId: string | null): void {
    if (awareness !== this.awareness) {
      if (this.awareness) {
        this.awareness.off('change', this.rerender);
        announce(this.awareness, this.who(), null);
      }
      this.awareness = awareness;
      this.awareness?.on('change', this.rerender);
      this.announcedFor = null;
    }
    if (awareness && workflowId !== this.announcedFor) {
      this.selection = [];
      this.announcedFor = workflowId;
    }
    if (awareness) announce(awareness, this.who(), workflowId, this.selection);
  }

  /** The canvas's `fs-selection-change`. */
  selectionChanged(ids: string[]): void {
    this.selection = ids;
    const { workflowId } = this.host.historySource;
    if (this.awareness) announce(this.awareness, this.who(), workflowId, ids);
  }

  /** The other clients with this workflow open. */
  get peers(): Peer[] {
    const { workflowId } = this.host.historySource;
    return this.awareness && workflowId ? peersOn(this.awareness, workflowId) : [];
  }

  get notices(): ConflictNotice[] {
    const { workflowId, doc } = this.host.historySource;
    const ws = this.host.workspace;
    if (!ws || !workflowId || doc !== ws.library) return [];
    return ws.conflicts.notices(workflowId);
  }

  toggle(): void {
    this.open = !this.open;
    this.seenEntryVersion = -1;
    if (!this.open) this.version = null;
    this.host.requestUpdate();
  }

  show(version: VersionDetail | null): void {
    this.version = version;
    this.host.requestUpdate();
  }

  /** Restore: the version becomes the draft (one undoable edit) and is saved as a new change. */
  restore(): string {
    const v = this.version;
    if (!v) return '';
    const { ok, message } = this.host.replaceDraftAndSave(structuredClone(v.workflow));
    this.version = null;
    this.host.requestUpdate();
    return ok ? `Restored the version of ${new Date(v.created_at).toLocaleString()}. Undo takes it back.` : message;
  }

  /** What the canvas draws: the version with its differences marked, else the draft with others' selections. */
  canvas(draft: { nodes: unknown; edges: unknown }): { nodes: JsonObject[]; edges: JsonObject[]; marks: CanvasMarks | null; version: boolean } {
    if (this.version) {
      const view = versionView(draft as unknown as JsonObject, this.version.workflow as JsonObject);
      return { nodes: view.nodes, edges: view.edges, marks: { nodes: view.marks }, version: true };
    }
    const remote = byDevice(this.peers).flatMap((p) =>
      p.selection.map((nodeId) => ({ nodeId, who: peerName(p, currentDevice().id), initials: initials(p.user.name), colour: colourFor(p.device.id) })),
    );
    return { nodes: draft.nodes as JsonObject[], edges: draft.edges as JsonObject[], marks: remote.length ? { remote } : null, version: false };
  }

  renderPresence() {
    return html`<fs-presence-bar .peers=${this.peers} deviceId=${currentDevice().id}></fs-presence-bar>`;
  }

  renderToggle() {
    return html`<button class="history-toggle" aria-pressed=${this.open ? 'true' : 'false'} @click=${() => this.toggle()}>History</button>`;
  }

  /** The banner above the canvas while a version is shown. */
  renderVersionBanner(draft: object, onRestore: () => void) {
    const v = this.version;
    if (!v) return nothing;
    const text = diffText(diffWorkflows(draft as JsonObject, v.workflow as JsonObject));
    return html`<p class="banner version-banner" role="status">
      Showing the version of ${new Date(v.created_at).toLocaleString()} by ${v.user_name || v.user_id}${v.device_label ? ` on ${v.device_label}` : ''},
      read-only. ${text}
      ${this.host.readonly ? nothing : html`<button class="primary" @click=${onRestore}>Restore this version</button>`}
      <button @click=${() => this.show(null)}>Back to current</button>
    </p>`;
  }

  renderPanel() {
    const { workflowId } = this.host.historySource;
    return html`<fs-history-panel
      .api=${this.host.session.api}
      .workflowId=${workflowId}
      .selectedId=${this.version?.version_id ?? null}
      .refreshKey=${this.refreshKey}
      @fs-version-select=${(e: CustomEvent<VersionDetail | null>) => this.show(e.detail)}
      @fs-history-close=${() => this.toggle()}
    ></fs-history-panel>`;
  }
}
