// Re-renders a host when an EventTarget store (Session, Workspace, SyncedDoc) reports a change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class EventController<T extends EventTarget> implements ReactiveController {
  private current: T | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    target: T | null = null,
    private readonly eventName = 'change',
  ) {
    host.addController(this);
    this.current = target;
  }

  /** Switches to another target (e.g. a new workspace after sign-in). */
  set target(t: T | null) {
    if (t === this.current) return;
    this.current?.removeEventListener(this.eventName, this.onChange);
    this.current = t;
    if (this.connected) t?.addEventListener(this.eventName, this.onChange);
    this.host.requestUpdate();
  }
  get target(): T | null {
    return this.current;
  }

  private connected = false;
  private onChange = (): void => this.host.requestUpdate();

  hostConnected(): void {
    this.connected = true;
    this.current?.addEventListener(this.eventName, this.onChange);
  }
  hostDisconnected(): void {
    this.connected = false;
    this.current?.removeEventListener(this.eventName, this.onChange);
  }
}
