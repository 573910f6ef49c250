/**
 * The limits Meta enforces on sends (shared/meta/NOTES.md §9, §12), as pure functions of an
 * injected time so that tests can move the clock instead of sleeping.
 */

/**
 * A token bucket: holds up to `capacity` tokens, gains one every `refillIntervalMs`. A send takes
 * one token. Meta's pair limit "borrows future quota" for bursts, which is what a bucket does.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly refillIntervalMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes a token if one is available. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    // A clock that goes backwards (a test resetting it) must not mint tokens.
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed / this.refillIntervalMs);
    this.updatedAt = Math.max(this.updatedAt, now);
  }
}

export type PairLimit = { capacity: number; refillIntervalMs: number };

export type RateLimiter = {
  /** Throughput per business number: `mps` tokens, refilled at `mps` per second (130429). */
  takeThroughput(phoneNumberId: string, mps: number, now: number): boolean;
  /** Messages from one number to one user (131056). */
  takePair(phoneNumberId: string, recipientKey: string, limit: PairLimit, now: number): boolean;
};

export function createRateLimiter(): RateLimiter {
  // Throughput is the strictest reading of Meta's limit: never more than `mps` sends in any
  // sliding second (a bucket of `mps` refilled at `mps`/s would let 2 × mps through one second).
  const recent = new Map<string, number[]>();
  const pairs = new Map<string, TokenBucket>();
  return {
    takeThroughput(phoneNumberId, mps, now) {
      const times = recent.get(phoneNumberId) ?? [];
      recent.set(phoneNumberId, times);
      while (times.length > 0 && times[0]! <= now - 1000) times.shift();
      if (times.length >= mps) return false;
      times.push(now);
      return true;
    },
    takePair(phoneNumberId, recipientKey, limit, now) {
      const key = `${phoneNumberId}\u0000${recipientKey}`;
      let bucket = pairs.get(key);
      if (!bucket || bucket.capacity !== limit.capacity || bucket.refillIntervalMs !== limit.refillIntervalMs) {
        bucket = new TokenBucket(limit.capacity, limit.refillIntervalMs, now);
        pairs.set(key, bucket);
      }
      return bucket.take(now);
    },
  };
}

/** Free-form messages are allowed only within `windowMs` of the user's last message to that number. */
export function serviceWindowOpen(lastInboundAt: number | null, now: number, windowMs: number): boolean {
  return lastInboundAt !== null && now - lastInboundAt < windowMs;
}
