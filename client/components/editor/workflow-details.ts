/**
 * fs-workflow-details: the editor's Details panel (name, version, author, contact, tags, description,
 * notes, the Shared switch, the thumbnail and the note when a shared workflow is kept out of `public`).
 * Properties in, events out: it never writes the draft or the document itself.
 * - `fs-details-change` (detail: a patch of the draft, e.g. `{ name: 'x' }`) on every keystroke;
 * - `fs-shared-change` (detail: the new Shared state);
 * - `fs-share-versions-change` (detail: whether readers of the shared workflow may see its History);
 * - `fs-details-status` (detail: a message for the editor's status banner), after a thumbnail upload
 *   or removal, which it does itself through `api` because the thumbnail is not part of the draft.
 * The editor's Form builder, when shown, goes into the `form` slot, above the details.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { WorkflowWithoutID } from '../../../shared/workflow/schema.js';
import { withheldText } from '../../data/server-verdicts.js';
import { toPngThumbnail } from '../../data/thumbnails.js';
import { hasSharedTag } from '../../../shared/workflow/tags.js';
import { sharedStyles } from '../shared-styles.js';
import './tags-field.js';

/** The draft's fields edited here; typing into one of them is one undo step (see the editor). */
export const DETAILS_TEXT_FIELDS = ['name', 'author', 'version', 'contact', 'tags', 'description', 'notes'] as const;

export type DetailsPatch = Partial<Pick<WorkflowWithoutID, (typeof DETAILS_TEXT_FIELDS)[number]>>;

/** What the panel needs of the API: the thumbnail is stored by the server, not in the draft. */
export interface ThumbnailApi {
  setThumbnail(id: string, png: Blob): Promise<unknown>;
  deleteThumbnail(id: string): Promise<unknown>;
}

@customElement('fs-workflow-details')
export class WorkflowDetails extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-height: 0;
        overflow: auto;
        border-left: 1px solid var(--fs-border);
      }
      aside {
        padding: 0.8rem;
        display: flex;
        flex-direction: column;
        gap: 0.6rem;
      }
      aside h3 {
        margin: 0;
        font-size: 0.95rem;
      }
      .thumb img {
        max-width: 100%;
        border-radius: 8px;
        display: block;
      }
      .thumb {
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      @media (max-width: 820px) {
        :host {
          border-left: none;
          border-top: 1px solid var(--fs-border);
          overflow: visible;
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor workflow: (WorkflowWithoutID & { id?: string }) | null = null;
  /** The stored workflow's id; none for an unsaved draft (no thumbnail then). */
  @property({ attribute: false }) accessor workflowId: string | null = null;
  @property({ type: Boolean }) accessor readonly = false;
  @property({ type: Boolean }) accessor multiuser = false;
  /** The entry's Shared state when it is a library entry being edited; null hides the switch. */
  @property({ attribute: false }) accessor shared: boolean | null = null;
  /** The entry's share_versions when it is a library entry being edited; null hides the switch. */
  @property({ attribute: false }) accessor shareVersions: boolean | null = null;
  /** Why a shared workflow is not visible to others (quarantined or withheld), or null. */
  @property({ attribute: false }) accessor notVisibleReason: string | null = null;
  @property({ attribute: false }) accessor thumbnailUrl = '';
  /** Upload and removal are offered only when editing a library entry. */
  @property({ type: Boolean }) accessor thumbnailEditable = false;
  @property({ attribute: false }) accessor api: ThumbnailApi | null = null;

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private async uploadThumbnail(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    const id = this.workflowId;
    if (!file || !id || !this.api) return;
    try {
      // The image shows when its new version reaches this device in the library document.
      await this.api.setThumbnail(id, await toPngThumbnail(file));
      this.emit('fs-details-status', 'Workflow thumbnail updated');
    } catch (err) {
      this.emit('fs-details-status', `Failed to update thumbnail: ${(err as Error).message}`);
    }
  }

  private async removeThumbnail(): Promise<void> {
    const id = this.workflowId;
    if (!id || !this.api) return;
    try {
      await this.api.deleteThumbnail(id);
      this.emit('fs-details-status', 'Workflow thumbnail removed');
    } catch (err) {
      this.emit('fs-details-status', `Failed to update thumbnail: ${(err as Error).message}`);
    }
  }

  private renderThumbnail(id: string) {
    const url = this.thumbnailUrl;
    return html`<div class="thumb">
      <span class="muted">Thumbnail</span>
      ${url
        ? html`<img src=${url} alt="Thumbnail" ?hidden=${true} @error=${(e: Event) => ((e.target as HTMLElement).hidden = true)}
            @load=${(e: Event) => ((e.target as HTMLElement).hidden = false)} />`
        : nothing}
      ${this.thumbnailEditable && id
        ? html`<label class="field"
              >Upload image<input type="file" accept="image/png,image/jpeg,image/webp" @change=${this.uploadThumbnail}
            /></label>
            <button @click=${this.removeThumbnail}>Remove thumbnail</button>`
        : nothing}
    </div>`;
  }

  override render() {
    const d = this.workflow;
    if (!d) return nothing;
    const ro = this.readonly;
    const id = this.workflowId;
    const input = (key: 'name' | 'version' | 'author' | 'contact', label: string) =>
      html`<label class="field"
        >${label}<input name=${key} .value=${String(d[key] ?? '')} ?readonly=${ro}
          @input=${(e: Event) => this.emit<DetailsPatch>('fs-details-change', { [key]: (e.target as HTMLInputElement).value })}
      /></label>`;
    return html`<aside aria-label="Details">
      <slot name="form"></slot>
      <h3>Details</h3>
      ${input('name', 'Name')}
      ${this.shared !== null && this.multiuser
        ? html`<label class="check"
            ><input type="checkbox" name="shared" .checked=${this.shared}
              @change=${(e: Event) => this.emit('fs-shared-change', (e.target as HTMLInputElement).checked)} />Shared workflow</label
          >`
        : nothing}
      ${this.shareVersions !== null && this.multiuser
        ? html`<label class="check"
            ><input type="checkbox" role="switch" name="share-versions" .checked=${this.shareVersions}
              @change=${(e: Event) => this.emit('fs-share-versions-change', (e.target as HTMLInputElement).checked)} />Share history</label
          >`
        : nothing}
      ${this.notVisibleReason && this.multiuser ? html`<p class="error withheld">${withheldText(this.notVisibleReason)}</p>` : nothing}
      ${id ? this.renderThumbnail(id) : nothing}
      ${input('version', 'Version')} ${input('author', 'Author')} ${input('contact', 'Contact')}
      <fs-tags-field
        .tags=${String(d.tags ?? '')}
        .isPublic=${this.shared ?? hasSharedTag(String(d.tags ?? ''))}
        .readonly=${ro}
        @fs-tags-input=${(e: CustomEvent<string>) => {
          e.stopPropagation();
          this.emit<DetailsPatch>('fs-details-change', { tags: e.detail });
        }}
      ></fs-tags-field>
      <label class="field"
        >Description<textarea name="description" rows="3" .value=${d.description ?? ''} ?readonly=${ro}
          @input=${(e: Event) => this.emit<DetailsPatch>('fs-details-change', { description: (e.target as HTMLTextAreaElement).value })}></textarea>
      </label>
      <label class="field"
        >Notes<textarea name="notes" rows="10" .value=${d.notes ?? ''} ?readonly=${ro}
          @input=${(e: Event) => this.emit<DetailsPatch>('fs-details-change', { notes: (e.target as HTMLTextAreaElement).value })}></textarea>
      </label>
    </aside>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-workflow-details': WorkflowDetails;
  }
}
