// Styles every component shares: design tokens come from :root in index.html (CSS custom properties
// pierce shadow roots); these are the element-level rules for buttons, inputs and dialogs.
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    font: inherit;
    color: var(--fs-text);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  [hidden] {
    display: none !important;
  }
  button {
    font: inherit;
    font-size: 0.9rem;
    border: 1px solid var(--fs-border);
    background: var(--fs-surface);
    color: var(--fs-text);
    border-radius: 6px;
    padding: 0.4rem 0.8rem;
    cursor: pointer;
    min-height: 2.1rem;
  }
  button:hover:not(:disabled) {
    background: var(--fs-hover);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button.primary {
    background: var(--fs-accent);
    border-color: var(--fs-accent);
    color: white;
  }
  button.primary:hover:not(:disabled) {
    background: var(--fs-accent-strong);
  }
  button.danger {
    color: var(--fs-danger);
    border-color: var(--fs-danger);
  }
  button.link {
    border: none;
    background: none;
    padding: 0.2rem 0.4rem;
    min-height: auto;
  }
  input,
  select,
  textarea {
    font: inherit;
    font-size: 0.9rem;
    color: var(--fs-text);
    background: var(--fs-input);
    border: 1px solid var(--fs-border);
    border-radius: 6px;
    padding: 0.4rem 0.55rem;
    min-width: 0;
  }
  input:focus,
  select:focus,
  textarea:focus,
  button:focus-visible {
    outline: 2px solid var(--fs-accent);
    outline-offset: 1px;
  }
  label.field {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
    font-size: 0.85rem;
    color: var(--fs-muted);
  }
  label.check {
    display: flex;
    align-items: center;
    gap: 0.45rem;
    font-size: 0.9rem;
  }
  .error {
    color: var(--fs-danger);
    font-size: 0.88rem;
  }
  .muted {
    color: var(--fs-muted);
  }
  dialog {
    border: 1px solid var(--fs-border);
    border-radius: 10px;
    background: var(--fs-surface);
    color: var(--fs-text);
    padding: 1.2rem;
    width: min(28rem, calc(100vw - 2rem));
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  form.dialog-form {
    display: flex;
    flex-direction: column;
    gap: 0.6rem;
  }
  form.dialog-form h2 {
    margin-bottom: 0.2rem;
  }
  dialog h2 {
    margin: 0 0 0.8rem;
    font-size: 1.1rem;
  }
  .actions {
    display: flex;
    gap: 0.5rem;
    justify-content: flex-end;
    margin-top: 1rem;
    flex-wrap: wrap;
  }
  .badge {
    display: inline-block;
    font-size: 0.72rem;
    padding: 0.05rem 0.45rem;
    border-radius: 999px;
    background: var(--fs-badge);
    color: var(--fs-badge-text);
    font-weight: 600;
  }
`;
