/**
 * fs-tags-field: the Tags field of the editor's Details. The `shared` tag follows is_public
 * (shared/workflow/tags.ts), so it is not the user's text to edit: the field shows the other tags and
 * a `shared` badge beside them while the workflow is shared. Ticking Shared never writes into the
 * field, even while the user is typing in it.
 * Properties: tags (the draft's tags string, with the shared tag as stored), isPublic, readonly.
 * Event: `fs-tags-input` (detail: the tags string to put into the draft, shared tag included when
 * isPublic, so a draft that only gained or lost nothing stays equal to what is stored).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { SHARED_TAG, hasSharedTag, withSharedTag } from '../../../shared/workflow/tags.js';
import { sharedStyles } from '../shared-styles.js';

/** The tags as the field shows them: every tag but `shared`. */
export function editableTags(stored: string): string {
  return withSharedTag(stored, false);
}

/**
 * The tags string for the draft from what the user typed: the typed text as it is (so the field
 * never rewrites it under the cursor), with `shared` appended when the workflow is shared and
 * removed when it is not (the tag follows is_public, whatever is typed).
 */
export function tagsFromTyped(typed: string, isPublic: boolean): string {
  if (hasSharedTag(typed)) return withSharedTag(typed, isPublic);
  if (!isPublic) return typed;
  const rest = typed.replace(/[\s,]+$/, '');
  return rest.trim() === '' ? SHARED_TAG : `${rest}, ${SHARED_TAG}`;
}

@customElement('fs-tags-field')
export class TagsField extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      label {
        font-size: 0.85rem;
        color: var(--fs-muted);
      }
      .row {
        display: flex;
        gap: 0.4rem;
        align-items: center;
      }
      .row input {
        flex: 1;
      }
      .hint {
        margin: 0;
        font-size: 0.8rem;
      }
    `,
  ];

  @property() accessor tags = '';
  @property({ type: Boolean }) accessor isPublic = false;
  @property({ type: Boolean }) accessor readonly = false;
  /**
   * What the user last typed, shown as typed while the draft still holds what it gave; dropped when
   * the draft changes otherwise (another device's edit, undo, a reset), which then shows from the draft.
   */
  @state() private accessor typed: string | null = null;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    // Only a change coming from outside can disagree with the typed text: right after a keystroke this
    // element may render before the draft has come back through `tags`.
    const fromOutside = changed.has('tags') || changed.has('isPublic');
    if (fromOutside && this.typed !== null && tagsFromTyped(this.typed, this.isPublic) !== this.tags) this.typed = null;
  }

  private onInput(e: InputEvent): void {
    this.typed = (e.target as HTMLInputElement).value;
    const tags = tagsFromTyped(this.typed, this.isPublic);
    this.dispatchEvent(new CustomEvent<string>('fs-tags-input', { detail: tags, bubbles: true, composed: true }));
  }

  override render() {
    const typedShared = this.typed !== null && hasSharedTag(this.typed);
    return html`<label for="tags">Tags</label>
      <div class="row">
        <input
          id="tags"
          name="tags"
          .value=${this.typed ?? editableTags(this.tags)}
          ?readonly=${this.readonly}
          aria-describedby="shared-tag hint"
          @input=${this.onInput}
        />
        ${this.isPublic
          ? html`<span class="badge" id="shared-tag" title="The shared tag follows the Shared workflow setting"
              >${SHARED_TAG}</span
            >`
          : nothing}
      </div>
      ${typedShared && !this.isPublic
        ? html`<p class="hint muted" id="hint">The shared tag is not kept here: it follows Shared workflow.</p>`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-tags-field': TagsField;
  }
  interface HTMLElementEventMap {
    'fs-tags-input': CustomEvent<string>;
  }
}
