// Closes a popup (a menu) the ways people expect: Escape, a press outside the host, and navigation
// (another route). The host says whether it is open and how to close; on Escape it gets the reason so
// that it can give the focus back to the button that opened it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type DismissReason = 'escape' | 'outside' | 'navigation';

export class DismissController implements ReactiveController {
  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly isOpen: () => boolean,
    private readonly close: (reason: DismissReason) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // Capture phase: a press inside another component's shadow tree still reaches us first.
    document.addEventListener('pointerdown', this.onPointer, true);
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('hashchange', this.onNavigate);
  }

  hostDisconnected(): void {
    document.removeEventListener('pointerdown', this.onPointer, true);
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('hashchange', this.onNavigate);
  }

  private onPointer = (e: PointerEvent): void => {
    if (this.isOpen() && !e.composedPath().includes(this.host)) this.close('outside');
  };

  private onKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape' || !this.isOpen()) return;
    e.preventDefault();
    this.close('escape');
  };

  private onNavigate = (): void => {
    if (this.isOpen()) this.close('navigation');
  };
}
