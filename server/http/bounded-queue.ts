// A queue that runs at most `concurrency` jobs at once and lets at most `maxWaiting` wait; beyond that
// it refuses at once instead of letting work pile up. Image decoding, scrypt and file reads all run on
// libuv's small thread pool (4 threads): bounding the heavy kinds keeps a thread free for the others,
// so logins and static files never wait behind a burst of thumbnails.

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export class BoundedQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get activeCount(): number {
    return this.active;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Runs `job` when a slot is free; rejects with QueueFullError (without running it) when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new QueueFullError('queue full');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await job();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
