/**
 * The modal form used for Save As, Profile and Add/Edit user: a <dialog> holding a <form> with a
 * heading, the caller's fields, an error line and Cancel / submit buttons.
 * A template function rather than a custom element: the fields must stay in the caller's shadow
 * root, in the same <form> as the buttons, or the browser would not submit or validate them together.
 * Listeners run with the rendering component as `this`, as in any Lit template.
 */
import { html, nothing, type TemplateResult } from 'lit';

export interface FormDialogOptions {
  /** class of the <dialog>, for the caller's @query */
  className: string;
  /** heading and accessible name */
  title: string;
  submitLabel: string;
  /** shown under the fields with role=alert when not empty */
  error: string;
  onSubmit: (e: SubmitEvent) => void;
}

export function formDialog(o: FormDialogOptions, fields: TemplateResult): TemplateResult {
  return html`<dialog class=${o.className} aria-label=${o.title}>
    <form class="dialog-form" @submit=${o.onSubmit}>
      <h2>${o.title}</h2>
      ${fields}
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : nothing}
      <div class="actions">
        <button type="button" @click=${(e: Event) => (e.target as HTMLElement).closest('dialog')?.close()}>Cancel</button>
        <button class="primary" type="submit">${o.submitLabel}</button>
      </div>
    </form>
  </dialog>`;
}

/** One named control of a form dialog's form. */
export function formField(form: HTMLFormElement, name: string): HTMLInputElement {
  const el = form.elements.namedItem(name);
  if (!(el instanceof HTMLInputElement)) throw new Error(`form has no input named ${name}`);
  return el;
}

/**
 * Opens a form dialog on fresh values: resets the form (so nothing typed last time remains), fills
 * the given fields (strings into text inputs, booleans into checkboxes; names the form lacks are
 * skipped, as fields shown only in some modes) and shows it modal.
 */
export function openFormDialog(dialog: HTMLDialogElement, values: Record<string, string | boolean>): void {
  const form = dialog.querySelector('form');
  if (!form) throw new Error('form dialog without a form');
  form.reset();
  for (const [name, value] of Object.entries(values)) {
    const el = form.elements.namedItem(name);
    if (!(el instanceof HTMLInputElement)) continue;
    if (typeof value === 'boolean') el.checked = value;
    else el.value = value;
  }
  dialog.showModal();
}
