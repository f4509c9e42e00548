/**
 * fs-history-panel: the versions of one workflow (newest first): when, who, which device, and a line
 * saying what changed from the version before. Choosing one fetches it and asks the editor to show it
 * (`fs-version-select`, detail: the version with its workflow, or null to go back to the current
 * workflow); the editor marks its differences on the canvas and offers Restore.
 * Properties: api (listVersions, getVersion), workflowId, selectedId (the version shown), refreshKey
 * (a new value loads the list again, e.g. after a Save or a Restore).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { VersionDetail, VersionItem, VersionPage } from '../../data/api.js';
import { ApiError, NetworkError } from '../../data/api.js';
import { sharedStyles } from '../shared-styles.js';

export interface HistoryApi {
  listVersions(workflowId: string, page?: number, perPage?: number): Promise<VersionPage>;
  getVersion(workflowId: string, versionId: string): Promise<VersionDetail>;
}

const KIND_LABELS: Record<VersionItem['kind'], string> = {
  save: 'Saved',
  auto: 'Changed',
  restore: 'Restored',
  delete: 'Deleted',
};

const PER_PAGE = 50;

function problemText(err: unknown): string {
  if (err instanceof NetworkError) return 'History needs a connection to the server.';
  if (err instanceof ApiError && err.status === 404) return 'No history is available for this workflow.';
  return `History could not be loaded: ${(err as Error).message}`;
}

@customElement('fs-history-panel')
export class HistoryPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-height: 0;
        overflow: auto;
        border-left: 1px solid var(--fs-border);
      }
      section {
        padding: 0.8rem;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
      }
      .head {
        display: flex;
        align-items: center;
        gap: 0.4rem;
      }
      h3 {
        margin: 0 auto 0 0;
        font-size: 0.95rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      button.version {
        width: 100%;
        text-align: left;
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
        padding: 0.45rem 0.6rem;
        font-weight: normal;
      }
      button.version[aria-pressed='true'] {
        border-color: var(--fs-accent);
        background: var(--fs-hover);
      }
      .when {
        font-weight: 600;
      }
      .who,
      .summary {
        font-size: 0.82rem;
        color: var(--fs-muted);
      }
      @media (max-width: 820px) {
        :host {
          border-left: none;
          border-top: 1px solid var(--fs-border);
        }
      }
    `,
  ];

  @property({ attribute: false }) accessor api: HistoryApi | null = null;
  @property({ attribute: false }) accessor workflowId: string | null = null;
  @property({ attribute: false }) accessor selectedId: string | null = null;
  @property({ attribute: false }) accessor refreshKey: unknown = undefined;
  @state() accessor versions: VersionItem[] = [];
  @state() private accessor pages = 0;
  @state() private accessor problem = '';
  @state() private accessor loading = false;
  private loadedFor = '';
  private requestNo = 0;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    const key = `${this.workflowId}`;
    if ((changed.has('workflowId') || changed.has('api') || changed.has('refreshKey')) && this.api && this.workflowId) {
      if (key !== this.loadedFor) this.versions = [];
      this.loadedFor = key;
      void this.load(0);
    }
  }

  /** Loads a page (0 starts over, replacing the list). */
  async load(page: number): Promise<void> {
    const api = this.api;
    const id = this.workflowId;
    if (!api || !id) return;
    const no = ++this.requestNo;
    this.loading = true;
    try {
      const result = await api.listVersions(id, page, PER_PAGE);
      if (no !== this.requestNo) return;
      this.versions = page === 0 ? result.items : [...this.versions, ...result.items];
      this.pages = result.pages;
      this.problem = '';
    } catch (err) {
      if (no === this.requestNo) this.problem = problemText(err);
    } finally {
      if (no === this.requestNo) this.loading = false;
    }
  }

  private emit(detail: VersionDetail | null): void {
    this.dispatchEvent(new CustomEvent<VersionDetail | null>('fs-version-select', { detail, bubbles: true, composed: true }));
  }

  private async choose(v: VersionItem): Promise<void> {
    if (!this.api || !this.workflowId) return;
    if (this.selectedId === v.version_id) {
      this.emit(null);
      return;
    }
    try {
      this.emit(await this.api.getVersion(this.workflowId, v.version_id));
      this.problem = '';
    } catch (err) {
      this.problem = problemText(err);
    }
  }

  override render() {
    const shownPages = Math.ceil(this.versions.length / PER_PAGE);
    return html`<section aria-label="History">
      <div class="head">
        <h3>History</h3>
        <button ?disabled=${this.loading} @click=${() => this.load(0)}>Refresh</button>
        <button aria-label="Close history" @click=${() => this.dispatchEvent(new CustomEvent('fs-history-close', { bubbles: true, composed: true }))}>✕</button>
      </div>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
      ${this.versions.length === 0 && !this.loading && !this.problem ? html`<p class="muted">No versions yet. Each Save makes one.</p>` : nothing}
      <ol aria-label="Versions">
        ${this.versions.map(
          (v) => html`<li>
            <button class="version" data-version-id=${v.version_id} aria-pressed=${this.selectedId === v.version_id ? 'true' : 'false'}
              @click=${() => this.choose(v)}>
              <span class="when">${KIND_LABELS[v.kind] ?? v.kind} · <time datetime=${v.created_at}>${new Date(v.created_at).toLocaleString()}</time></span>
              <span class="who">${v.user_name || v.user_id}${v.device_label ? html` on ${v.device_label}` : nothing}</span>
              <span class="summary">${v.summary?.text || 'No changes'}</span>
            </button>
          </li>`,
        )}
      </ol>
      ${shownPages < this.pages ? html`<button ?disabled=${this.loading} @click=${() => this.load(shownPages)}>Older versions</button>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-history-panel': HistoryPanel;
  }
  interface HTMLElementEventMap {
    'fs-version-select': CustomEvent<VersionDetail | null>;
  }
}
