// The fan-out PORT: carries committed updates and awareness between the nodes that serve the same
// documents (RedisFanout in server/cluster/redis-fanout.ts; InProcessFanout here for one process).
// Only COMMITTED updates are published, with the store's sequence number, so a receiver applies and
// forwards them without storing them again, and can tell from the numbers when it missed one: the
// sync core then catches up from the store (DocumentStore.loadSince). A fan-out may therefore lose
// messages (fire-and-forget); it must report a loss it knows of (a reconnect) through onReset.
// Every implementation runs the acceptance suite in test/sync/fanout-suite.ts.

export interface FanoutUpdate {
  doc: string;
  /** The store's sequence number of this update. */
  seq: number;
  update: Uint8Array;
  /** The node that committed it (receivers skip their own). */
  nodeId: string;
}

export interface FanoutAwareness {
  doc: string;
  /** An encoded awareness message (messages.ts encodeAwareness), as a client would receive it. */
  frame: Uint8Array;
  nodeId: string;
}

export interface FanoutSubscription {
  unsubscribe(): Promise<void>;
}

export interface FanoutHandlers {
  update(message: FanoutUpdate): void;
  awareness(message: FanoutAwareness): void;
}

export interface Fanout {
  /** Carries a COMMITTED update (seq = the store's sequence number). Fire-and-forget: a lost message is healed by catch-up. */
  publishUpdate(message: FanoutUpdate): void;
  publishAwareness(message: FanoutAwareness): void;
  /**
   * Resolves once the subscription is live: every message published (by any node) after it resolves
   * reaches the handlers, own node's messages included (receivers skip their own nodeId).
   */
  subscribe(doc: string, handlers: FanoutHandlers): Promise<FanoutSubscription>;
  /** The transport lost messages (reconnected, e.g. Redis restarted): every subscriber must catch up from the store. Returns unsubscribe. */
  onReset(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Fan-out between the SyncServers of one process (tests, benchmarks). Delivers on a later microtask,
 * as a network fan-out would: a subscriber never runs inside the publisher's commit.
 */
export class InProcessFanout implements Fanout {
  private readonly subscribers = new Map<string, Set<FanoutHandlers>>();
  private readonly resetListeners = new Set<() => void>();
  private closed = false;

  publishUpdate(message: FanoutUpdate): void {
    for (const handlers of this.handlersOf(message.doc)) queueMicrotask(() => handlers.update(message));
  }

  publishAwareness(message: FanoutAwareness): void {
    for (const handlers of this.handlersOf(message.doc)) queueMicrotask(() => handlers.awareness(message));
  }

  async subscribe(doc: string, handlers: FanoutHandlers): Promise<FanoutSubscription> {
    if (this.closed) throw new Error('fan-out is closed');
    let set = this.subscribers.get(doc);
    if (set === undefined) this.subscribers.set(doc, (set = new Set()));
    // A copy per subscription, so one handlers object subscribed twice is two subscriptions.
    const own: FanoutHandlers = { update: (m) => handlers.update(m), awareness: (m) => handlers.awareness(m) };
    set.add(own);
    return {
      unsubscribe: async () => {
        set.delete(own);
        if (set.size === 0 && this.subscribers.get(doc) === set) this.subscribers.delete(doc);
      },
    };
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Tells every subscriber that messages were lost (what a transport's reconnect reports). */
  reset(): void {
    for (const listener of [...this.resetListeners]) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    this.resetListeners.clear();
  }

  private handlersOf(doc: string): FanoutHandlers[] {
    if (this.closed) return [];
    return [...(this.subscribers.get(doc) ?? [])];
  }
}
