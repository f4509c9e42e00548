// Limits password guessing without letting a stranger lock an account's owner out or flush the limits
// (issue 9, "6."). A "client" is the request's address (an IPv6 address counts by its /64, which one
// attacker usually holds whole). Within a window (15 minutes):
//
// 1. (account, client): 5 failures lock that pair. Failures from other addresses never lock the owner's.
// 2. client: 20 failures over all accounts lock that address, so a spray from one address costs at
//    most 20 password hashes per window.
// 3. account: 50 failures from all addresses lock the account for strangers, so a guess spread over
//    many addresses is still bounded.
// A pair that has logged in successfully (within 30 days, in this process) is "trusted": rules 2 and 3
// do not apply to it, so an owner who has logged in from here before is never locked out by others'
// failures, and its password checks run in their own lane. Everyone else shares the stranger lane,
// one check at a time with a bounded queue (503 when full), so a spray of logins cannot make a real
// login wait behind it. The lane is chosen by the client's history, never by whether the email
// exists, and unknown emails are counted exactly like known ones: no answer tells them apart.
//
// Nothing is ever evicted early: at most `maxClients` failing addresses are tracked, and when that many
// are, new strangers are refused (503) until the window frees room, so a spray can fill the table but
// never unlock anything in it. Memory is bounded by maxClients x clientBudget entries. Memory only: a
// restart forgets everything (including trust).
import { BoundedQueue } from '../http/bounded-queue.js';
import { normalizeEmail } from './emails.js';

export interface ThrottleOptions {
  /** Failures per (account, client) in the window before that pair is locked. */
  maxFailures?: number;
  /** Failures per client over all accounts in the window. */
  clientBudget?: number;
  /** Failures per account from all untrusted clients in the window. */
  accountBudget?: number;
  windowMs?: number;
  /** Failing clients tracked at once; beyond it new untrusted clients are refused, nothing is forgotten. */
  maxClients?: number;
  /** How long a successful login keeps its (account, client) pair trusted. */
  trustMs?: number;
  /** Trusted pairs kept; the oldest lose their trust first (which only makes the rules stricter). */
  maxTrusted?: number;
  /** Concurrent password checks for untrusted clients, and how many may wait. */
  strangerConcurrency?: number;
  strangerQueue?: number;
  now?: () => number;
}

export type Verdict =
  | { ok: true; trusted: boolean; lane: BoundedQueue }
  | { ok: false; status: 429 | 503; detail: string; retryAfterSeconds: number };

/** A failure counted before the (slow) password check; settled once the check is done. */
export interface Attempt {
  /** The password was right: the failure is forgiven, the pair's failures cleared, the pair trusted. */
  succeeded(): void;
  /** The check never ran (its lane was full): the failure is forgiven. */
  cancelled(): void;
}

export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly clientBudget: number;
  private readonly accountBudget: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly trustMs: number;
  private readonly maxTrusted: number;
  private readonly now: () => number;
  /** Failure times, newest last, trimmed to what a rule needs. */
  private readonly pairs = new Map<string, number[]>();
  private readonly clients = new Map<string, number[]>();
  private readonly accounts = new Map<string, number[]>();
  /** pair -> trusted until; insertion order is the order trust was last renewed. */
  private readonly trusted = new Map<string, number>();
  private lastSweep: number;
  readonly strangerLane: BoundedQueue;
  readonly trustedLane: BoundedQueue;

  constructor(options: ThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.clientBudget = options.clientBudget ?? 20;
    this.accountBudget = options.accountBudget ?? 50;
    this.windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.maxClients = options.maxClients ?? 10_000;
    this.trustMs = options.trustMs ?? 30 * 24 * 60 * 60 * 1000;
    this.maxTrusted = options.maxTrusted ?? 10_000;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
    this.strangerLane = new BoundedQueue(options.strangerConcurrency ?? 1, options.strangerQueue ?? 16);
    // Trusted clients are few and each is bounded by rule 1; one check at a time leaves the pool free.
    this.trustedLane = new BoundedQueue(1);
  }

  /** May `client` try a password for `email` now, and in which lane? */
  check(email: string, client: string): Verdict {
    this.sweepIfDue();
    const account = normalizeEmail(email);
    const pair = pairKey(account, client);
    const trusted = (this.trusted.get(pair) ?? 0) > this.now();
    const pairWait = this.wait(this.pairs.get(pair), this.maxFailures);
    if (pairWait > 0) return refusal(429, 'Too many failed login attempts for this account', pairWait);
    if (!trusted) {
      const clientWait = this.wait(this.clients.get(client), this.clientBudget);
      if (clientWait > 0) return refusal(429, 'Too many failed login attempts from this address', clientWait);
      const accountWait = this.wait(this.accounts.get(account), this.accountBudget);
      if (accountWait > 0) return refusal(429, 'Too many failed login attempts for this account', accountWait);
      if (!this.clients.has(client) && this.clients.size >= this.maxClients) {
        return { ok: false, status: 503, detail: 'Too many clients are failing to log in at once. Try again later.', retryAfterSeconds: 60 };
      }
    }
    return { ok: true, trusted, lane: trusted ? this.trustedLane : this.strangerLane };
  }

  /**
   * Counts a failure before the password is checked, so a burst of parallel guesses cannot all pass
   * check() before any is counted; the returned Attempt forgives it on success.
   */
  begin(email: string, client: string): Attempt {
    const account = normalizeEmail(email);
    const pair = pairKey(account, client);
    const at = this.now();
    push(this.pairs, pair, at, this.maxFailures);
    push(this.clients, client, at, this.clientBudget);
    push(this.accounts, account, at, this.accountBudget);
    let settled = false;
    const forgive = () => {
      if (settled) return;
      settled = true;
      unpush(this.pairs, pair, at);
      unpush(this.clients, client, at);
      unpush(this.accounts, account, at);
    };
    return {
      succeeded: () => {
        forgive();
        this.pairs.delete(pair);
        this.trusted.delete(pair);
        this.trusted.set(pair, this.now() + this.trustMs);
        while (this.trusted.size > this.maxTrusted) {
          const oldest = this.trusted.keys().next().value;
          if (oldest === undefined) break;
          this.trusted.delete(oldest);
        }
      },
      cancelled: forgive,
    };
  }

  /** Seconds until fewer than `limit` of `times` are inside the window; 0 when that is already so. */
  private wait(times: number[] | undefined, limit: number): number {
    if (!times || times.length < limit) return 0;
    const oldestThatCounts = times[times.length - limit]!;
    const ms = oldestThatCounts + this.windowMs - this.now();
    return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0;
  }

  /** Drops entries with no failure left in the window (and lapsed trust), at most once a minute. */
  private sweepIfDue(): void {
    const now = this.now();
    if (now - this.lastSweep < Math.min(60_000, this.windowMs)) return;
    this.lastSweep = now;
    const cutoff = now - this.windowMs;
    for (const map of [this.pairs, this.clients, this.accounts]) {
      for (const [key, times] of map) if ((times[times.length - 1] ?? 0) <= cutoff) map.delete(key);
    }
    for (const [key, until] of this.trusted) if (until <= now) this.trusted.delete(key);
  }
}

function pairKey(account: string, client: string): string {
  return `${account}\n${client}`;
}

function refusal(status: 429, what: string, seconds: number): Verdict {
  return { ok: false, status, detail: `${what}. Try again in ${Math.ceil(seconds / 60)} minute(s).`, retryAfterSeconds: seconds };
}

function push(map: Map<string, number[]>, key: string, at: number, keep: number): void {
  const times = map.get(key) ?? [];
  times.push(at);
  if (times.length > keep) times.splice(0, times.length - keep);
  map.set(key, times);
}

function unpush(map: Map<string, number[]>, key: string, at: number): void {
  const times = map.get(key);
  if (!times) return;
  const i = times.lastIndexOf(at);
  if (i !== -1) times.splice(i, 1);
  if (times.length === 0) map.delete(key);
}
