import type { TokenBucketConfig } from './token-bucket.js';

/**
 * Meta's pair rate limit (NOTES §9): one message per 6 s to the same user, with bursts of up to
 * 45 that "borrow" future quota. As a token bucket that is capacity 45, refill 1 per 6 s: a burst
 * of 45 passes, the 46th waits 6 s, and a burst of n is paid back after n × 6 s (Meta's "a burst
 * of 20 needs about 2 min of waiting"). Meta does not publish its exact algorithm, so this bucket
 * is a courtesy that keeps us from provoking 131056; when 131056 arrives anyway, the recipient is
 * retried on Meta's own schedule (`pairRetryDelayMs`), whatever the bucket says.
 *
 * Key the bucket by (sending number, recipient): the limit is per business number and user.
 */
export const PAIR_LIMIT: TokenBucketConfig = Object.freeze({ capacity: 45, refillPerSecond: 1 / 6 });

/** 4^5 s ≈ 17 min. Past that, Meta's schedule would park a recipient for hours; backoff elsewhere caps attempts. */
export const PAIR_RETRY_MAX_EXPONENT = 5;

/**
 * Delay before retrying a recipient after error 131056: 4^attempt seconds (1 s, 4 s, 16 s, 64 s,
 * 256 s, 1024 s, then 1024 s again), as Meta documents. `attempt` counts from 0 (the first retry).
 * Throws RangeError for a negative or fractional attempt: that is a bug in the caller.
 */
export function pairRetryDelayMs(attempt: number): number {
  if (!(Number.isInteger(attempt) && attempt >= 0)) {
    throw new RangeError(`pair retry attempt must be an integer >= 0, got ${attempt}`);
  }
  // Clamp the exponent before raising, so huge attempt numbers cannot overflow to Infinity.
  return 4 ** Math.min(attempt, PAIR_RETRY_MAX_EXPONENT) * 1000;
}
