/**
 * fs-app: the shell. Starts the session, opens the signed-in user's workspace (their library and the
 * public document), provides both through @lit/context, and shows the screen for the route:
 * setup, sign-in, library, editor, user administration.
 * When the server refuses the token (HTTP 401 or socket close 4401) the documents stay open and keep
 * every local edit; a sign-in dialog asks for the password, and the same user's sockets reconnect
 * with the new token. A 4403 on the user's own library means their access was withdrawn.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import { sessionContext, workspaceContext } from '../../data/context.js';
import { Session } from '../../data/session.js';
import { Workspace, deleteDeviceCopy } from '../../data/workspace.js';
import { apiUploader } from '../../data/saves.js';
import { parseRoute, type Route } from '../../data/router.js';
import { storageProblemMessage } from '../../data/storage-problem.js';
import { EventController } from '../../controllers/event-controller.js';
import { sharedStyles } from '../shared-styles.js';
import '../auth/auth-form.js';
import '../status-chip/status-chip.js';
import '../user-menu/user-menu.js';
import '../library/workflow-library.js';
import '../editor/workflow-editor.js';
import '../admin/user-admin.js';

@customElement('fs-app')
export class FlowshelfApp extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: auto 1fr;
        height: 100vh;
        height: 100dvh;
      }
      header.bar {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        padding: 0.5rem 1rem;
        border-bottom: 1px solid var(--fs-border);
        background: var(--fs-surface);
      }
      header.bar a {
        font-weight: 700;
        color: inherit;
        text-decoration: none;
        margin-right: auto;
      }
      main {
        min-height: 0;
        overflow: auto;
        display: flex;
        flex-direction: column;
      }
      main > fs-workflow-library,
      main > fs-workflow-editor,
      main > fs-user-admin {
        flex: 1;
        min-height: 0;
      }
      .center {
        display: grid;
        place-items: center;
        padding: 2rem 1rem;
      }
      .card {
        width: min(24rem, 100%);
        background: var(--fs-surface);
        border: 1px solid var(--fs-border);
        border-radius: 12px;
        padding: 1.5rem;
      }
      .banner {
        padding: 0.5rem 1rem;
        background: var(--fs-danger);
        color: white;
        margin: 0;
      }
    `,
  ];

  @provide({ context: sessionContext }) accessor session: Session = new Session();
  @provide({ context: workspaceContext }) @state() accessor workspace: Workspace | null = null;
  @state() private accessor route: Route = parseRoute(location.hash);
  private sessionEvents = new EventController(this, this.session);
  private workspaceEvents = new EventController<Workspace>(this);
  private onHash = (): void => {
    this.route = parseRoute(location.hash);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    this.session.addEventListener('change', this.onSessionChange);
    void this.session.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    this.session.removeEventListener('change', this.onSessionChange);
    void this.workspace?.destroy();
  }

  /** Opens, keeps or closes the workspace to match who is signed in. */
  private onSessionChange = (): void => {
    const s = this.session;
    const user = s.user;
    if (s.phase === 'ready' && user) {
      if (this.workspace && this.workspace.userId !== user.userId) this.closeWorkspace(false);
      if (!this.workspace) {
        const ws = new Workspace(user.userId, s.multiuser ? s.token : null, undefined, () => s.api.listUserWorkflows(), apiUploader(s.api));
        ws.addEventListener('expired', () => this.session.expire());
        this.workspace = ws;
        this.workspaceEvents.target = ws;
      } else if (s.multiuser && this.workspace.token !== s.token) {
        // Signed in again after an expiry: the same user's sockets carry on with the new token.
        this.workspace.setToken(s.token);
      }
    } else if (s.phase === 'logged-out' || s.phase === 'setup') {
      this.closeWorkspace(false);
    }
    // 'expired': keep the workspace (and its local edits) until the user signs in again.
  };

  private closeWorkspace(removeCopy: boolean): void {
    const ws = this.workspace;
    if (!ws) return;
    this.workspace = null;
    this.workspaceEvents.target = null;
    void ws.destroy().then(() => (removeCopy ? deleteDeviceCopy(ws.userId) : 0));
  }

  private async onLogout(e: CustomEvent<{ removeDeviceCopy: boolean }>): Promise<void> {
    const ws = this.workspace;
    this.workspace = null;
    this.workspaceEvents.target = null;
    await ws?.destroy();
    if (ws && e.detail.removeDeviceCopy) await deleteDeviceCopy(ws.userId);
    await this.session.logout();
    location.hash = '#/';
  }

  override updated(): void {
    // Modal, so the rest of the app cannot be used with a refused token; Esc does not dismiss it.
    const expired = this.renderRoot.querySelector<HTMLDialogElement>('dialog.expired');
    if (expired && !expired.open) expired.showModal();
  }

  private renderScreen() {
    const r = this.route;
    if (r.name === 'admin' && this.session.user?.isAdmin) return html`<fs-user-admin></fs-user-admin>`;
    if (r.name === 'edit' || r.name === 'view' || r.name === 'new') {
      return html`<fs-workflow-editor .route=${r}></fs-workflow-editor>`;
    }
    return html`<fs-workflow-library></fs-workflow-library>`;
  }

  override render() {
    const s = this.session;
    if (s.phase === 'loading') return html`<main class="center"><p class="muted">Loading…</p></main>`;
    if (s.phase === 'setup' || (s.phase === 'logged-out' && !this.workspace)) {
      return html`<header class="bar"><a href="#/">Flowshelf</a></header>
        <main class="center"><div class="card"><fs-auth-form mode=${s.phase === 'setup' ? 'setup' : 'login'}></fs-auth-form></div></main>`;
    }
    const st = this.workspace?.status;
    return html`
      <header class="bar">
        <a href="#/">Flowshelf</a>
        ${st ? html`<fs-status-chip .status=${st.status} .pending=${st.pending}></fs-status-chip>` : nothing}
        ${s.multiuser ? html`<fs-user-menu @fs-logout=${this.onLogout}></fs-user-menu>` : nothing}
      </header>
      <main>
        ${this.workspace?.library.status === 'forbidden'
          ? html`<p class="banner" role="alert">Access lost: this account was deactivated or removed. Local copies stay on this device.</p>`
          : nothing}
        ${st?.storageProblem ? html`<p class="banner" role="alert">${storageProblemMessage(st.storageProblem)}</p>` : nothing}
        ${this.renderScreen()}
      </main>
      ${s.phase === 'expired'
        ? html`<dialog class="expired" aria-label="Session expired" @cancel=${(e: Event) => e.preventDefault()}>
            <fs-auth-form
              mode="login"
              .email=${s.user?.email ?? ''}
              message="Your session expired. Your changes are kept on this device; sign in to sync them."
            ></fs-auth-form>
          </dialog>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-app': FlowshelfApp;
  }
}
