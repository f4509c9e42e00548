// Re-renders a host whenever a Y.Doc changes, from any origin: local edits, IndexedDB loading, or
// the server. Renders are batched by Lit (requestUpdate coalesces), so a burst of updates costs one
// render. `onChange` lets a host recompute derived data (e.g. the editor's draft merge) first.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type * as Y from 'yjs';

export class YDocController implements ReactiveController {
  private docs: Y.Doc[] = [];
  private connected = false;
  /** bumps on every update; hosts may use it as a cache key */
  version = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onChange?: (origin: unknown, doc: Y.Doc) => void,
  ) {
    host.addController(this);
  }

  observe(docs: (Y.Doc | null | undefined)[]): void {
    const next = docs.filter((d): d is Y.Doc => !!d);
    if (next.length === this.docs.length && next.every((d, i) => d === this.docs[i])) return;
    if (this.connected) this.docs.forEach((d) => d.off('update', this.onUpdate));
    this.docs = next;
    if (this.connected) this.docs.forEach((d) => d.on('update', this.onUpdate));
    this.version++;
    this.host.requestUpdate();
  }

  private onUpdate = (_u: Uint8Array, origin: unknown, doc: Y.Doc): void => {
    this.version++;
    try {
      this.onChange?.(origin, doc);
    } catch (err) {
      // An observer must never throw into Yjs' transaction cleanup (it would break other observers).
      console.error(err);
    }
    this.host.requestUpdate();
  };

  hostConnected(): void {
    this.connected = true;
    this.docs.forEach((d) => d.on('update', this.onUpdate));
  }
  hostDisconnected(): void {
    this.connected = false;
    this.docs.forEach((d) => d.off('update', this.onUpdate));
  }
}
