/**
 * fs-auth-form: "create the administrator" (mode="setup") or sign in (mode="login").
 * Calls the session directly; on success the session's phase changes and the shell moves on.
 * Attributes: mode, email (prefill, e.g. after a session expired), message (shown above the form).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sessionContext } from '../../data/context.js';
import type { Session } from '../../data/session.js';
import { sharedStyles } from '../shared-styles.js';

@customElement('fs-auth-form')
export class AuthForm extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      form {
        display: flex;
        flex-direction: column;
        gap: 0.8rem;
      }
      h1 {
        font-size: 1.3rem;
        margin: 0 0 0.3rem;
      }
      p {
        margin: 0;
      }
    `,
  ];

  @consume({ context: sessionContext }) accessor session!: Session;
  @property() accessor mode: 'setup' | 'login' = 'login';
  @property() accessor email = '';
  @property() accessor message = '';
  @state() private accessor error = '';
  @state() private accessor busy = false;

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    this.error = '';
    if (this.mode === 'setup' && password !== String(data.get('confirm') ?? '')) {
      this.error = 'The passwords do not match.';
      return;
    }
    this.busy = true;
    try {
      if (this.mode === 'setup') await this.session.setupAdmin(email, password, String(data.get('name') ?? '').trim());
      else await this.session.login(email, password, data.get('remember') === 'on');
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const setup = this.mode === 'setup';
    return html`
      <form @submit=${this.submit} aria-label=${setup ? 'Create the administrator' : 'Sign in'}>
        <h1>${setup ? 'Create the administrator' : 'Sign in to Flowshelf'}</h1>
        ${setup
          ? html`<p class="muted">This is a new Flowshelf server. The first account manages all the others.</p>`
          : ''}
        ${this.message ? html`<p role="status">${this.message}</p>` : ''}
        <label class="field">Email <input name="email" type="email" autocomplete="username" required .value=${this.email} /></label>
        ${setup ? html`<label class="field">Display name <input name="name" autocomplete="name" /></label>` : ''}
        <label class="field"
          >Password
          <input name="password" type="password" autocomplete=${setup ? 'new-password' : 'current-password'} required
        /></label>
        ${setup
          ? html`<label class="field"
              >Confirm password <input name="confirm" type="password" autocomplete="new-password" required
            /></label>`
          : html`<label class="check"><input name="remember" type="checkbox" /> Remember me</label>`}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
        <button class="primary" type="submit" ?disabled=${this.busy}>
          ${setup ? 'Create administrator' : 'Sign in'}
        </button>
      </form>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-auth-form': AuthForm;
  }
}
