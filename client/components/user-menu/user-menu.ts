/**
 * fs-user-menu: the signed-in user's name with Profile (display name, password change via
 * PATCH /auth/me), Manage users (administrators) and Sign out. Sign out offers to remove this
 * device's copy of the user's data (their IndexedDB databases). Before asking, it tries once more to send
 * this device's waiting Saves (the History's record of them, saves.ts), and says how many Saves and
 * changes are still only on this device: removing the copy would lose them.
 * Event `fs-logout` (detail {removeDeviceCopy}) when the user confirmed signing out.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sessionContext, workspaceContext } from '../../data/context.js';
import type { Session } from '../../data/session.js';
import type { Workspace } from '../../data/workspace.js';
import { EventController } from '../../controllers/event-controller.js';
import { DismissController } from '../../controllers/dismiss-controller.js';
import { navigate } from '../../data/router.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import { formDialog, openFormDialog } from '../dialogs/form-dialog.js';
import type { ProfileUpdate } from '../../../shared/api-types.js';
import '../dialogs/confirm-dialog.js';

/** How long Sign out waits for this device's Saves to reach the server before asking. */
const SEND_BEFORE_SIGN_OUT_MS = 5_000;

@customElement('fs-user-menu')
export class UserMenu extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        position: relative;
      }
      .menu {
        position: absolute;
        right: 0;
        top: calc(100% + 4px);
        background: var(--fs-surface);
        border: 1px solid var(--fs-border);
        border-radius: 8px;
        display: flex;
        flex-direction: column;
        min-width: 12rem;
        z-index: 10;
        padding: 0.3rem;
        box-shadow: 0 6px 20px rgb(0 0 0 / 0.15);
      }
      .menu button {
        border: none;
        text-align: left;
        background: none;
      }
    `,
  ];

  @consume({ context: sessionContext, subscribe: true }) accessor session!: Session;
  @consume({ context: workspaceContext, subscribe: true }) accessor workspace: Workspace | null = null;
  @state() private accessor open = false;
  @state() private accessor error = '';
  @state() private accessor notice = '';
  @query('dialog.profile') private accessor profile!: HTMLDialogElement;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;
  private sessionEvents = new EventController(this);
  @query('button[aria-haspopup]') private accessor trigger!: HTMLButtonElement;
  private dismiss = new DismissController(
    this,
    () => this.open,
    (reason) => {
      this.open = false;
      if (reason === 'escape') this.trigger?.focus();
    },
  );

  override willUpdate(): void {
    this.sessionEvents.target = this.session;
  }

  private openProfile(): void {
    this.open = false;
    this.error = '';
    this.notice = '';
    openFormDialog(this.profile, { display_name: this.session.user?.displayName ?? '' });
  }

  private async saveProfile(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const change: ProfileUpdate = {
      display_name: String(data.get('display_name') ?? '').trim(),
    };
    const next = String(data.get('new_password') ?? '');
    if (next) {
      if (next !== String(data.get('confirm_password') ?? '')) {
        this.error = 'The new passwords do not match.';
        return;
      }
      change.current_password = String(data.get('current_password') ?? '');
      change.new_password = next;
    }
    try {
      this.session.updateUser(await this.session.api.updateMe(change));
      this.profile.close();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /**
   * Sends the waiting Saves now if the library is in sync (an upload that hangs is not waited for
   * longer than SEND_BEFORE_SIGN_OUT_MS), then counts what the server still has not got.
   */
  private async unsent(): Promise<{ saves: number; changes: number }> {
    const ws = this.workspace;
    if (!ws) return { saves: 0, changes: 0 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ws.saves.flush(), new Promise((resolve) => (timer = setTimeout(resolve, SEND_BEFORE_SIGN_OUT_MS)))]);
    clearTimeout(timer);
    return { saves: ws.saves.waiting, changes: ws.status.pending };
  }

  private async logout(): Promise<void> {
    this.open = false;
    const { saves, changes } = await this.unsent();
    const waiting = [
      saves ? `${saves} ${saves === 1 ? 'Save' : 'Saves'} for the History` : '',
      changes ? `${changes} ${changes === 1 ? 'change' : 'changes'}` : '',
    ].filter(Boolean);
    const { confirmed, checked } = await this.confirm.ask({
      title: 'Sign out',
      message: waiting.length
        ? `Your workflows stay on the server, but ${waiting.join(' and ')} could not be sent yet and are only on this device. ` +
          `They are sent when you sign in here again; removing this device's copy deletes them.`
        : 'Your workflows stay on the server. Changes made offline that have not synced yet are only on this device.',
      confirmLabel: 'Sign out',
      checkboxLabel: "Remove this device's copy of my workflows",
    });
    if (!confirmed) return;
    this.dispatchEvent(new CustomEvent('fs-logout', { detail: { removeDeviceCopy: checked }, bubbles: true, composed: true }));
  }

  override render() {
    const u = this.session?.user;
    if (!u) return nothing;
    return html`
      <button aria-haspopup="menu" aria-expanded=${this.open} @click=${() => (this.open = !this.open)}>
        ${u.displayName || u.email}${u.isAdmin ? html` <span class="badge">Admin</span>` : nothing} ▾
      </button>
      ${this.open
        ? html`<div class="menu" role="menu">
            <button role="menuitem" @click=${this.openProfile}>Profile</button>
            ${u.isAdmin
              ? html`<button role="menuitem" @click=${() => ((this.open = false), navigate({ name: 'admin' }))}>Manage users</button>`
              : nothing}
            <button role="menuitem" @click=${this.logout}>Sign out</button>
          </div>`
        : nothing}
      ${formDialog(
        { className: 'profile', title: 'Profile', submitLabel: 'Save', error: this.error, onSubmit: this.saveProfile },
        html`<p class="muted">${u.email}</p>
          <label class="field">Display name<input name="display_name" autocomplete="name" /></label>
          <label class="field">Current password<input name="current_password" type="password" autocomplete="current-password" /></label>
          <label class="field">New password<input name="new_password" type="password" autocomplete="new-password" /></label>
          <label class="field">Confirm new password<input name="confirm_password" type="password" autocomplete="new-password" /></label>`,
      )}
      <fs-confirm-dialog></fs-confirm-dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-user-menu': UserMenu;
  }
  interface HTMLElementEventMap {
    'fs-logout': CustomEvent<{ removeDeviceCopy: boolean }>;
  }
}
