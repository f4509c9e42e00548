// Server side of the awareness protocol for one document, with states bound to connections.
// Awareness client ids are not authenticated, so the first connection that introduces an id owns
// it until it closes: another connection can neither overwrite nor remove that state (spoofing),
// and all of a connection's states are removed when it closes. Pure bookkeeping: no sockets.
import type { AwarenessEntry } from './messages.js';

/** Limits that keep one connection from growing the room's awareness without bound. */
export interface AwarenessLimits {
  /** Client ids one connection may introduce (a Y.Doc changes its id only on a detected clash). */
  maxClientIdsPerConnection: number;
  /** Longest state JSON accepted; longer entries are dropped. */
  maxStateBytes: number;
}

export const DEFAULT_AWARENESS_LIMITS: AwarenessLimits = { maxClientIdsPerConnection: 4, maxStateBytes: 64 * 1024 };

interface ClientState {
  owner: object;
  clock: number;
  state: string;
}

export class AwarenessRelay {
  private readonly clients = new Map<number, ClientState>();
  private readonly owned = new Map<object, Set<number>>();

  constructor(private readonly limits: AwarenessLimits = DEFAULT_AWARENESS_LIMITS) {}

  /**
   * Applies entries sent by `owner` with y-protocols' clock rule; returns the accepted ones (to
   * forward) and the refused ones (spoofing or over a limit).
   */
  apply(owner: object, entries: readonly AwarenessEntry[]): { accepted: AwarenessEntry[]; refused: AwarenessEntry[] } {
    const accepted: AwarenessEntry[] = [];
    const refused: AwarenessEntry[] = [];
    for (const entry of entries) {
      const known = this.clients.get(entry.clientId);
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
    for (const [clientId, known] of this.clients) {
      if (known.state !== 'null') entries.push({ clientId, clock: known.clock, state: known.state });
    }
    return entries;
  }

  get size(): number {
    return this.clients.size;
  }
}
