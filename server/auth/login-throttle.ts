// Limits password guessing per account: after MAX_FAILURES wrong passwords for one email within
// WINDOW_MS, further attempts for that email are refused until the oldest failure leaves the window.
// Keyed by the normalised email, not the client address: guessing one account from many addresses is
// still stopped, and one noisy address cannot lock everyone else out. Unknown emails are counted too,
// so the answer does not reveal which accounts exist. Memory only: a restart forgets the counts.
import { normalizeEmail } from './emails.js';

export interface ThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Most emails tracked at once; the stalest are forgotten first (bounds memory under a spray). */
  maxTracked?: number;
  now?: () => number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until this email may try again; 0 when it may try now. */
  retryAfterSeconds(email: string): number {
    const recent = this.recent(normalizeEmail(email));
    if (recent.length < this.maxFailures) return 0;
    const oldest = recent[recent.length - this.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  recordFailure(email: string): void {
    const key = normalizeEmail(email);
    const recent = this.recent(key);
    recent.push(this.now());
    // Re-insert so Map order is "least recently failed first" for eviction.
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.maxFailures));
    while (this.failures.size > this.maxTracked) {
      const stalest = this.failures.keys().next().value;
      if (stalest === undefined) break;
      this.failures.delete(stalest);
    }
  }

  recordSuccess(email: string): void {
    this.failures.delete(normalizeEmail(email));
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }
}
