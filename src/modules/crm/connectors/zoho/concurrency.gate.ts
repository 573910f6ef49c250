/**
 * At most `limit` calls in flight; the rest wait in arrival order. Zoho limits concurrent calls
 * per org and app (Free 5, Standard 10, Professional 15, Enterprise 20, Ultimate 25) rather than
 * calls per second, and answers 429 above that.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.active -= 1;
    }
  }
}
