// The editor's View/Edit mode (InvokeAI's workflow mode): which one a workflow opens in, and the
// user's choice while it stays open.
// - A workflow the user may edit opens in Edit on a wide screen (the graph editor, as before), in View
//   on a phone, where the form is what fits the screen.
// - A read-only workflow (someone else's, or a default) is always in View: nothing in it can be edited
//   (Save As makes an editable copy).
// - A choice holds for the workflow it was made on; opening another one starts from its default.
// The phone test is a media query, followed live (a rotated tablet changes its default).
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type EditorMode = 'view' | 'edit';

/** Narrow enough that the graph is not the thing to start with: phones, in portrait and landscape. */
export const PHONE_QUERY = '(max-width: 640px)';

export class EditorModeController implements ReactiveController {
  private media: MediaQueryList | null = null;
  private chosen: { key: string; mode: EditorMode } | null = null;
  private readonly onMediaChange = (): void => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly query = PHONE_QUERY,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.media = window.matchMedia(this.query);
    this.media.addEventListener('change', this.onMediaChange);
  }

  hostDisconnected(): void {
    this.media?.removeEventListener('change', this.onMediaChange);
    this.media = null;
  }

  get phone(): boolean {
    return (this.media ?? window.matchMedia(this.query)).matches;
  }

  /** The mode of the workflow identified by `key` (e.g. its route). */
  modeFor(key: string, editable: boolean): EditorMode {
    if (!editable) return 'view';
    if (this.chosen?.key === key) return this.chosen.mode;
    return this.phone ? 'view' : 'edit';
  }

  choose(key: string, mode: EditorMode): void {
    this.chosen = { key, mode };
    this.host.requestUpdate();
  }
}
