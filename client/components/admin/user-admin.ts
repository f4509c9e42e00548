/**
 * fs-user-admin: administrators add, edit (name, admin, active, password), deactivate and remove
 * users. Uses REST (/auth/users): accounts are not part of any document. Loading and errors are
 * shown through @lit/task.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { sessionContext } from '../../data/context.js';
import type { Session } from '../../data/session.js';
import type { UserDTO } from '../../../shared/api-types.js';
import { navigate } from '../../data/router.js';
import type { ConfirmDialog } from '../dialogs/confirm-dialog.js';
import { sharedStyles } from '../shared-styles.js';
import { formDialog, formField, openFormDialog } from '../dialogs/form-dialog.js';
import '../dialogs/confirm-dialog.js';

@customElement('fs-user-admin')
export class UserAdmin extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        box-sizing: border-box;
        /* as a flex child with auto margins it would shrink to its content: keep the full width */
        width: 100%;
        padding: 1rem;
        max-width: 60rem;
        margin: 0 auto;
      }
      .head {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        flex-wrap: wrap;
      }
      .head h2 {
        margin: 0 auto 0 0;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        margin-top: 1rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.45rem;
        border-bottom: 1px solid var(--fs-border);
        font-size: 0.9rem;
      }
      td.actions {
        display: flex;
        gap: 0.3rem;
        flex-wrap: wrap;
        margin: 0;
        justify-content: flex-start;
      }
      /* Phone: one card per user instead of a table wider than the screen. */
      @media (max-width: 640px) {
        thead {
          display: none;
        }
        table,
        tbody,
        tr,
        td {
          display: block;
        }
        tr {
          border: 1px solid var(--fs-border);
          border-radius: 10px;
          background: var(--fs-surface);
          padding: 0.5rem 0.6rem;
          margin-bottom: 0.6rem;
        }
        td {
          border: none;
          padding: 0.1rem 0;
        }
        td:first-child {
          font-weight: 600;
        }
        td.actions {
          display: flex;
          padding-top: 0.4rem;
        }
      }
    `,
  ];

  @consume({ context: sessionContext }) accessor session!: Session;
  @state() private accessor editing: UserDTO | null = null;
  /**
   * Two error lines, never one shared: what the Add/Edit dialog refused (e.g. a taken email) belongs
   * to that dialog and must not linger on the page once the dialog is done; the page line is for the
   * row actions (activate, remove). Each is cleared by the next success of its own kind.
   */
  @state() private accessor dialogError = '';
  @state() private accessor pageError = '';
  @query('dialog.user') private accessor dialog!: HTMLDialogElement;
  @query('fs-confirm-dialog') private accessor confirm!: ConfirmDialog;

  private users = new Task(this, {
    task: async () => this.session.api.listUsers(),
    args: () => [],
  });

  private openDialog(user: UserDTO | null): void {
    this.editing = user;
    this.dialogError = '';
    openFormDialog(this.dialog, {
      email: user?.email ?? '',
      display_name: user?.display_name ?? '',
      is_admin: user?.is_admin ?? false,
      is_active: user?.is_active ?? true,
    });
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = (n: string) => formField(form, n);
    const password = f('password').value;
    this.dialogError = '';
    try {
      if (this.editing) {
        await this.session.api.updateUser(this.editing.user_id, {
          display_name: f('display_name').value.trim(),
          is_admin: f('is_admin').checked,
          is_active: f('is_active').checked,
          ...(password ? { password } : {}),
        });
      } else {
        await this.session.api.createUser({
          email: f('email').value.trim(),
          display_name: f('display_name').value.trim() || undefined,
          password,
          is_admin: f('is_admin').checked,
        });
      }
      this.dialog.close();
      this.pageError = '';
      void this.users.run();
    } catch (err) {
      this.dialogError = (err as Error).message;
    }
  }

  private async setActive(user: UserDTO, active: boolean): Promise<void> {
    try {
      await this.session.api.updateUser(user.user_id, { is_active: active });
      this.pageError = '';
      void this.users.run();
    } catch (err) {
      this.pageError = (err as Error).message;
    }
  }

  private async removeUser(user: UserDTO): Promise<void> {
    const { confirmed } = await this.confirm.ask({
      title: 'Remove user',
      message: `Remove ${user.email}? Their workflows are deleted with the account. This cannot be undone.`,
      confirmLabel: 'Remove',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await this.session.api.deleteUser(user.user_id);
      this.pageError = '';
      void this.users.run();
    } catch (err) {
      this.pageError = (err as Error).message;
    }
  }

  override render() {
    const me = this.session.user?.userId;
    return html`
      <div class="head">
        <button @click=${() => navigate({ name: 'library' })}>← Library</button>
        <h2>Users</h2>
        <button class="primary" @click=${() => this.openDialog(null)}>Add user</button>
      </div>
      ${this.pageError ? html`<p class="error page-error" role="alert">${this.pageError}</p>` : nothing}
      ${this.users.render({
        pending: () => html`<p class="muted">Loading users…</p>`,
        error: (err) => html`<p class="error" role="alert">Could not load users: ${(err as Error).message}</p>`,
        complete: (users) => html`<table>
          <thead><tr><th>Email</th><th>Name</th><th>Role</th><th>Status</th><th>Actions</th></tr></thead>
          <tbody>
            ${users.map(
              (u) => html`<tr data-user=${u.email}>
                <td>${u.email}</td>
                <td>${u.display_name ?? ''}</td>
                <td>${u.is_admin ? 'Administrator' : 'User'}</td>
                <td>${u.is_active ? 'Active' : 'Inactive'}</td>
                <td class="actions">
                  <button @click=${() => this.openDialog(u)}>Edit</button>
                  ${u.user_id === me
                    ? nothing
                    : html`<button @click=${() => this.setActive(u, !u.is_active)}>${u.is_active ? 'Deactivate' : 'Activate'}</button>
                        <button class="danger" @click=${() => this.removeUser(u)}>Remove</button>`}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`,
      })}
      ${formDialog(
        {
          className: 'user',
          title: this.editing ? 'Edit user' : 'Add user',
          submitLabel: this.editing ? 'Save' : 'Add user',
          error: this.dialogError,
          onSubmit: this.submit,
        },
        html`<label class="field">Email<input name="email" type="email" required ?readonly=${!!this.editing} /></label>
          <label class="field">Display name<input name="display_name" /></label>
          <label class="field"
            >${this.editing ? 'New password (leave empty to keep)' : 'Password'}<input
              name="password"
              type="password"
              autocomplete="new-password"
              ?required=${!this.editing}
          /></label>
          <label class="check"><input type="checkbox" name="is_admin" />Administrator</label>
          <label class="check" ?hidden=${!this.editing}><input type="checkbox" name="is_active" />Active</label>`,
      )}
      <fs-confirm-dialog></fs-confirm-dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-user-admin': UserAdmin;
  }
}
