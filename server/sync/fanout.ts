// Carries committed updates between sync-server processes that serve the same documents (later:
// Redis pub/sub). Only updates that are already committed to the shared store are published, so a
// receiver forwards them to its sockets without storing them again.

export type FanoutHandler = (update: Uint8Array, publisherId: string) => void;

export interface Fanout {
  /** Sends a committed update of `doc` to every subscriber of `doc`, the publisher's own included. */
  publish(doc: string, update: Uint8Array, publisherId: string): void;
  /** Receives the updates of `doc`; returns unsubscribe. */
  subscribe(doc: string, handler: FanoutHandler): () => void;
}

/** Fan-out between SyncServers of one process (tests, and the shape a Redis fan-out must keep). */
export class InProcessFanout implements Fanout {
  private readonly handlers = new Map<string, Set<FanoutHandler>>();

  publish(doc: string, update: Uint8Array, publisherId: string): void {
    const handlers = this.handlers.get(doc);
    if (handlers === undefined) return;
    // Delivered on a later turn, as a network fan-out would: a subscriber never runs inside the
    // publisher's commit.
    for (const handler of [...handlers]) queueMicrotask(() => handler(update, publisherId));
  }

  subscribe(doc: string, handler: FanoutHandler): () => void {
    let handlers = this.handlers.get(doc);
    if (handlers === undefined) this.handlers.set(doc, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.handlers.get(doc) === handlers) this.handlers.delete(doc);
    };
  }
}
