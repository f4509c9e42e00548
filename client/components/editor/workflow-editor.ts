/**
 * fs-workflow-editor: edits one workflow (or views it read-only).
 * Properties: route (an 'edit', 'view' or 'new' Route).
 * The editor works on a draft, a detached copy of the stored workflow, kept by
 * WorkflowDraftController (reading, merging stored changes, Save, Save As, Load from File); the
 * element composes the toolbar, the canvas, the form, the details and the problems panel.
 * An entry whose id belongs to another library (or to the defaults) is quarantined by the server: it
 * can never be published or become valid, so Save is refused and Save As (a new id) is offered.
 */
import type * as Y from 'yjs';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sessionContext, workspaceContext } from '../../data/context.js';
import type { Session } from '../../data/session.js';
import type { Workspace } from '../../data/workspace.js';
import type { Route } from '../../data/router.js';
import { navigate } from '../../data/router.js';
import { UndoController } from '../../controllers/undo-controller.js';
import { WorkflowDraftController, type Draft } from '../../controllers/workflow-draft-controller.js';
import type { JsonObject } from '../../../shared/workflow/json.js';
import { readEntry, setEntryPublic } from '../../../shared/workflow/library-doc.js';
import { readPublicEntry } from '../../../shared/workflow/public-doc.js';
import { downloadWorkflow } from '../../data/workflow-file.js';
import { thumbnailSrc } from '../../data/thumbnails.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import type { GraphChange } from '../graph/workflow-graph.js';
import { sharedStyles } from '../shared-styles.js';
import { formDialog, formField, openFormDialog } from '../dialogs/form-dialog.js';
import '../graph/workflow-graph.js';
import { workflowProblems } from './problems-panel.js';
import '../dialogs/confirm-dialog.js';
import type { DetailsPatch } from './workflow-details.js';
import './workflow-details.js';
import '../form/workflow-form.js';
import type { FormChange, FormWorkflow } from '../form/workflow-form.js';
import { modeSwitch, modeSwitchStyles } from '../form/mode-switch.js';
import { formAfterGraphEdit, type FieldIdentifier } from '../../../shared/workflow/form.js';
import '../form/field-menu.js';
import { EditorModeController, type EditorMode } from '../../controllers/editor-mode-controller.js';
import { HistoryController } from '../../controllers/history-controller.js';
import { withFieldValue, type ConflictNotice } from '../../data/conflicts.js';
import type { JsonValue } from '../../../shared/workflow/json.js';
import { setEntryShareVersions } from '../../../shared/workflow/library-doc.js';

@customElement('fs-workflow-editor')
export class WorkflowEditor extends LitElement {
  static override styles = [
    sharedStyles,
    modeSwitchStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: 1fr 20rem;
        grid-template-rows: auto 1fr;
        height: 100%;
        min-height: 0;
      }
      header {
        grid-column: 1 / -1;
        display: flex;
        gap: 0.5rem;
        align-items: center;
        flex-wrap: wrap;
        padding: 0.6rem 1rem;
        border-bottom: 1px solid var(--fs-border);
      }
      header h2 {
        margin: 0 auto 0 0.3rem;
        font-size: 1.05rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .canvas {
        padding: 0.6rem;
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      fs-workflow-graph {
        flex: 1;
      }
      /* View mode: the form beside the read-only graph; Edit mode: the builder atop the side panel. */
      :host([data-mode='view']) {
        grid-template-columns: minmax(18rem, 30rem) 1fr 20rem;
      }
      fs-workflow-form.form-view {
        padding: 0.8rem;
        overflow: auto;
        border-right: 1px solid var(--fs-border);
      }
      details.form-builder summary {
        cursor: pointer;
        font-weight: 600;
      }
      .notice {
        grid-column: 1 / -1;
        padding: 2rem;
        text-align: center;
      }
      fs-conflict-notices {
        grid-column: 1 / -1;
      }
      .banner {
        margin: 0;
        padding: 0.4rem 1rem;
        grid-column: 1 / -1;
        background: var(--fs-hover);
        font-size: 0.88rem;
      }
      @media (max-width: 820px) {
        :host {
          grid-template-columns: 1fr;
          grid-template-rows: auto auto minmax(24rem, 1fr) auto;
          height: auto;
        }
        :host([data-mode='view']) {
          grid-template-columns: 1fr;
          grid-template-rows: none;
        }
        /* One column that the page scrolls: the form at its full height, then the graph. */
        fs-workflow-form.form-view {
          border-right: none;
          overflow: visible;
        }
        :host([data-mode='view']) .canvas {
          min-height: 24rem;
        }
      }
    `,
  ];

  @consume({ context: sessionContext, subscribe: true }) accessor session!: Session;
  @consume({ context: workspaceContext, subscribe: true }) accessor workspace: Workspace | null = null;
  @property({ attribute: false }) accessor route: Route = { name: 'library' };

  @state() private accessor message = '';
  @state() private accessor saveAsError = '';
  private modes = new EditorModeController(this);
  /** undo/redo of this device's own edits of the draft (see data/draft-history.ts) */
  readonly undo = new UndoController<Draft>(this);
  private drafts = new WorkflowDraftController(this, this.undo.history, () => (this.message = ''));
  /** History panel, the version on the canvas, conflict notices, presence (issue 12) */
  readonly history = new HistoryController(this);
  @query('dialog.save-as') private accessor saveAsDialog!: HTMLDialogElement;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;
  @query('input.load') private accessor fileInput!: HTMLInputElement;

  /** Editable: a workflow in a library (own, or another's for an administrator) or an unsaved draft. */
  get readonly(): boolean {
    return this.route.name === 'view';
  }

  /** The draft being edited (see WorkflowDraftController); set from outside, it is an edit of the user. */
  get draft(): Draft | null {
    return this.drafts.draft;
  }
  set draft(next: Draft | null) {
    this.drafts.draft = next;
  }

  get dirty(): boolean {
    return this.drafts.dirty;
  }

  get quarantineReason(): string | null {
    return this.drafts.quarantineReason;
  }

  override willUpdate(): void {
    this.dataset['mode'] = this.mode; // lays out the form and the graph (see the styles)
  }

  /** View (the form, the graph read-only) or Edit (the graph editor and the form builder). */
  get mode(): EditorMode {
    return this.modes.modeFor(JSON.stringify(this.route), !this.readonly);
  }

  /** "Add to form" from a field's context menu in the graph: the builder adds it where its selection says. */
  private onAddToForm(e: CustomEvent<FieldIdentifier>): void {
    this.renderRoot.querySelector<HTMLElementTagNameMap['fs-workflow-form']>('fs-workflow-form[mode=edit]')?.addNodeField(e.detail);
  }

  private onFormChange(e: CustomEvent<FormChange>): void {
    const { mergeKey, ...patch } = e.detail;
    this.change(patch as unknown as Partial<Draft>, mergeKey);
  }

  private change(patch: Partial<Draft>, mergeKey?: string): void {
    this.drafts.edit(patch, mergeKey);
  }

  /** The problems panel's "Show node": select and centre the node, with the canvas scrolled into sight. */
  private showProblem = (e: CustomEvent<{ nodeId: string }>): void => {
    const graph = this.renderRoot.querySelector('fs-workflow-graph');
    graph?.showNode(e.detail.nodeId);
    graph?.scrollIntoView({ block: 'nearest' });
  };

  private onGraphChange(e: CustomEvent<GraphChange>): void {
    const { mergeKey, ...patch } = e.detail;
    // Removing a node or connecting a field takes its node fields out of the form (as InvokeAI does).
    const form = this.draft ? formAfterGraphEdit(this.draft as unknown as FormWorkflow, patch) : undefined;
    this.change((form ? { ...patch, form } : patch) as unknown as Partial<Draft>, mergeKey);
  }

  /** The stored workflow History and presence are about (HistoryHost). */
  get historySource() {
    return { workflowId: this.drafts.workflowId, doc: this.drafts.sourceDoc };
  }

  /** Restore, Bring back (HistoryHost): one undoable edit of the draft, then Save. */
  replaceDraftAndSave(workflow: object): { ok: boolean; message: string } {
    const next = { ...(workflow as Draft) };
    delete next.id;
    this.undo.history.edit(next);
    this.draft = next;
    const ok = this.save();
    return { ok, message: this.message };
  }

  private restoreVersion(): void {
    this.message = this.history.restore();
  }

  /** "Bring back": this device's value again, as an undoable edit; saved at once unless other edits wait for Save. */
  private bringBack(n: ConflictNotice): void {
    const d = this.draft;
    if (!d) return;
    const next = withFieldValue(d, n, n.mine as JsonValue);
    if (this.dirty) {
      this.undo.history.edit(next);
      this.draft = next;
      this.message = `${n.label} is ${String(n.mine)} again in your unsaved changes: Save keeps it.`;
    } else this.replaceDraftAndSave(next);
    this.workspace?.conflicts.dismiss(n.workflowId, n.key);
  }

  /** After an undo or a redo (UndoHost). */
  showDraft(draft: Draft): void {
    this.draft = draft;
  }

  save(): boolean {
    const { ok, message } = this.drafts.save();
    if (message) this.message = message;
    return ok;
  }

  private openSaveAs(): void {
    this.saveAsError = '';
    const name = this.draft?.name ?? '';
    // An administrator's new workflows start shared (they are meant for everyone), as the API does;
    // the box can be unticked.
    const shared = this.session.multiuser && (this.session.user?.isAdmin ?? false);
    openFormDialog(this.saveAsDialog, { name: this.route.name === 'new' ? name : `${name} (copy)`, shared });
  }

  /** Save As: a new entry in the user's own library (also the way to copy a shared or default one). */
  saveAs(name: string, isPublic: boolean): string | null {
    const result = this.drafts.saveAs(name, isPublic, this.session.multiuser);
    if (!result) return null;
    if ('error' in result) {
      this.saveAsError = result.error;
      return null;
    }
    return result.id;
  }

  private onSaveAsSubmit(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = formField(form, 'name').value.trim();
    const shared = this.session.multiuser && formField(form, 'shared').checked;
    if (!name) {
      this.saveAsError = 'name: Required';
      return;
    }
    if (this.saveAs(name, shared)) this.saveAsDialog.close();
  }

  private async loadFromFile(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const confirmDiscard = async () =>
      (
        await this.confirm.ask({
          title: 'Discard unsaved changes?',
          message: 'The workflow you are editing has unsaved changes. Load the file anyway?',
          confirmLabel: 'Load',
        })
      ).confirmed;
    const refused = await this.drafts.loadFile(file, confirmDiscard);
    if (refused) this.message = refused;
  }

  private async back(): Promise<void> {
    if (this.dirty && !this.readonly) {
      const { confirmed } = await this.confirm.ask({
        title: 'Leave without saving?',
        message: 'Your unsaved changes to this workflow will be lost.',
        confirmLabel: 'Leave',
        danger: true,
      });
      if (!confirmed) return;
    }
    navigate({ name: 'library' });
  }

  /** The image URL from the document's thumbnail version, so a change made anywhere shows live. */
  private thumbnailUrl(id: string, doc: Y.Doc | null): string {
    const urlOf = (wid: string, version: string) => this.session.api.thumbnailUrl(wid, version);
    if (doc && this.route.name === 'view') {
      const e = readPublicEntry(doc, id);
      return thumbnailSrc(urlOf, { id, thumbnail: e?.thumbnail });
    }
    const read = doc ? readEntry(doc, id) : null;
    return thumbnailSrc(urlOf, { id, thumbnail: read?.entry.thumbnail });
  }

  private renderDetails(d: Draft) {
    const id = this.drafts.workflowId;
    const synced = this.drafts.sourceDoc;
    const entry = this.route.name === 'edit' && synced && id ? readEntry(synced.doc, id) : null;
    // Shared, but kept out of `public`: quarantined (never published) or withheld by the publisher.
    const notVisible = entry?.entry.is_public ? (this.quarantineReason ?? this.drafts.unpublishedReason) : null;
    return html`<fs-workflow-details
      .workflow=${d}
      .workflowId=${id}
      ?readonly=${this.readonly}
      ?multiuser=${this.session.multiuser}
      .shared=${entry ? entry.entry.is_public : null}
      .shareVersions=${entry ? entry.entry.share_versions : null}
      .notVisibleReason=${notVisible}
      .thumbnailUrl=${id ? this.thumbnailUrl(id, synced?.doc ?? null) : ''}
      ?thumbnailEditable=${this.route.name === 'edit'}
      .api=${this.session.api}
      @fs-details-change=${(e: CustomEvent<DetailsPatch>) => this.change(e.detail)}
      @fs-shared-change=${(e: CustomEvent<boolean>) => setEntryPublic(synced!.doc, id!, e.detail)}
      @fs-share-versions-change=${(e: CustomEvent<boolean>) => setEntryShareVersions(synced!.doc, id!, e.detail)}
      @fs-details-status=${(e: CustomEvent<string>) => (this.message = e.detail)}
    >
      ${this.mode === 'edit'
        ? html`<details slot="form" class="form-builder" open>
            <summary>Form</summary>
            <fs-workflow-form mode="edit" .workflow=${d as unknown as FormWorkflow} @fs-form-change=${this.onFormChange}></fs-workflow-form>
          </details>`
        : nothing}
    </fs-workflow-details>`;
  }

  override render() {
    const d = this.draft;
    const isEdit = this.route.name === 'edit';
    const title = d ? d.name || 'Untitled workflow' : this.drafts.invalidReason ? 'Invalid workflow' : 'Loading…';
    const quarantined = isEdit ? this.quarantineReason : null;
    const canvas = d ? this.history.canvas(d) : null;
    return html`
      <header>
        <button @click=${this.back} aria-label="Back to library">← Library</button>
        <h2>${title}${this.dirty && !this.readonly ? ' •' : ''}</h2>
        ${d ? this.undo.renderButtons() : nothing}
        ${this.readonly ? html`<span class="badge">Read-only</span>` : nothing}
        ${this.history.renderPresence()}
        ${d ? modeSwitch(this.mode, !this.readonly, (mode) => this.modes.choose(JSON.stringify(this.route), mode)) : nothing}
        ${isEdit
          ? html`<button class=${quarantined ? '' : 'primary'} ?disabled=${!this.dirty || !d || !!quarantined} @click=${() => this.save()}>
              Save
            </button>`
          : nothing}
        <button class=${quarantined ? 'primary' : ''} ?disabled=${!d} @click=${this.openSaveAs}>Save As</button>
        ${(isEdit || this.route.name === 'view') && d ? this.history.renderToggle() : nothing}
        <button ?disabled=${!d} @click=${() => d && downloadWorkflow(d)}>Download</button>
        <button @click=${() => this.fileInput.click()}>Load from File</button>
        <input class="load" type="file" accept="application/json,.json" hidden @change=${this.loadFromFile} />
      </header>
      ${this.message ? html`<p class="banner" role="status">${this.message}</p>` : nothing}
      ${this.history.notices.length
        ? html`<fs-conflict-notices .notices=${this.history.notices}
            @fs-conflict-bring-back=${(e: CustomEvent<ConflictNotice>) => this.bringBack(e.detail)}
            @fs-conflict-dismiss=${(e: CustomEvent<ConflictNotice>) => this.workspace?.conflicts.dismiss(e.detail.workflowId, e.detail.key)}
          ></fs-conflict-notices>`
        : nothing}
      ${d ? this.history.renderVersionBanner(d, () => this.restoreVersion()) : nothing}
      ${quarantined
        ? html`<p class="banner quarantine" role="alert">
            This workflow cannot be saved or shared here. ${quarantined}
            ${d ? html`<button class="link" @click=${this.openSaveAs}>Save As…</button>` : nothing}
          </p>`
        : nothing}
      ${this.drafts.missing
        ? html`<p class="banner" role="alert">
            ${this.readonly ? 'This workflow is no longer shared with you.' : 'This workflow was deleted.'} Save As keeps a copy.
          </p>`
        : nothing}
      ${d
        ? html`${this.mode === 'view'
              ? html`<fs-workflow-form class="form-view" mode="view" ?readonly=${this.readonly} .workflow=${d as unknown as FormWorkflow}
                  @fs-form-change=${this.onFormChange}></fs-workflow-form>`
              : nothing}
            <fs-field-menu .workflow=${d as unknown as FormWorkflow} ?disabled=${this.mode !== 'edit'} @fs-add-to-form=${this.onAddToForm}></fs-field-menu>
            <div class="canvas">
              <fs-workflow-graph
                .nodes=${canvas!.nodes}
                .edges=${canvas!.edges}
                .marks=${canvas!.marks}
                .exposedFields=${d.exposedFields as unknown as JsonObject[]}
                .fitKey=${this.undo.history.generation}
                ?readonly=${this.readonly || this.mode === 'view' || canvas!.version}
                @fs-selection-change=${(e: CustomEvent<string[]>) => this.history.selectionChanged(e.detail)}
                .problems=${workflowProblems(d)}
                @fs-graph-change=${this.onGraphChange}
              ></fs-workflow-graph>
              <fs-problems-panel .workflow=${d} @fs-show-problem=${this.showProblem}></fs-problems-panel>
            </div>
            ${this.history.open ? this.history.renderPanel() : this.renderDetails(d)}`
        : html`<p class="notice">${this.drafts.invalidReason ? `This workflow is not valid: ${this.drafts.invalidReason}` : 'Loading…'}</p>`}
      ${formDialog(
        { className: 'save-as', title: 'Save Workflow As', submitLabel: 'Save', error: this.saveAsError, onSubmit: this.onSaveAsSubmit },
        html`<label class="field">Workflow name<input name="name" required /></label>
          ${this.session?.multiuser ? html`<label class="check"><input type="checkbox" name="shared" />Shared workflow</label>` : nothing}`,
      )}
      <fs-confirm-dialog></fs-confirm-dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-editor': WorkflowEditor;
  }
}
