// Server side of the awareness protocol for one document, with states bound to connections.
// Awareness client ids are not authenticated, so the first connection that introduces an id owns
// it until it closes: another connection can neither overwrite nor remove that state (spoofing),
// and all of a connection's states are removed when it closes. Pure bookkeeping: no sockets.
//
// With several nodes, states of other nodes' clients arrive through the fan-out (applyRemote). They
// belong to no member here: a local member's state always wins over a remote entry for its id, and a
// client that reconnects to this node takes its id over from the node it left with its next newer
// state (the stock client echoes what it receives, so an equal clock is an echo, not a takeover). A remote node that
// dies sends no removals; the stock client drops a state not renewed for 30 s (y-protocols renews
// every 15 s), and this relay stops handing such states to members that join (REMOTE_STATE_TTL_MS).
import type { AwarenessEntry } from './messages.js';

/** Limits that keep one connection from growing the room's awareness without bound. */
export interface AwarenessLimits {
  /** Client ids one connection may introduce (a Y.Doc changes its id only on a detected clash). */
  maxClientIdsPerConnection: number;
  /** Longest state JSON accepted; longer entries are dropped. */
  maxStateBytes: number;
}

export const DEFAULT_AWARENESS_LIMITS: AwarenessLimits = { maxClientIdsPerConnection: 4, maxStateBytes: 64 * 1024 };

/** A remote state not renewed for this long is not handed to joining members (y-protocols' outdatedTimeout). */
export const REMOTE_STATE_TTL_MS = 30_000;

/** Remote client ids kept per room, all nodes together: bounds what a flood through the fan-out can cost. */
const MAX_REMOTE_CLIENT_IDS = 4096;

interface ClientState {
  owner: object;
  clock: number;
  state: string;
  /** For remote states: when last renewed (Date.now()). */
  updatedAt?: number;
}

/** The owner of every state that came from one other node. */
class RemoteNode {
  constructor(readonly nodeId: string) {}
}

export class AwarenessRelay {
  private readonly clients = new Map<number, ClientState>();
  private readonly owned = new Map<object, Set<number>>();
  private readonly remoteNodes = new Map<string, RemoteNode>();
  private remoteIds = 0;

  constructor(private readonly limits: AwarenessLimits = DEFAULT_AWARENESS_LIMITS) {}

  /**
   * Applies entries sent by `owner` with y-protocols' clock rule; returns the accepted ones (to
   * forward) and the refused ones (spoofing or over a limit).
   */
  apply(owner: object, entries: readonly AwarenessEntry[]): { accepted: AwarenessEntry[]; refused: AwarenessEntry[] } {
    const accepted: AwarenessEntry[] = [];
    const refused: AwarenessEntry[] = [];
    for (const entry of entries) {
      let known = this.clients.get(entry.clientId);
      if (known !== undefined && known.owner instanceof RemoteNode) {
        // The stock client echoes the states it receives: equal or older is an echo, ignored quietly.
        if (entry.clock <= known.clock) continue;
        // Newer: the client came over from another node, and its state here is this member's from now on.
        this.forgetRemote(entry.clientId, known.owner);
        known = undefined;
      }
      if (known !== undefined && known.owner !== owner) {
        // The stock client echoes every state it receives back to the server: an entry that would
        // change nothing is an echo, not an attack, and is ignored quietly.
        if (entry.clock > known.clock || (entry.clock === known.clock && entry.state !== known.state)) refused.push(entry);
        continue;
      }
      if (entry.state.length > this.limits.maxStateBytes) {
        refused.push(entry);
        continue;
      }
      if (known === undefined) {
        const mine = this.owned.get(owner) ?? new Set<number>();
        if (mine.size >= this.limits.maxClientIdsPerConnection) {
          refused.push(entry);
          continue;
        }
        mine.add(entry.clientId);
        this.owned.set(owner, mine);
        this.clients.set(entry.clientId, { owner, clock: entry.clock, state: entry.state });
        accepted.push(entry);
        continue;
      }
      const removal = entry.state === 'null';
      if (known.clock < entry.clock || (known.clock === entry.clock && removal && known.state !== 'null')) {
        known.clock = entry.clock;
        known.state = entry.state;
        accepted.push(entry);
      }
    }
    return { accepted, refused };
  }

  /**
   * Applies entries another node accepted from its clients; returns the ones to forward. Local members'
   * ids are left alone; between nodes y-protocols' clock rule decides.
   */
  applyRemote(nodeId: string, entries: readonly AwarenessEntry[]): AwarenessEntry[] {
    let node = this.remoteNodes.get(nodeId);
    if (node === undefined) this.remoteNodes.set(nodeId, (node = new RemoteNode(nodeId)));
    const accepted: AwarenessEntry[] = [];
    const now = Date.now();
    for (const entry of entries) {
      if (entry.state.length > this.limits.maxStateBytes) continue;
      const known = this.clients.get(entry.clientId);
      if (known !== undefined && !(known.owner instanceof RemoteNode)) continue;
      if (known === undefined) {
        if (entry.state === 'null' || this.remoteIds >= MAX_REMOTE_CLIENT_IDS) continue;
        this.clients.set(entry.clientId, { owner: node, clock: entry.clock, state: entry.state, updatedAt: now });
        this.ownRemote(entry.clientId, node);
        accepted.push(entry);
        continue;
      }
      const removal = entry.state === 'null';
      if (known.clock < entry.clock || (known.clock === entry.clock && removal && known.state !== 'null')) {
        if (known.owner !== node) {
          this.forgetRemote(entry.clientId, known.owner);
          this.ownRemote(entry.clientId, node);
          known.owner = node;
        }
        known.clock = entry.clock;
        known.state = entry.state;
        known.updatedAt = now;
        accepted.push(entry);
      }
    }
    return accepted;
  }

  private ownRemote(clientId: number, node: RemoteNode): void {
    const ids = this.owned.get(node) ?? new Set<number>();
    ids.add(clientId);
    this.owned.set(node, ids);
    this.remoteIds++;
  }

  private forgetRemote(clientId: number, node: object): void {
    const ids = this.owned.get(node);
    if (ids?.delete(clientId)) this.remoteIds--;
    if (ids?.size === 0) this.owned.delete(node);
    this.clients.delete(clientId);
  }

  /** Forgets everything `owner` introduced; returns the removals to send to the others. */
  release(owner: object): AwarenessEntry[] {
    const ids = this.owned.get(owner);
    if (ids === undefined) return [];
    this.owned.delete(owner);
    const removals: AwarenessEntry[] = [];
    for (const clientId of ids) {
      const known = this.clients.get(clientId);
      this.clients.delete(clientId);
      // Same clock with a null state is how y-protocols removes a remote client.
      if (known !== undefined && known.state !== 'null') removals.push({ clientId, clock: known.clock, state: 'null' });
    }
    return removals;
  }

  /** Every live state, for a connection that joins or asks (query-awareness). */
  snapshot(): AwarenessEntry[] {
    const entries: AwarenessEntry[] = [];
    const staleBefore = Date.now() - REMOTE_STATE_TTL_MS;
    for (const [clientId, known] of this.clients) {
      if (known.owner instanceof RemoteNode && (known.updatedAt ?? 0) < staleBefore) {
        // A remote node that stopped renewing (it died, or its client left without a word).
        this.forgetRemote(clientId, known.owner);
        continue;
      }
      if (known.state !== 'null') entries.push({ clientId, clock: known.clock, state: known.state });
    }
    return entries;
  }

  get size(): number {
    return this.clients.size;
  }
}
